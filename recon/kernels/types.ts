/**
 * The KernelSet contract: the numerical operations of the image chain behind one
 * typed interface that every compute backend (recon/backends/cpu,
 * recon/backends/webgpu) implements. Pipeline code is written against
 * `KernelSet` only and never names a backend.
 *
 * Arrays live on the backend ("device arrays"): `upload` once, run any number of
 * kernels that keep their results on the backend, `read` the images back. A
 * backend checks that arrays it is given are its own.
 *
 * Conventions are those of the CPU code: float32, complex values interleaved
 * (re, im), shapes fastest axis first, channel slowest; FFTs are the centred
 * orthonormal fftc/ifftc of recon/fft (k-space centre at floor(n/2)).
 *
 * Ordering: operations take effect in call order. Operations are issued
 * synchronously (a GPU backend records them and returns at once); `read`
 * returns a promise, and `checked` turns a backend's asynchronous failures
 * (out of memory, lost device) into a rejected promise.
 */

export type BackendName = 'cpu' | 'webgpu';

/** An array owned by a backend. `length` counts float32 values (2 per complex element). */
export interface DeviceArray {
  readonly length: number;
}

export interface FftKernelOptions {
  /** exp(+2πi jk/n) (ifftc) instead of exp(-2πi jk/n) (fftc). Default false. */
  inverse?: boolean;
  /** ifftshift before and fftshift after (centre at floor(n/2)). Default true. */
  centred?: boolean;
  /** 'ortho' (default): 1/sqrt(n) per axis; 'none': unscaled; 'backward': 1/n on the inverse only. */
  norm?: 'ortho' | 'none' | 'backward';
}

/** What the backend can hold; kernels split work to fit these. */
export interface KernelLimits {
  /** Largest single array, bytes. */
  maxArrayBytes: number;
  /** Largest array a single kernel invocation can address, bytes (larger arrays are processed in chunks where the kernel allows). */
  maxBindingBytes: number;
}

/**
 * A convolution along the phase-encode lines of k-space (GRAPPA in k-space,
 * the `lineTaps` form of recon/algorithms/grappa/kernel.ts), as plain data.
 * Backends may cache what they derive from it per object: treat it as immutable.
 */
export interface LineConvolution {
  /** Readout offsets of the kro source points of a tap (wrapped around the readout). */
  readonly srcRo: Int32Array;
  readonly channelsIn: number;
  /** Output channels d < channelsOut; lines copied through take input channel d. */
  readonly channelsOut: number;
  /** [d1, d2] per tap: output line (e1, e2) reads source line (e1 − d1, e2 − d2), wrapped. */
  readonly taps: Int32Array;
  /** Complex weights [tap][cout][cin][kro], interleaved. */
  readonly weights: Float64Array | Float32Array;
}

/** Role of a k-space line in `lineConvolution`. */
export const LINE_ESTIMATED = 0;
/** Copied through and read by the taps. */
export const LINE_SOURCE = 1;
/** Copied through, never read by the taps (acquired off the lattice, e.g. ACS lines). */
export const LINE_KEPT = 2;

export interface KernelSet<A extends DeviceArray = DeviceArray> {
  readonly backend: BackendName;
  /** Human-readable device, e.g. "NVIDIA H100 (vulkan)" or "CPU (wasm SIMD)". */
  readonly device: string;
  readonly limits: KernelLimits;

  /** A copy of `data` on the backend. */
  upload(data: Float32Array): A;
  /** `length` float32 zeros. */
  zeros(length: number): A;
  /** A new array with the contents of `a`. */
  copy(a: A): A;
  /** A fresh host copy of the array (resolves when every earlier operation has completed). */
  read(a: A): Promise<Float32Array>;
  /** Releases the array (its memory may be reused by later operations). Double frees are ignored. */
  free(a: A): void;

  /**
   * In place N-D FFT of complex `a` of `shape` along `axes` (default options:
   * fftc). Any length ≥ 1; any number of lines.
   */
  fft(a: A, shape: readonly number[], axes: readonly number[], opts?: FftKernelOptions): void;

  /**
   * out[k][s] = Σ_c M[k][c]·in[c][s] (k < rows, c < cols, s < samples): noise
   * whitening / coil compression. `m` is a complex rows×cols matrix, row-major,
   * interleaved. Returns a new array of rows·samples complex values; `a` is
   * unchanged.
   */
  channelMatrix(m: ArrayLike<number>, rows: number, cols: number, a: A, samples: number): A;

  /**
   * Centred crop / zero-pad of complex `a` from `shape` to `newShape` (same
   * rank, ≤ 4 axes), as resizeCentred. Returns `a` itself when the shapes are
   * equal, else a new array (`a` unchanged).
   */
  resize(a: A, shape: readonly number[], newShape: readonly number[]): A;

  /** Root sum of squares over channels of complex [voxels, channels]: a new real array of `voxels` values. */
  rss(a: A, voxels: number, channels: number): A;

  /** In place: every value × factor (real scalar; complex arrays scale both parts). */
  scale(a: A, factor: number): void;

  /**
   * In place, on complex [lineLength, lines, channels]: sample x of line l is
   * multiplied by weights[l] when first ≤ x ≤ last, and set to 0 otherwise.
   * (Averaging normalisation and zero-filling of unsampled k-space in one pass.)
   */
  weightLines(a: A, lineLength: number, lines: number, channels: number, weights: Float32Array, first: number, last: number): void;

  /**
   * Per-voxel channel mixing with voxel-dependent weights (GRAPPA image-domain
   * weights, SENSE unfolding weights, GRAPPA unmixing, map-based combination
   * with fixed weights, the coil expansion and reduction of the CG-SENSE
   * operators): out_d(p) = Σ_c W[(d + cout·c)·voxels + p] · a_c(p), d < cout,
   * c < cin, with conj(W) instead of W when `conjugate`. `a`: complex [voxels,
   * cin]; `w`: complex [voxels, cout, cin] (as applyImageWeights; cout = 1:
   * [voxels, cin] as combineWithWeights / applySenseWeights). Returns a new
   * complex [voxels, cout] array.
   */
  voxelMatrix(a: A, w: A, voxels: number, cin: number, cout: number, conjugate?: boolean): A;

  /** In place: complex [voxels, channels] × real weights [voxels] (sampling masks). */
  multiplyVoxels(a: A, weights: A, voxels: number, channels: number): void;

  /**
   * GRAPPA in k-space: complex `a` [ro, e1, e2, cin] → a new [ro, e1, e2, cout].
   * `roles[e1 + n1·e2]` (LINE_*): LINE_SOURCE and LINE_KEPT lines are copied
   * (output channel d = input channel d); every other line is estimated,
   *   out_d(ro, L) = Σ_tap Σ_c Σ_i w[tap][d][c][i] · a_c((ro + srcRo[i]) mod nro, S),
   * over the taps whose source line S = L − (d1, d2) (wrapped) is a LINE_SOURCE
   * line (0 when there is none), as grappaApplyKspace.
   */
  lineConvolution(a: A, dims: readonly [number, number, number, number], conv: LineConvolution, roles: Uint8Array): A;

  /** Σ_i a[i]·b[i] over the float32 values (Re⟨a, b⟩ for complex arrays): a new array of one value. */
  dot(a: A, b: A): A;

  /** In place: y ← α·y + β·x over the float32 values (real scalars; CG updates); x and y are different arrays. */
  axpby(y: A, x: A, alpha: number, beta: number): void;

  /**
   * Runs `body` (which issues operations synchronously and may return a
   * promise, typically of a `read`) and resolves with its result, or rejects
   * with a UhfError when the backend reports that any of those operations
   * failed asynchronously: 'GPU_DEVICE_LOST' (device lost, timeout) or
   * 'BACKEND_UNAVAILABLE' (out of memory, beyond the device's limits).
   */
  checked<T>(body: () => T | Promise<T>): Promise<T>;

  /** Resolves when all issued work has completed. */
  flush(): Promise<void>;
  /** Whether the backend can still run work (false after a lost device). */
  readonly healthy: boolean;
  /** Frees everything the backend holds (pools, pipelines). The injected device itself is not destroyed. */
  dispose(): void;
}

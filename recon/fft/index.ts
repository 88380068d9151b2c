/**
 * Centred, orthonormal FFTs over interleaved complex Float32Array data.
 * `fftc`/`ifftc` always mean: ifftshift → (I)DFT → fftshift, scaled by 1/sqrt(n)
 * per transformed axis — identical to `bart fft -u <mask>` / `bart fft -u -i
 * <mask>`, odd n included (k-space centre at index floor(n/2)). Forward uses
 * exp(-2πi jk/n), inverse exp(+2πi jk/n).
 *
 * Layout (BART / column-major): shapes are listed fastest axis first; element
 * (i0, i1, ...) of shape [n0, n1, ...] is complex number i0 + n0*(i1 + n1*(...)),
 * stored at data[2*idx] (re) and data[2*idx + 1] (im).
 *
 * Any length >= 1: mixed radix 8/4/2/3/5/7/11/13 (Stockham), Bluestein for other
 * prime factors. Arithmetic is Float64 throughout; results are stored as
 * Float32 (relative L2 error vs an exact DFT ≈ 4e-8, i.e. float32 rounding).
 * Plans and twiddles are cached per length. Not re-entrant across threads
 * sharing one module instance (each worker has its own instance anyway).
 */
export {
  fftc, ifftc, fftnd, fftAxis, axesFromBitmask, setFftBackend, wasmAvailable,
  type FftOptions, type FftNorm, type FftBackend,
} from './nd.ts';
export { planFft, type FftPlan } from './plan1d.ts';

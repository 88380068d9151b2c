/**
 * WebAssembly SIMD (f64x2) kernel for the eigenvectors of the dual route of
 * signal-subspace.ts: V[k][i] = Σ_r Yt[i][r]·U[k][r] for every unknown i
 * (N) and selected vector k (K), summed over the patches r (P). Float64
 * throughout; equal to the JS loops up to summation order.
 *
 * Memory layout (byte addresses, multiples of 16):
 *   Yt: N rows of P complex f64x2 (re, im), row i at Y + 16·P·i;
 *   U:  K rows of P weights, each as two f64x2 (ur, ur), (−ui, ui) at
 *       U + 32·(k·P + r), so that y·u = (ur, ur)·y + (−ui, ui)·swap(y);
 *   V:  K rows of N complex f64x2, V + 16·(k·N + i).
 * Two unknowns × two vectors per pass (each U load serves two products, each
 * Yt load two). N and K are even (the caller pads with a zero row).
 *
 *   vectors(n, k, p, Y, U, V)
 */

import { Func, I32, V128 } from '../../wasm/encoder.ts';
import { instantiateKernel, type WasmKernel } from '../../wasm/kernel.ts';

function build(): Func {
  const f = new Func('vectors', [I32, I32, I32, I32, I32, I32]);
  const NN = 0, NK = 1, NP = 2, Y = 3, U = 4, V = 5;
  const i = f.local(I32), k = f.local(I32), py0 = f.local(I32), py1 = f.local(I32), pu0 = f.local(I32), pu1 = f.local(I32), e = f.local(I32), pv = f.local(I32);
  const a00 = f.local(V128), a01 = f.local(V128), a10 = f.local(V128), a11 = f.local(V128);
  const y0 = f.local(V128), s0 = f.local(V128), y1 = f.local(V128), s1 = f.local(V128), ur = f.local(V128), ui = f.local(V128);
  /** acc += ur·y + ui·sy */
  const mac = (acc: number, y: number, sy: number): void => {
    f.get(acc).get(ur).get(y).f64x2Mul().f64x2Add().get(ui).get(sy).f64x2Mul().f64x2Add().set(acc);
  };
  f.i32(0).set(i);
  f.loopWhile(() => f.get(i).get(NN).ltS(), () => {
    f.i32(0).set(k);
    f.loopWhile(() => f.get(k).get(NK).ltS(), () => {
      for (const acc of [a00, a01, a10, a11]) f.v128Zero().set(acc);
      // py0 = Y + 16·P·i, py1 = py0 + 16·P; pu0 = U + 32·P·k, pu1 = pu0 + 32·P
      f.get(Y).get(NP).i32(4).shl().get(i).mul().add().tee(py0).get(NP).i32(4).shl().add().set(py1);
      f.get(U).get(NP).i32(5).shl().get(k).mul().add().tee(pu0).get(NP).i32(5).shl().add().set(pu1);
      f.get(py0).get(NP).i32(4).shl().add().set(e);
      f.loopWhile(() => f.get(py0).get(e).ltS(), () => {
        f.get(py0).v128Load(0, 4).tee(y0).get(y0).swapLanes().set(s0);
        f.get(py1).v128Load(0, 4).tee(y1).get(y1).swapLanes().set(s1);
        f.get(pu0).v128Load(0, 4).set(ur);
        f.get(pu0).v128Load(16, 4).set(ui);
        mac(a00, y0, s0); mac(a10, y1, s1);
        f.get(pu1).v128Load(0, 4).set(ur);
        f.get(pu1).v128Load(16, 4).set(ui);
        mac(a01, y0, s0); mac(a11, y1, s1);
        f.get(py0).i32(16).add().set(py0);
        f.get(py1).i32(16).add().set(py1);
        f.get(pu0).i32(32).add().set(pu0);
        f.get(pu1).i32(32).add().set(pu1);
      });
      // V[k][i], V[k][i+1], V[k+1][i], V[k+1][i+1]
      f.get(V).get(k).get(NN).mul().get(i).add().i32(4).shl().add().set(pv);
      f.get(pv).get(a00).v128Store(0, 4);
      f.get(pv).get(a10).v128Store(16, 4);
      f.get(pv).get(NN).i32(4).shl().add().tee(pv).get(a01).v128Store(0, 4);
      f.get(pv).get(a11).v128Store(16, 4);
      f.get(k).i32(2).add().set(k);
    });
    f.get(i).i32(2).add().set(i);
  });
  return f;
}

let cached: WasmKernel | null | undefined;

function kernel(): WasmKernel | null {
  if (cached === undefined) cached = instantiateKernel(build(), 'vectors', 1);
  return cached;
}

/**
 * v_k = Σ_r p_r·u_k[r]·scale_k for k < K, from the patches `rows` (P × N,
 * float32, stored conjugated: rows[r] = conj(p_r)) and the dual eigenvectors
 * `u` ([k][r] complex f64). Returns null where WebAssembly is unavailable.
 */
export function dualVectorsWasm(rows: Float32Array, P: number, N: number, u: Float64Array, K: number, scale: Float64Array): Float64Array | null {
  const k = kernel();
  if (k === null || K === 0) return null;
  const Np = N + (N & 1), Kp = K + (K & 1);
  const yAt = 0, uAt = 16 * Np * P, vAt = uAt + 32 * Kp * P;
  if (!k.ensure(vAt + 16 * Kp * Np)) return null;
  const m = new Float64Array(k.memory.buffer);
  // Yt[i][r] = p_r[i] = conj(rows[r][i])
  for (let r = 0; r < P; r++) {
    const ro = 2 * r * N;
    for (let i = 0; i < N; i++) {
      m[2 * (i * P + r)] = rows[ro + 2 * i]!;
      m[2 * (i * P + r) + 1] = -rows[ro + 2 * i + 1]!;
    }
  }
  if (Np > N) m.fill(0, 2 * N * P, 2 * Np * P);
  const u8 = uAt / 8;
  for (let kk = 0; kk < Kp; kk++) {
    const s = kk < K ? scale[kk]! : 0;
    for (let r = 0; r < P; r++) {
      const ur = kk < K ? u[2 * (kk * P + r)]! * s : 0, ui = kk < K ? u[2 * (kk * P + r) + 1]! * s : 0;
      const o = u8 + 4 * (kk * P + r);
      m[o] = ur; m[o + 1] = ur; m[o + 2] = -ui; m[o + 3] = ui;
    }
  }
  k.fn(Np, Kp, P, yAt, uAt, vAt);
  const out = new Float64Array(2 * K * N);
  const v8 = vAt / 8;
  for (let kk = 0; kk < K; kk++) out.set(m.subarray(v8 + 2 * kk * Np, v8 + 2 * kk * Np + 2 * N), 2 * kk * N);
  return out;
}

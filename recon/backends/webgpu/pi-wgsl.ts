/**
 * WGSL of the parallel-imaging kernels (pi-kernels.ts): GRAPPA in k-space on a
 * line role table, and the vector operations of the CG-SENSE loop (dot product
 * by a tree of strided partial sums, y ← α·y + β·x). Same conventions as
 * wgsl.ts: workgroups of WORKGROUP threads on a 2-D grid, uniform blocks
 * starting with (gx, total).
 */
import { HEAD, INDEX, WORKGROUP } from './wgsl.ts';

/** Values summed by one thread per pass of the dot-product reduction. */
export const REDUCE_FAN_IN = 32;

/**
 * GRAPPA in k-space, one thread per output sample t = ro + nro·(L + lines·d).
 * `geo` holds, in u32: the wrapped source-line shifts (s1, s2) of every tap
 * (source line = (e1 + s1, e2 + s2) mod (n1, n2)), then the wrapped readout
 * shifts of the kro source points, then the role of every line (0 estimated,
 * 1 source, 2 kept). `w` is [tap][cout][cin][kro].
 */
export const LINE_CONVOLUTION_WGSL = `${HEAD}
struct P { gx: u32, total: u32, nro: u32, n1: u32, lines: u32, cin: u32, cout: u32, kro: u32, taps: u32 }
@group(0) @binding(0) var<storage, read> src: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> w: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> geo: array<u32>;
@group(0) @binding(4) var<uniform> p: P;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ${INDEX}
  let ro = t % p.nro;
  let q = t / p.nro;
  let L = q % p.lines;
  let d = q / p.lines;
  let dxAt = 2u * p.taps;
  let roleAt = dxAt + p.kro;
  if (geo[roleAt + L] != 0u) { dst[t] = src[ro + p.nro * (L + p.lines * d)]; return; }
  let n2 = p.lines / p.n1;
  let e1 = L % p.n1;
  let e2 = L / p.n1;
  var acc = vec2<f32>(0.0, 0.0);
  for (var tp = 0u; tp < p.taps; tp = tp + 1u) {
    var s1 = e1 + geo[2u * tp]; if (s1 >= p.n1) { s1 = s1 - p.n1; }
    var s2 = e2 + geo[2u * tp + 1u]; if (s2 >= n2) { s2 = s2 - n2; }
    let S = s1 + p.n1 * s2;
    if (geo[roleAt + S] != 1u) { continue; }
    var wi = (tp * p.cout + d) * p.cin * p.kro;
    for (var c = 0u; c < p.cin; c = c + 1u) {
      let xb = p.nro * (S + p.lines * c);
      for (var i = 0u; i < p.kro; i = i + 1u) {
        var r = ro + geo[dxAt + i]; if (r >= p.nro) { r = r - p.nro; }
        acc = acc + cmul(w[wi], src[xb + r]);
        wi = wi + 1u;
      }
    }
  }
  dst[t] = acc;
}
`;

/** First reduction pass: out[t] = Σ a[i]·b[i] over i in [t·F, min(n, (t+1)·F)). */
export const DOT_PARTIAL_WGSL = `
struct P { gx: u32, total: u32, n: u32 }
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ${INDEX}
  let end = min(p.n, (t + 1u) * ${REDUCE_FAN_IN}u);
  var acc = 0.0;
  for (var i = t * ${REDUCE_FAN_IN}u; i < end; i = i + 1u) { acc = acc + a[i] * b[i]; }
  dst[t] = acc;
}
`;

/** Later reduction passes: out[t] = Σ src[i] over i in [t·F, min(n, (t+1)·F)). */
export const SUM_PARTIAL_WGSL = `
struct P { gx: u32, total: u32, n: u32 }
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ${INDEX}
  let end = min(p.n, (t + 1u) * ${REDUCE_FAN_IN}u);
  var acc = 0.0;
  for (var i = t * ${REDUCE_FAN_IN}u; i < end; i = i + 1u) { acc = acc + src[i]; }
  dst[t] = acc;
}
`;

/** y[t] = α·y[t] + β·x[t] over float32 values. */
export const AXPBY_WGSL = `
struct P { gx: u32, total: u32, alpha: f32, beta: f32 }
@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ${INDEX}
  y[t] = p.alpha * y[t] + p.beta * x[t];
}
`;

/**
 * The CPU reference of KernelSet.lineConvolution (GRAPPA in k-space on a line
 * role table): the loop of recon/algorithms/grappa/apply-kspace.ts in its plain
 * JavaScript form (float64 accumulation, taps in order, then channel, then
 * readout offset), without the gathering and WebAssembly that make that one fast.
 */
import { checkLineConvolution } from '../../kernels/line-convolution.ts';
import { LINE_ESTIMATED, LINE_SOURCE, type LineConvolution } from '../../kernels/types.ts';

export function lineConvolutionCpu(x: Float32Array, dims: readonly [number, number, number, number], conv: LineConvolution, roles: Uint8Array): Float32Array {
  const [kro, nt] = checkLineConvolution(x.length, dims, conv, roles);
  const [nro, n1, n2, cin] = dims;
  const cout = conv.channelsOut;
  const lines = n1 * n2, vol = nro * lines;
  const w = conv.weights;
  const out = new Float32Array(2 * vol * cout);
  const dx = Int32Array.from(conv.srcRo, (o) => ((o % nro) + nro) % nro);
  const active: number[] = [], activeS: number[] = [];
  for (let L = 0; L < lines; L++) {
    if (roles[L] !== LINE_ESTIMATED) {
      for (let d = 0; d < cout; d++) {
        const o = 2 * (nro * L + vol * d);
        out.set(x.subarray(o, o + 2 * nro), o);
      }
      continue;
    }
    const e1 = L % n1, e2 = (L - e1) / n1;
    active.length = 0;
    activeS.length = 0;
    for (let t = 0; t < nt; t++) {
      const s1 = (((e1 - conv.taps[2 * t]!) % n1) + n1) % n1, s2 = (((e2 - conv.taps[2 * t + 1]!) % n2) + n2) % n2;
      const S = s1 + n1 * s2;
      if (roles[S] !== LINE_SOURCE) continue;
      active.push(t);
      activeS.push(S);
    }
    for (let d = 0; d < cout; d++) {
      const o = 2 * (nro * L + vol * d);
      for (let ro = 0; ro < nro; ro++) {
        let re = 0, im = 0;
        for (let a = 0; a < active.length; a++) {
          const wt = 2 * (active[a]! * cout + d) * cin * kro;
          const S = activeS[a]!;
          for (let c = 0; c < cin; c++) {
            const xb = 2 * nro * (S + lines * c), wb = wt + 2 * c * kro;
            for (let i = 0; i < kro; i++) {
              let r = ro + dx[i]!;
              if (r >= nro) r -= nro;
              const wr = w[wb + 2 * i]!, wi = w[wb + 2 * i + 1]!, xr = x[xb + 2 * r]!, xi = x[xb + 2 * r + 1]!;
              re += wr * xr - wi * xi;
              im += wr * xi + wi * xr;
            }
          }
        }
        out[o + 2 * ro] = re;
        out[o + 2 * ro + 1] = im;
      }
    }
  }
  return out;
}

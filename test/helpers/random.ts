/**
 * Seeded pseudo-random test data (mulberry32), shared by the tests so that one
 * seed always gives the same numbers. Deliberately independent of the engine's
 * own generators (e.g. makeRng in recon/analysis/synthetic.ts): changing those
 * never changes test data.
 */

/** mulberry32: a seeded stream of unsigned 32-bit integers. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** mulberry32 uniforms in [0, 1). */
export function rng(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}

/** mulberry32 uniforms in (0, 1) (the 32-bit output + ½, over 2³²): never 0, safe under log() (Box–Muller). */
export function rngOpen(seed: number): () => number {
  const next = mulberry32(seed);
  return () => (next() + 0.5) / 4294967296;
}

/** mulberry32 uniforms in [-1, 1): 2·u − 1 with u from rng(seed). */
export function signedRng(seed: number): () => number {
  const u = rng(seed);
  return () => 2 * u() - 1;
}

/** rows×cols complex matrix (row-major, interleaved re/im), entries uniform in [-1, 1) from signedRng(seed). */
export function randomComplexMatrix(rows: number, cols: number, seed: number): Float64Array {
  const r = signedRng(seed);
  return Float64Array.from({ length: 2 * rows * cols }, () => r());
}

/** `count` complex float32 values (interleaved re/im), uniform in [-1, 1) from signedRng(seed). */
export function randomComplexVector(count: number, seed: number): Float32Array {
  const r = signedRng(seed);
  return Float32Array.from({ length: 2 * count }, () => r());
}

/**
 * Small dense complex linear algebra (float64, row-major interleaved; see
 * dense.ts) and the per-readout channel-matrix hot paths.
 */
export { type CMatrix, identity, conjTranspose, matMul, matMulConjTrans, conjTransMatMul, frobeniusNorm, frobeniusDiff, hermitianDefect } from './dense.ts';
export { type CholeskyOptions, choleskyLower, invertLowerTriangular } from './cholesky.ts';
export { type HermitianEigen, type EigenOptions, hermitianEigen } from './eigen.ts';
export { accumulateGram } from './gram.ts';
export { applyChannelMatrix } from './apply.ts';

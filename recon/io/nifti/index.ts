/**
 * NIfTI-1/2 input (via nifti-reader-js) and NIfTI-1 output (our own encoder).
 */
export { readNifti, MAX_VOXELS, type NiftiImage } from './read.ts';
export { niftiInfo, formatNiftiInfo, type NiftiInfo } from './info.ts';
export { writeNifti, niftiOutputKind, type WriteNiftiOptions, type WriteNiftiResult } from './write.ts';
export { type NiftiHeader, type NiftiFormat } from './header.ts';
export { type AffineSource, qformAffine, sformAffine } from './geometry.ts';
export { NIFTI_INTENT, XFORM, intentName, xformName, type XformName } from './constants.ts';
export { affineRows, affineToQform, qformToAffine } from './affine.ts';
export type { OutputDatatype } from './encode.ts';

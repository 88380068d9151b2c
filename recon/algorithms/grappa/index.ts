/**
 * GRAPPA parallel imaging (pure functions, no I/O): 2D (e1) and 3D (e1×e2)
 * kernels, Tikhonov-regularised calibration on ACS data, application in
 * k-space or as image-domain unmixing weights (the fast path for fMRI time
 * series: calibrate once, one multiply per voxel and channel per frame).
 *
 * Conventions: complex data are interleaved Float32Array; k-space is
 * [ro, e1, e2, cha] and coil images [x, y, z, cha] (fastest first, channel
 * slowest); transforms are the centred orthonormal fftc/ifftc of recon/fft;
 * calibration systems are float64. Noise is assumed prewhitened.
 *
 * Typical use:
 *   const { acs, acsDims } = extractAcs(kspace, dims);             // or a reference scan
 *   const k = grappaCalibrate(acs, acsDims, { accel: [3, 1] });
 *   const filled = grappaApplyKspace(kspace, dims, k);            // k-space path
 *   // image-domain path (time series): once
 *   const lat = latticeMask(e1, e2, [3, 1], detectLattice(mask, e1, e2, [3, 1]).offset);
 *   const u = grappaUnmixing(k, [nx, ny, nz], combineWeights(maps, [nx, ny, nz], cha));
 *   // per frame: strip off-lattice (ACS) lines, transform, one multiply-add per voxel & channel
 *   maskLines(frame, dims, lat, buf); ifftc(buf over x, y, z); image = applyUnmixing(buf, u, [nx, ny, nz], cha, out)
 *
 * The image axes are the Fourier-encoded axes [ro, e1, e2]: for 2D
 * multi-slice data call everything per slice with e2 = 1 (one kernel and one
 * set of weights serve all slices only if one ACS serves them all).
 */
export {
  type GrappaKernel, type Accel, type KernelSize, type LineTap,
  DEFAULT_KERNEL_2D, DEFAULT_KERNEL_3D, kernelSources, lineTaps,
} from './kernel.ts';
export { type GrappaCalibrationOptions, type KspaceDims, grappaCalibrate, solveCholesky } from './calibrate.ts';
export { type GrappaSampling, grappaApplyKspace } from './apply-kspace.ts';
export { type Dims3, grappaImageWeights, applyImageWeights, setImageWeightsBackend, grappaUnmixing, applyUnmixing } from './image-domain.ts';
export { type Lattice, type AcsRegion, acquiredLineMask, checkLattice, detectLattice, findAcsRegion, extractAcs, latticeMask, maskLines } from './sampling.ts';

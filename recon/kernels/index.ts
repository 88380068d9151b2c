/**
 * Compute backends behind one contract. Pipeline code uses these exports only:
 * the KernelSet interface, backend selection for --backend auto|cpu|webgpu,
 * the image reconstructor with its CPU safety net, and operators composed from
 * kernels (CG-SENSE, GRAPPA as a line convolution). The backends themselves
 * live in recon/backends/{cpu,webgpu}.
 */
export type { BackendName, DeviceArray, FftKernelOptions, KernelLimits, KernelSet, LineConvolution } from './types.ts';
export { LINE_ESTIMATED, LINE_KEPT, LINE_SOURCE } from './types.ts';
export { openBackend, selfTest, defaultGpuProvider, type BackendSelection, type GpuProvider, type ProvidedGpu, type OpenBackendOptions } from './select.ts';
export { kernelReconstructor, type KernelReconstructor, type KernelReconstructorStats } from './reconstructor.ts';
export { kernelSenseOperator, type KernelSenseOperator } from './sense-operator.ts';
export { kernelCgSense, type KernelCgSenseOptions, type KernelCgSenseResult } from './cg-sense.ts';
export { grappaLineConvolution, grappaLineRoles } from './line-convolution.ts';
export { DeviceCache } from './device-cache.ts';

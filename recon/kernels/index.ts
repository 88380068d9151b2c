/**
 * Compute backends behind one contract. Pipeline code uses these exports only:
 * the KernelSet interface, backend selection for --backend auto|cpu|webgpu,
 * the image reconstructor with its CPU safety net, and operators composed from
 * kernels. The backends themselves live in recon/backends/{cpu,webgpu}.
 */
export type { BackendName, DeviceArray, FftKernelOptions, KernelLimits, KernelSet } from './types.ts';
export { openBackend, selfTest, defaultGpuProvider, type BackendSelection, type GpuProvider, type ProvidedGpu, type OpenBackendOptions } from './select.ts';
export { kernelReconstructor, type KernelReconstructor, type KernelReconstructorStats } from './reconstructor.ts';
export { kernelSenseOperator, type KernelSenseOperator } from './sense-operator.ts';

/// <reference types="@webgpu/types" />
/**
 * A GPUDevice in Node: the `webgpu` npm package (Dawn) on Vulkan.
 *
 * - Lifetime: the object returned by `create()` must stay strongly referenced
 *   while its devices are used (otherwise it is garbage-collected mid-use and
 *   Node crashes), and must be dropped at the end (otherwise Node does not
 *   exit). One instance per process is shared by every acquisition, reference
 *   counted; the last `release()` destroys the device and drops the instance.
 * - Drivers: Dawn loads the system Vulkan loader (libvulkan.so.1, Debian package
 *   libvulkan1). Without a hardware driver, the SwiftShader ICD that ships with
 *   Chromium (or Electron) is a software fallback that Dawn accepts (Debian 12's
 *   own lavapipe is rejected). `software: 'add'` (default) adds SwiftShader to
 *   the system drivers (VK_ADD_DRIVER_FILES, so a real GPU stays visible and is
 *   preferred); `'only'` uses SwiftShader alone (VK_ICD_FILENAMES: tests, CI);
 *   `'none'` leaves the drivers alone. Nothing is changed when the Vulkan
 *   driver variables are already set. This must happen before the first
 *   instance is created (the loader reads them then).
 * - Unavailable: `acquireNodeGpu` never throws; it says why in `reason`.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software / fallback adapter (SwiftShader, lavapipe). */
  isFallbackAdapter: boolean;
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  maxComputeWorkgroupsPerDimension: number;
}

export interface NodeGpu {
  device: GPUDevice;
  adapter: AdapterSummary;
  /** One line for reports: "google swiftshader (SwiftShader driver 5.0.0), software". */
  label: string;
  /** What was done about Vulkan drivers, if anything. */
  driverNote: string;
  /** Destroys the device; drops the Dawn instance after the last release. Idempotent. */
  release(): void;
}

export type GpuAcquisition = { ok: true; gpu: NodeGpu } | { ok: false; reason: string };

export interface AcquireOptions {
  /** How to use a SwiftShader ICD when one is found (see the module comment). Default 'add'. */
  software?: 'add' | 'only' | 'none';
  powerPreference?: GPUPowerPreference;
}

const ICD_NAME = 'vk_swiftshader_icd.json';

/** The SwiftShader Vulkan ICD of an installed Chromium / Chrome / Electron, or null. UHF_VK_ICD overrides. */
export function findSwiftShaderIcd(): string | null {
  const explicit = process.env['UHF_VK_ICD'];
  if (explicit) return existsSync(explicit) ? explicit : null;
  const candidates = [
    '/usr/lib/chromium/',
    '/usr/lib64/chromium/',
    '/usr/lib/chromium-browser/',
    '/usr/lib64/chromium-browser/',
    '/usr/lib/x86_64-linux-gnu/chromium/',
    '/opt/google/chrome/',
    '/opt/chromium/',
    '/snap/chromium/current/usr/lib/chromium-browser/',
    fileURLToPath(new URL('../../node_modules/electron/dist/', import.meta.url)),
  ].map((d) => d + ICD_NAME);
  for (const c of candidates) if (existsSync(c)) return c;
  // any chrom* folder one level under the usual roots
  for (const root of ['/usr/lib', '/usr/lib64', '/opt', '/usr/local/lib']) {
    let names: string[];
    try {
      names = readdirSync(root);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!/chrom|electron/i.test(name)) continue;
      const c = `${root}/${name}/${ICD_NAME}`;
      if (existsSync(c)) return c;
    }
  }
  return null;
}

/**
 * Linux GPU device nodes (/dev/dri/renderD*, /dev/nvidia*); empty when there is
 * no GPU, null on other systems (unknown). Lets `--backend auto` skip loading
 * Dawn on machines without a GPU.
 */
export function gpuDeviceNodes(): string[] | null {
  if (process.platform !== 'linux') return null;
  const found: string[] = [];
  try {
    for (const n of readdirSync('/dev/dri')) if (n.startsWith('renderD')) found.push(`/dev/dri/${n}`);
  } catch {
    // no /dev/dri
  }
  try {
    for (const n of readdirSync('/dev')) if (/^nvidia\d+$/.test(n)) found.push(`/dev/${n}`);
  } catch {
    // unreadable /dev
  }
  return found;
}

function vulkanLoaderPresent(): boolean {
  return ['/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1', '/usr/lib/libvulkan.so.1', '/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1']
    .some((p) => existsSync(p)) || Boolean(process.env['LD_LIBRARY_PATH']);
}

let envPrepared: string | null = null;

/**
 * SwiftShader prints "XDG_RUNTIME_DIR is invalid or not set" twice per instance
 * (headless machines, CI): give it a private runtime folder when there is none.
 */
function quietSwiftShader(): void {
  if (process.env['XDG_RUNTIME_DIR']) return;
  try {
    const dir = join(tmpdir(), `uhf-runtime-${process.getuid?.() ?? 'user'}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    process.env['XDG_RUNTIME_DIR'] = dir;
  } catch {
    // only cosmetic
  }
}

/**
 * Points the Vulkan loader at SwiftShader per `mode` (see the module comment).
 * Takes effect for the next Dawn instance; once set, the variables stay for the
 * rest of the process.
 */
export function prepareVulkanDrivers(mode: 'add' | 'only' | 'none'): string {
  if (envPrepared !== null) return envPrepared;
  const env = process.env;
  if (env['VK_ICD_FILENAMES'] || env['VK_DRIVER_FILES']) {
    if (/swiftshader/i.test(`${env['VK_ICD_FILENAMES'] ?? ''}${env['VK_DRIVER_FILES'] ?? ''}`)) quietSwiftShader();
    return `Vulkan drivers from ${env['VK_DRIVER_FILES'] ? 'VK_DRIVER_FILES' : 'VK_ICD_FILENAMES'}`;
  }
  if (mode === 'none') return 'system Vulkan drivers';
  const icd = findSwiftShaderIcd();
  if (!icd) return 'system Vulkan drivers (no SwiftShader ICD found)';
  quietSwiftShader();
  if (mode === 'only') {
    env['VK_ICD_FILENAMES'] = icd;
    envPrepared = `SwiftShader only (${icd})`;
  } else {
    env['VK_ADD_DRIVER_FILES'] = env['VK_ADD_DRIVER_FILES'] ? `${env['VK_ADD_DRIVER_FILES']}:${icd}` : icd;
    envPrepared = `system Vulkan drivers + SwiftShader (${icd})`;
  }
  return envPrepared;
}

interface InstanceState {
  gpu: GPU;
  refs: number;
}

let state: InstanceState | null = null;
const holder = globalThis as { __uhfDawnInstance?: GPU };

async function instance(): Promise<InstanceState | string> {
  if (state) return state;
  let mod: { create: (flags: string[]) => GPU; globals: object };
  try {
    mod = (await import('webgpu')) as unknown as typeof mod;
  } catch (e) {
    return `the 'webgpu' package (Dawn for Node) could not be loaded: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
  }
  // GPUBufferUsage, GPUMapMode … as globals, as in a browser (harmless when already there).
  for (const [k, v] of Object.entries(mod.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  const gpu = mod.create([]);
  holder.__uhfDawnInstance = gpu; // strong reference: see the module comment
  state = { gpu, refs: 0 };
  return state;
}

function dropInstanceIfUnused(): void {
  if (state && state.refs === 0) {
    state = null;
    delete holder.__uhfDawnInstance;
  }
}

function summarise(a: GPUAdapter): AdapterSummary {
  const i = a.info;
  return {
    vendor: i.vendor,
    architecture: i.architecture,
    device: i.device,
    description: i.description,
    isFallbackAdapter: Boolean((i as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? (a as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter),
    maxBufferSize: a.limits.maxBufferSize,
    maxStorageBufferBindingSize: a.limits.maxStorageBufferBindingSize,
    maxComputeWorkgroupsPerDimension: a.limits.maxComputeWorkgroupsPerDimension,
  };
}

export function adapterLabel(a: AdapterSummary): string {
  const name = [a.vendor, a.architecture].filter(Boolean).join(' ') || a.device || 'unknown adapter';
  return `${name}${a.description ? ` (${a.description})` : ''}${a.isFallbackAdapter ? ', software' : ''}`;
}

/** A GPUDevice with the adapter's full buffer limits, or why there is none. */
export async function acquireNodeGpu(opts: AcquireOptions = {}): Promise<GpuAcquisition> {
  const driverNote = prepareVulkanDrivers(opts.software ?? 'add');
  const st = await instance();
  if (typeof st === 'string') return { ok: false, reason: st };
  st.refs++;
  let device: GPUDevice | null = null;
  try {
    const adapter = await st.gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
    if (!adapter) {
      st.refs--;
      dropInstanceIfUnused();
      const why = vulkanLoaderPresent()
        ? `no Vulkan driver that Dawn accepts (${driverNote}); install a GPU driver, or Chromium for its SwiftShader software driver`
        : 'the Vulkan loader libvulkan.so.1 (Debian package libvulkan1) is missing';
      return { ok: false, reason: `no WebGPU adapter: ${why}` };
    }
    const summary = summarise(adapter);
    const l = adapter.limits;
    device = await adapter.requestDevice({
      label: 'uhf',
      requiredLimits: {
        maxBufferSize: l.maxBufferSize,
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      },
    });
    const dev = device;
    let released = false;
    return {
      ok: true,
      gpu: {
        device: dev,
        adapter: summary,
        label: adapterLabel(summary),
        driverNote,
        release() {
          if (released) return;
          released = true;
          try {
            dev.destroy();
          } finally {
            if (state) {
              state.refs--;
              dropInstanceIfUnused();
            }
          }
        },
      },
    };
  } catch (e) {
    device?.destroy();
    if (state) {
      state.refs--;
      dropInstanceIfUnused();
    }
    return { ok: false, reason: `WebGPU device creation failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
}

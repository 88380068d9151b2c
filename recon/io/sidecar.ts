/**
 * BIDS-style JSON sidecar (OUT.json beside OUT.nii.gz) recording how an
 * output was made: inputs with their SHA-256, parameters, software version,
 * timings and date. Written atomically, like the image itself.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UhfError } from '../../shared/errors.ts';
import { assertNotInput, writeFileAtomic } from './atomic.ts';

export interface Provenance {
  /** Input files; each is hashed (streamed) into the sidecar. */
  inputs?: readonly string[];
  /** Command parameters as given/resolved. */
  parameters?: Record<string, unknown>;
  /** Stage durations in seconds, e.g. { recon: 1.2, write: 0.1 }. */
  timingsSec?: Record<string, number>;
  /** Override the timestamp (tests, reproducible builds). */
  date?: Date;
  /** Any further top-level fields (BIDS keys such as RepetitionTime, TaskName...). */
  extra?: Record<string, unknown>;
}

export interface SidecarInput {
  Path: string;
  SHA256: string;
  Bytes: number;
}

/** SHA-256 (hex) of a file, read as a stream so large inputs are never held in memory. */
export function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    const stream = createReadStream(path, { flags: 'r' });
    stream.on('data', (chunk: Buffer | string) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      bytes += buf.length;
      hash.update(buf);
    });
    stream.on('error', (err) =>
      reject(new UhfError('BAD_ARGUMENT', `cannot hash input: ${err.message}`, { file: path, cause: err })),
    );
    stream.on('end', () => resolvePromise({ sha256: hash.digest('hex'), bytes }));
  });
}

/** OUT.nii.gz / OUT.nii → OUT.json (BIDS sidecar naming). */
export function sidecarPathFor(niftiPath: string): string {
  const stem = niftiPath.replace(/\.nii(\.gz)?$/i, '');
  if (stem === niftiPath) {
    throw new UhfError('BAD_ARGUMENT', 'sidecar needs a .nii or .nii.gz path', { file: niftiPath });
  }
  return `${stem}.json`;
}

let softwareCache: { name: string; version: string } | undefined;

/** name/version from the repository's package.json, read once. */
export async function softwareInfo(): Promise<{ name: string; version: string }> {
  if (!softwareCache) {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      name?: string;
      version?: string;
    };
    softwareCache = { name: pkg.name ?? 'uhf-workbench', version: pkg.version ?? '0.0.0' };
  }
  return softwareCache;
}

/** Build the sidecar object (no I/O besides hashing inputs and reading package.json). */
export async function buildSidecar(provenance: Provenance): Promise<Record<string, unknown>> {
  const software = await softwareInfo();
  const inputs: SidecarInput[] = [];
  for (const path of provenance.inputs ?? []) {
    const { sha256, bytes } = await sha256File(path);
    inputs.push({ Path: resolve(path), SHA256: sha256, Bytes: bytes });
  }
  return {
    ...provenance.extra,
    GeneratedBy: [{ Name: software.name, Version: software.version }],
    Sources: inputs,
    Parameters: provenance.parameters ?? {},
    TimingsSec: provenance.timingsSec ?? {},
    DateTime: (provenance.date ?? new Date()).toISOString(),
  };
}

/** Write OUT.json beside `niftiPath`; returns the sidecar's path. */
export async function writeSidecar(niftiPath: string, provenance: Provenance): Promise<string> {
  const path = sidecarPathFor(niftiPath);
  await assertNotInput(path, provenance.inputs ?? []);
  const body = await buildSidecar(provenance);
  await writeFileAtomic(path, new TextEncoder().encode(`${JSON.stringify(body, null, 2)}\n`));
  return path;
}

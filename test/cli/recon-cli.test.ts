/**
 * `uhf` and `uhf recon` as a user runs them: `node bin/uhf.mjs …` in a subprocess
 * from the repository root. Help exits 0; a reconstruction writes the image, a
 * JSON sidecar beside it (with the input's SHA-256) and, with --json, a report on
 * stdout; wrong usage exits 1 with one line on stderr.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeIsmrmrd } from '../../recon/io/ismrmrd/writer.ts';
import { readNifti } from '../../recon/io/nifti/index.ts';
import { presetParams, simulate } from '../../recon/sim/index.ts';
import { tempDir } from '../helpers/peers.ts';
import { lines, listDir, uhf, uhfInProcess } from '../helpers/recon.ts';

const tmp = tempDir('uhf-cli-recon-');
afterAll(() => tmp.cleanup());

let input: string;
beforeAll(async () => {
  const scan = simulate(presetParams('test-small', { coils: 3, slices: 2, repetitions: 2 }));
  input = join(tmp.dir, 'scan.h5');
  await writeIsmrmrd(input, scan.header, scan.acquisitions());
});

const sha256 = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('help', () => {
  it('uhf --help and uhf recon --help exit 0 and describe the options', () => {
    const top = uhf(['--help']);
    expect(top.status).toBe(0);
    expect(top.stdout).toMatch(/^usage: uhf <command>/);
    for (const c of ['info', 'recon', 'simulate']) expect(top.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    const r = uhf(['recon', '--help']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^usage: uhf recon IN\.h5 -o OUT\.nii\.gz/);
    for (const opt of ['--combine', 'adaptive', 'walsh', 'inati', '--pi', 'grappa', 'sense', '--backend', 'webgpu', '--coils', '--phase', '--partial-fourier', 'homodyne', 'zerofill', '--no-prewhiten', '--threads', '--json']) {
      expect(r.stdout).toContain(opt);
    }
  });
});

describe('uhf recon', () => {
  it('--json: the report (backend, timings, peak memory, outputs) and a sidecar with the input SHA-256', () => {
    const dir = join(tmp.dir, 'run1');
    mkdirSync(dir);
    const out = join(dir, 'recon.nii.gz');
    const r = uhf(['recon', input, '-o', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(['cpu', 'webgpu']).toContain(report.backend);
    expect(typeof report.backendReason).toBe('string');
    const timings = report.timingsMs as Record<string, number>;
    expect(Object.keys(timings)).toEqual(expect.arrayContaining(['open', 'prepare', 'reconstruct']));
    for (const v of Object.values(timings)) expect(v).toBeGreaterThanOrEqual(0);
    expect(report.peakRssMB).toBeGreaterThan(10);
    expect(report.peakRssMB).toBeLessThan(4096);
    expect(report.outputs).toEqual([out]);
    expect(report.warnings).toEqual([]);
    expect((report.plan as { reconMatrix: number[] }).reconMatrix).toEqual([32, 32, 1]);
    expect((report.noise as { prewhitened: boolean }).prewhitened).toBe(true);
    expect(listDir(dir)).toEqual(['recon.json', 'recon.nii.gz']);
    const sidecar = JSON.parse(readFileSync(join(dir, 'recon.json'), 'utf8')) as {
      Sources: { Path: string; SHA256: string; Bytes: number }[];
      Parameters: Record<string, unknown>;
      RepetitionTime?: number;
      GeneratedBy: { Name: string }[];
    };
    expect(sidecar.Sources).toHaveLength(1);
    expect(sidecar.Sources[0]!.Path).toBe(input);
    expect(sidecar.Sources[0]!.SHA256).toBe(sha256(input));
    expect(sidecar.Sources[0]!.Bytes).toBe(readFileSync(input).length);
    expect(sidecar.Parameters).toMatchObject({ combine: 'rss', prewhiten: 'auto', backend: report.backend });
    expect(sidecar.RepetitionTime).toBeCloseTo(2, 9);
    expect(sidecar.GeneratedBy[0]!.Name).toBe('uhf-workbench');
  });

  it('walsh with --phase, --int16, --coils, --no-prewhiten: magnitude and phase images, each with its sidecar', async () => {
    const dir = join(tmp.dir, 'run2');
    mkdirSync(dir);
    const out = join(dir, 'r.nii.gz');
    const r = uhf(['recon', input, '-o', out, '--combine', 'adaptive', '--phase', '--int16', '--coils', '2', '--no-prewhiten', '--threads', '0', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { outputs: string[]; parameters: Record<string, unknown>; coilCompression: { from: number; to: number }; noise: { prewhitened: boolean } };
    expect(report.outputs).toEqual([out, join(dir, 'r_phase.nii.gz')]);
    expect(report.parameters).toMatchObject({ combine: 'walsh', phase: true, coils: 2, prewhiten: 'off' });
    expect(report.coilCompression).toMatchObject({ from: 3, to: 2 });
    expect(report.noise.prewhitened).toBe(false);
    expect(listDir(dir)).toEqual(['r.json', 'r.nii.gz', 'r_phase.json', 'r_phase.nii.gz']);
    const mag = await readNifti(out);
    const phase = await readNifti(join(dir, 'r_phase.nii.gz'));
    expect(mag.header.datatype).toBe('int16');
    expect(mag.volume.dims).toEqual([32, 32, 2, 2]);
    expect(phase.volume.dims).toEqual([32, 32, 2, 2]);
    expect(phase.volume.affine).toEqual(mag.volume.affine);
    let maxAbs = 0;
    for (const v of phase.volume.data) maxAbs = Math.max(maxAbs, Math.abs(v));
    expect(maxAbs).toBeLessThanOrEqual(Math.PI + 1e-3);
    expect(maxAbs).toBeGreaterThan(1);
  });

  it('without --json: warnings and a summary on stderr, nothing on stdout', () => {
    const dir = join(tmp.dir, 'run3');
    mkdirSync(dir);
    const r = uhf(['recon', input, '-o', join(dir, 'q.nii')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^wrote .*q\.nii \(/);
    expect(listDir(dir)).toEqual(['q.json', 'q.nii']);
  });

  it('wrong usage exits 1 with one line on stderr and writes nothing', async () => {
    const dir = join(tmp.dir, 'bad');
    mkdirSync(dir);
    const out = join(dir, 'x.nii.gz');
    const cases: [string[], RegExp][] = [
      [['recon'], /expected exactly one input file/],
      [['recon', input], /missing -o/],
      [['recon', input, input, '-o', out], /expected exactly one input file/],
      [['recon', input, '-o', join(dir, 'x.img')], /must end in \.nii\.gz or \.nii/],
      [['recon', input, '-o', out, '--bogus'], /Unknown option '--bogus'/],
      [['recon', input, '-o'], /argument missing|-o/i],
      [['recon', input, '-o', out, '--combine', 'best'], /--combine must be one of rss, adaptive, walsh, inati/],
      [['recon', input, '-o', out, '--pi', 'magic'], /--pi must be one of auto, none, grappa, sense/],
      [['recon', input, '-o', out, '--backend', 'cuda'], /--backend must be one of auto, cpu, webgpu/],
      [['recon', input, '-o', out, '--coils', '0'], /--coils must be an integer ≥ 1/],
      [['recon', input, '-o', out, '--threads=-1'], /--threads must be an integer ≥ 0/],
      // Node's parseArgs explains this one over three lines: joined into one.
      [['recon', input, '-o', out, '--threads', '-1'], /'--threads' argument is ambiguous.*'--threads=-XYZ'/],
      [['recon', input, '-o', out, '--partial-fourier', 'guess'], /--partial-fourier must be one of/],
      [['recon', input, '-o', out, '--phase'], /phase image needs map-based coil combination/],
      [['recon', join(dir, 'missing.h5'), '-o', out], /missing\.h5/],
    ];
    // The first few as a real process (exit code, streams); the rest through main() in-process.
    for (const [n, [args, message]] of cases.entries()) {
      const r = n < 3 ? uhf(args) : await uhfInProcess(args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(1);
      expect(r.stdout).toBe('');
      const err = lines(r.stderr);
      expect(err, `${args.join(' ')}: ${r.stderr}`).toHaveLength(1);
      expect(err[0]).toMatch(/^uhf recon: /);
      expect(err[0]).toMatch(message);
    }
    expect(listDir(dir)).toEqual([]);
  });

  it('an unknown command exits 1 and names it', () => {
    const r = uhf(['reconstruct', input]);
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(lines(r.stderr)[0]).toMatch(/^uhf: unknown command 'reconstruct' \(commands: info, recon, /);
    const none = uhf([]);
    expect(none.status).toBe(1);
    expect(none.stdout).toMatch(/^usage: uhf/);
  });
});

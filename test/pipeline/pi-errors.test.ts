/**
 * Parallel imaging that cannot work must fail with a clear error that says what
 * is missing, never return a silently aliased image: too few ACS lines for the
 * GRAPPA kernel or for ESPIRiT, acceleration with no calibration data at all
 * (embedded or separate), more acceleration than coils (from the header, from a
 * header without a channel count, or after coil compression). `--pi none` on the
 * same data is the only way to an aliased image, and it says so in a warning.
 *
 * Files: the simulator's 7 T preset reduced to 48² (readout oversampling 2), one
 * slice, 8 coils, noise-free, written with our ISMRMRD writer.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isUhfError } from '../../shared/errors.ts';
import type { IsmrmrdHeader } from '../../shared/ismrmrd.ts';
import { writeIsmrmrd } from '../../recon/io/ismrmrd/writer.ts';
import type { ReconOptions } from '../../recon/pipeline/options.ts';
import { reconstructFile } from '../../recon/pipeline/run.ts';
import { presetParams, simulate, type SimParams } from '../../recon/sim/index.ts';
import { tempDir } from '../helpers/peers.ts';
import { lines, uhf } from '../helpers/recon.ts';

const tmp = tempDir('uhf-pi-err-');
afterAll(() => tmp.cleanup());

let fileNo = 0;
async function simFile(o: Partial<SimParams>, tamper?: (h: IsmrmrdHeader) => void): Promise<string> {
  const scan = simulate(presetParams('7t-anat', { matrix: [48, 48], slices: 1, coils: 8, noiseSigma: 0, ...o }));
  const header = structuredClone(scan.header);
  tamper?.(header);
  const f = join(tmp.dir, `pi-${fileNo++}.h5`);
  await writeIsmrmrd(f, header, scan.acquisitions());
  return f;
}

async function failure(file: string, options: ReconOptions): Promise<Error> {
  try {
    const r = await reconstructFile(file, { workers: 0, ...options });
    throw new Error(`expected an error, got ${r.volumes.length} volume(s) (warnings: ${r.report.warnings.join('; ')})`);
  } catch (e) {
    expect(isUhfError(e), `expected a UhfError, got ${String(e)}`).toBe(true);
    expect((e as { code: string }).code).toBe('UNSUPPORTED_DATA');
    return e as Error;
  }
}

describe('parallel imaging that cannot work is an error, not an aliased image', () => {
  it('no calibration data at all (embedded and separate mode): names the missing ACS lines, for every --pi', async () => {
    const embedded = await simFile({ acceleration: 3, acsLines: 0 });
    const separate = await simFile({ acceleration: 2, acsLines: 0, calibrationMode: 'separate' });
    for (const [file, mode, R] of [[embedded, 'embedded', 3], [separate, 'separate', 2]] as const) {
      for (const pi of ['auto', 'grappa', 'sense'] as const) {
        const e = await failure(file, { pi });
        expect(e.message).toMatch(new RegExp(`undersampled \\(R = ${R}×1\\) but there are no calibration \\(ACS\\) lines around the k-space centre \\(calibration mode ${mode}\\); use --pi none`));
      }
    }
    // The only way to the aliased image: asked for, with a warning that says so.
    const r = await reconstructFile(embedded, { workers: 0, pi: 'none' });
    expect(r.report.warnings.join('\n')).toMatch(/undersampled \(R = 3×1\) and parallel imaging is off: the image is zero-filled and aliased/);
    expect(r.report.parallelImaging).toBeUndefined();
  });

  it('a token calibration block (2 lines): says how many there are and how many are needed', async () => {
    const f = await simFile({ acceleration: 3, acsLines: 2 });
    for (const pi of ['auto', 'grappa', 'sense'] as const) {
      const e = await failure(f, { pi });
      expect(e.message).toMatch(/there are only 2 contiguous calibration \(ACS\) lines at the k-space centre \(at least 4 are needed/);
    }
  });

  it('too few ACS lines for the GRAPPA kernel (6 at R = 3) and for ESPIRiT (6 < 12): what the kernel needs', async () => {
    const f = await simFile({ acceleration: 3, acsLines: 6 });
    for (const pi of ['auto', 'grappa'] as const) {
      const e = await failure(f, { pi });
      expect(e.message).toMatch(/too few ACS lines for the kernel 5×4×1 at R = 3×1: 6 ACS lines in e1 \(phase\), the kernel spans 10; need at least 10 ACS lines in e1/);
    }
    const e = await failure(f, { pi: 'sense' });
    expect(e.message).toMatch(/SENSE calibration \(ESPIRiT\): too few ACS lines: 6 contiguous lines in e1 \(phase\) at the k-space centre, ESPIRiT's 6×6 kernel needs at least 12/);
  });

  it('an ACS block that spans the kernel but gives fewer fits than unknowns (10 lines, 8 coils, 48²): how many lines it needs', async () => {
    const f = await simFile({ acceleration: 3, acsLines: 10 });
    const e = await failure(f, { pi: 'grappa' });
    expect(e.message).toMatch(/too few ACS lines for the kernel 5×4×1 at R = 3×1 with 8 channels: .* kernel fits for 160 unknowns per target; need at least \d+ ACS lines in e1 \(have 10\)/);
  });

  it('more acceleration than coils: from the header, without a channel count in the header, after coil compression', async () => {
    const twoCoils = await simFile({ coils: 2, acceleration: 3, acsLines: 24 });
    for (const pi of ['auto', 'grappa', 'sense'] as const) {
      expect((await failure(twoCoils, { pi })).message).toMatch(/acceleration R = 3×1 = 3 exceeds the 2 receive channels: parallel imaging cannot unfold it/);
    }
    const noCount = await simFile({ coils: 2, acceleration: 3, acsLines: 24 }, (h) => {
      delete (h.acquisitionSystemInformation as { receiverChannels?: number }).receiverChannels;
    });
    for (const pi of ['grappa', 'sense'] as const) {
      expect((await failure(noCount, { pi })).message).toMatch(/acceleration R = 3×1 = 3 exceeds the 2 receive channels: parallel imaging cannot unfold more aliased copies than there are coils/);
    }
    const eight = await simFile({ coils: 8, acceleration: 3, acsLines: 24 });
    for (const pi of ['grappa', 'sense'] as const) {
      expect((await failure(eight, { pi, coils: 2 })).message).toMatch(/R = 3×1 = 3 exceeds the 2 virtual coils left after coil compression.*compress to at least R coils/);
    }
    // …and the same file with enough virtual coils reconstructs.
    const ok = await reconstructFile(eight, { workers: 0, pi: 'grappa', coils: 4 });
    expect(ok.report.coilCompression).toMatchObject({ from: 8, to: 4 });
    expect(ok.report.parallelImaging?.calibratedSlices).toBe(1);
  });

  it('uhf recon: exit 1, the message on one stderr line, no output file', async () => {
    const f = await simFile({ acceleration: 3, acsLines: 0 });
    const out = join(tmp.dir, 'never.nii.gz');
    const r = uhf(['recon', f, '-o', out, '--pi', 'grappa']);
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^uhf recon: .*no calibration \(ACS\) lines around the k-space centre/);
    expect(existsSync(out)).toBe(false);
  });
});

/**
 * Our streamed ISMRMRD reader against an independent reader (h5py), on files made by
 * libismrmrd's own generator with varied options: every header field and every
 * sample must be equal.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { flagNames, hasFlag } from '../../shared/ismrmrd.ts';
import { asFileFields, readAll } from '../helpers/ismrmrd.ts';
import { generateSheppLogan, python, tempDir } from '../helpers/peers.ts';

const DUMP = join(import.meta.dirname, '..', 'peers', 'dump_ismrmrd.py');
const tmp = tempDir();
afterAll(() => tmp.cleanup());

interface PeerRow {
  [k: string]: unknown;
  idx: Record<string, number | number[]>;
  traj_len: number;
  data_len: number;
}

function peerDump(file: string): { xml: string; count: number; rows: PeerRow[]; floats: Float32Array } {
  const bin = `${file}.peer.bin`;
  const out = JSON.parse(python(DUMP, [file, bin])) as { xml: string; count: number; rows: PeerRow[] };
  const bytes = readFileSync(bin);
  return { ...out, floats: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) };
}

const CASES = [
  { name: 'defaults-small', opts: { matrix: 32, coils: 4 } },
  { name: 'noise-calibration', opts: { matrix: 48, coils: 8, noiseCalibration: true } },
  { name: 'accelerated-acs', opts: { matrix: 64, coils: 8, acceleration: 2, calibrationWidth: 16, oversampling: 2 } },
  { name: 'repetitions-R3', opts: { matrix: 40, coils: 3, repetitions: 3, acceleration: 3, calibrationWidth: 12, noiseCalibration: true } },
  { name: 'no-oversampling', opts: { matrix: 24, coils: 2, oversampling: 1, noiseLevel: 0 } },
];

describe('ISMRMRD reader vs h5py on ismrmrd-tools files', () => {
  for (const c of CASES) {
    it(`${c.name}: every header field and sample equals h5py`, async () => {
      const file = join(tmp.dir, `${c.name}.h5`);
      generateSheppLogan(file, c.opts);
      const peer = peerDump(file);
      const ours = await readAll(file, 7);
      expect(ours.count).toBe(peer.count);
      expect(ours.xml).toBe(peer.xml);
      expect(ours.acqs.length).toBe(peer.rows.length);
      let at = 0;
      for (let i = 0; i < peer.rows.length; i++) {
        const a = ours.acqs[i]!;
        // Float fields: h5py gives float64 of the same float32, so exact equality holds.
        expect(asFileFields(a)).toEqual(peer.rows[i]);
        const traj = peer.floats.subarray(at, at + a.traj.length);
        at += a.traj.length;
        const data = peer.floats.subarray(at, at + a.data.length);
        at += a.data.length;
        expect(Buffer.from(a.traj.buffer, a.traj.byteOffset, a.traj.byteLength).equals(Buffer.from(traj.buffer, traj.byteOffset, traj.byteLength))).toBe(true);
        expect(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(data.buffer, data.byteOffset, data.byteLength))).toBe(true);
      }
      expect(at).toBe(peer.floats.length);
    });
  }

  it('summarises what the generator declared', async () => {
    const file = join(tmp.dir, 'summary.h5');
    generateSheppLogan(file, { matrix: 64, coils: 8, acceleration: 2, calibrationWidth: 16, repetitions: 2, noiseCalibration: true });
    const ours = await readAll(file, 64);
    const { summary, acqs } = ours;
    expect(summary.receiverChannels).toBe(8);
    expect(summary.encodedMatrix).toEqual([128, 64, 1]);
    expect(summary.reconMatrix).toEqual([64, 64, 1]);
    // With -a 2 the generator interleaves: it writes repetitions × acceleration frames.
    expect(summary.repetitions).toBe(4);
    expect(summary.repetitions).toBe((ours.header.encoding[0]!.encodingLimits.repetition?.maximum ?? 0) + 1);
    expect(summary.acceleration).toEqual([2, 1]);
    expect(summary.calibrationMode).toBe('interleaved');
    expect(summary.trajectory).toBe('cartesian');
    const noise = acqs.filter((a) => hasFlag(a.head.flags, 'IS_NOISE_MEASUREMENT')).length;
    const cal = acqs.filter((a) => hasFlag(a.head.flags, 'IS_PARALLEL_CALIBRATION') || hasFlag(a.head.flags, 'IS_PARALLEL_CALIBRATION_AND_IMAGING')).length;
    expect(summary.noiseAcquisitions).toBe(noise);
    expect(noise).toBeGreaterThan(0);
    expect(summary.calibrationAcquisitions).toBe(cal);
    expect(summary.acquisitions).toBe(acqs.length);
    // Bit positions as in ismrmrd.h: noise is bit 19 (value 2^18), the generator's last line bit 8.
    expect(flagNames(acqs[0]!.head.flags)).toEqual(['IS_NOISE_MEASUREMENT']);
    expect(acqs[0]!.head.flags).toBe(262144n);
    expect(flagNames(acqs[acqs.length - 1]!.head.flags)).toEqual(['LAST_IN_SLICE']);
  });
});

/**
 * Our NIfTI-1 writer, checked by nibabel (Debian's /usr/bin/python3): the
 * sform and the qform, the values, TR/units and intent must come back as
 * written.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAffine, type Affine, type Volume } from '../../shared/volume.ts';
import { NIFTI_INTENT, readNifti, writeNifti, type WriteNiftiOptions } from '../../recon/io/nifti/index.ts';
import { SKIP_NIBABEL, runPythonJson } from '../helpers/python.ts';

type M3 = number[][];
const mul = (a: M3, b: M3): M3 => a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
const rot = (axis: 0 | 1 | 2, deg: number): M3 => {
  const c = Math.cos((deg * Math.PI) / 180);
  const s = Math.sin((deg * Math.PI) / 180);
  const [i, j] = axis === 0 ? [1, 2] : axis === 1 ? [2, 0] : [0, 1];
  const m = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  m[i]![i] = c; m[i]![j] = -s; m[j]![i] = s; m[j]![j] = c;
  return m;
};
/** affine = M · diag(zooms) + t */
function makeAffine(m: M3, zooms: number[], t: number[]): Affine {
  const out: number[] = [];
  for (let r = 0; r < 3; r++) out.push(...[0, 1, 2].map((c) => m[r]![c]! * zooms[c]!), t[r]!);
  return asAffine([...out, 0, 0, 0, 1]);
}

const OBLIQUE = mul(mul(rot(2, 20), rot(0, -15)), rot(1, 7));
const RIGHT_HANDED = makeAffine(OBLIQUE, [0.8, 0.9, 1.5], [-90.5, 110.25, -40.125]);
// Radiological storage: x column flipped, so det < 0 and the qform needs qfac = -1.
const LEFT_HANDED = makeAffine(OBLIQUE, [-1.2, 1.1, 2.0], [95.0, -120.5, -60.75]);
// A general affine with shear: sform is exact, qform can only approximate it.
const SHEARED = asAffine([1.0, 0.3, 0.0, -10, 0.1, 1.2, 0.2, 20, 0.0, -0.15, 2.0, 30, 0, 0, 0, 1]);

/** Deterministic pseudo-random values (LCG) with sign, spread and a few exact integers. */
function values(n: number, seed: number, integers = false): Float32Array {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return Float32Array.from({ length: n }, () => (integers ? Math.round((next() - 0.5) * 2000) : (next() - 0.3) * 1234.5));
}

function volume(dims: [number, number, number, number], affine: Affine, data: Float32Array, extra: Partial<Volume> = {}): Volume {
  return { dims, affine, data, ...extra };
}

interface Case {
  name: string;
  volume: Volume;
  options?: WriteNiftiOptions;
}

interface NibResult {
  shape: number[];
  sform: number[][];
  qform: number[][];
  affine: number[][];
  sform_code: number;
  qform_code: number;
  qfac: number;
  data: number[];
  zooms: number[];
  units: [string, string];
  intent: [string, number[], string];
  descrip: string;
  dtype: string;
  slope: number;
  inter: number;
  vox_offset: number;
  magic: string;
  nib_qform_of_input: number[][];
}

const CASES: Case[] = [
  { name: 'f32_3d_oblique.nii.gz', volume: volume([5, 4, 3, 1], RIGHT_HANDED, values(60, 1), { description: 'oblique 3D' }) },
  {
    name: 'f32_4d_lefthanded.nii',
    volume: volume([4, 3, 2, 6], LEFT_HANDED, values(144, 2), { trSec: 0.7 }),
    options: { xformCode: 'aligned' },
  },
  { name: 'i16_3d_scaled.nii.gz', volume: volume([6, 5, 4, 1], LEFT_HANDED, values(120, 3)), options: { datatype: 'int16' } },
  {
    name: 'i16_4d_integers.nii.gz',
    volume: volume([3, 3, 2, 4], RIGHT_HANDED, values(72, 4, true), { trSec: 2.5 }),
    options: { datatype: 'int16', qformCode: 'scanner', sformCode: 'aligned' },
  },
  {
    name: 'tmap.nii.gz',
    volume: volume([4, 4, 3, 1], RIGHT_HANDED, values(48, 5), {
      intentCode: NIFTI_INTENT.TTEST,
      intentParams: [23, 0, 0],
      intentName: 't-stat',
      description: 'GLM contrast',
    }),
  },
  {
    name: 'fmap.nii',
    volume: volume([3, 2, 2, 1], LEFT_HANDED, values(12, 6)),
    options: { intentCode: NIFTI_INTENT.FTEST, intentParams: [3, 40, 0], intentName: 'F' },
  },
  { name: 'sheared.nii.gz', volume: volume([3, 4, 5, 1], SHEARED, values(60, 7)) },
];

const READ_BACK = String.raw`
import nibabel as nib, numpy as np
def raw_header(path):
    with nib.openers.ImageOpener(path) as f:
        return nib.Nifti1Header.from_fileobj(f)
out = {}
for case in INPUT:
    img = nib.load(case['path'])
    h = img.header
    probe = nib.Nifti1Header()
    probe.set_qform(np.array(case['affine']).reshape(4, 4))
    out[case['name']] = dict(
        shape=list(img.shape), sform=h.get_sform(), qform=h.get_qform(), affine=img.affine,
        sform_code=int(h['sform_code']), qform_code=int(h['qform_code']), qfac=float(h['pixdim'][0]),
        data=np.asarray(img.get_fdata()).ravel(order='F'), zooms=[float(z) for z in h.get_zooms()],
        units=list(h.get_xyzt_units()), intent=[h.get_intent()[0], list(h.get_intent()[1]), h.get_intent()[2]],
        descrip=h['descrip'].item(), dtype=str(h.get_data_dtype()),
        slope=float(img.dataobj.slope), inter=float(img.dataobj.inter),
        vox_offset=int(img.dataobj.offset), magic=raw_header(case['path'])['magic'].item(),
        nib_qform_of_input=probe.get_qform(),
    )
emit(out)
`;

function maxAbsDiff(a: number[][], b: readonly number[]): number {
  return Math.max(...a.flat().map((v, i) => Math.abs(v - b[i]!)));
}

describe.skipIf(SKIP_NIBABEL)('writeNifti → nibabel', () => {
  let dir: string;
  let nib: Record<string, NibResult>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'uhf-nifti-write-'));
    for (const c of CASES) await writeNifti(join(dir, c.name), c.volume, c.options);
    nib = await runPythonJson<Record<string, NibResult>>(
      READ_BACK,
      CASES.map((c) => ({ name: c.name, path: join(dir, c.name), affine: [...c.volume.affine] })),
    );
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each(CASES.filter((c) => c.name !== 'sheared.nii.gz').map((c) => [c.name, c] as const))(
    '%s: sform, qform and best affine equal the written affine',
    (name, c) => {
      const r = nib[name]!;
      expect(maxAbsDiff(r.sform, c.volume.affine)).toBeLessThan(1e-4);
      expect(maxAbsDiff(r.qform, c.volume.affine)).toBeLessThan(1e-4);
      expect(maxAbsDiff(r.affine, c.volume.affine)).toBeLessThan(1e-4);
    },
  );

  it('left-handed affines are stored with qfac = -1, right-handed with +1', () => {
    expect(nib['f32_4d_lefthanded.nii']!.qfac).toBe(-1);
    expect(nib['i16_3d_scaled.nii.gz']!.qfac).toBe(-1);
    expect(nib['f32_3d_oblique.nii.gz']!.qfac).toBe(1);
  });

  it('a sheared affine: sform exact, qform equal to nibabel own shear-free approximation', () => {
    const r = nib['sheared.nii.gz']!;
    expect(maxAbsDiff(r.sform, SHEARED)).toBeLessThan(1e-4);
    expect(maxAbsDiff(r.qform, r.nib_qform_of_input.flat())).toBeLessThan(1e-4);
    // and the qform really is an approximation here, so the check above is not trivial
    expect(maxAbsDiff(r.qform, SHEARED)).toBeGreaterThan(1e-2);
  });

  it('xform codes: scanner by default, or as requested', () => {
    expect([nib['f32_3d_oblique.nii.gz']!.qform_code, nib['f32_3d_oblique.nii.gz']!.sform_code]).toEqual([1, 1]);
    expect([nib['f32_4d_lefthanded.nii']!.qform_code, nib['f32_4d_lefthanded.nii']!.sform_code]).toEqual([2, 2]);
    expect([nib['i16_4d_integers.nii.gz']!.qform_code, nib['i16_4d_integers.nii.gz']!.sform_code]).toEqual([1, 2]);
  });

  it('float32 values come back exactly, in x-fastest order', () => {
    for (const name of ['f32_3d_oblique.nii.gz', 'f32_4d_lefthanded.nii', 'tmap.nii.gz', 'sheared.nii.gz']) {
      const c = CASES.find((x) => x.name === name)!;
      const r = nib[name]!;
      expect(r.dtype).toBe('float32');
      expect(r.shape).toEqual(c.volume.dims[3] > 1 ? c.volume.dims : c.volume.dims.slice(0, 3));
      expect(r.data).toEqual(Array.from(c.volume.data));
    }
  });

  it('int16 with scaling: within one scaled step, and the step uses the data range', () => {
    const c = CASES.find((x) => x.name === 'i16_3d_scaled.nii.gz')!;
    const r = nib['i16_3d_scaled.nii.gz']!;
    expect(r.dtype).toBe('int16');
    const data = Array.from(c.volume.data);
    const range = Math.max(...data) - Math.min(...data);
    expect(r.slope).toBeGreaterThan(0);
    expect(r.slope).toBeLessThan((range / 65534) * 1.001);
    r.data.forEach((v, i) => expect(Math.abs(v - data[i]!)).toBeLessThanOrEqual(r.slope));
  });

  it('int16 with integer data is exact (slope 1)', () => {
    const c = CASES.find((x) => x.name === 'i16_4d_integers.nii.gz')!;
    const r = nib['i16_4d_integers.nii.gz']!;
    expect([r.slope, r.inter]).toEqual([1, 0]);
    expect(r.data).toEqual(Array.from(c.volume.data));
  });

  it('TR and units: pixdim[4] in seconds for 4D, xyzt_units mm + sec', () => {
    const r = nib['f32_4d_lefthanded.nii']!;
    expect(r.units).toEqual(['mm', 'sec']);
    expect(r.zooms[3]).toBeCloseTo(0.7, 6);
    expect(r.zooms.slice(0, 3).map((z) => Number(z.toFixed(5)))).toEqual([1.2, 1.1, 2.0]);
    expect(nib['i16_4d_integers.nii.gz']!.zooms[3]).toBeCloseTo(2.5, 6);
  });

  it('intent code, parameters and name for statistic maps; descrip', () => {
    expect(nib['tmap.nii.gz']!.intent).toEqual(['t test', [23], 't-stat']);
    expect(nib['tmap.nii.gz']!.descrip).toBe('GLM contrast');
    expect(nib['fmap.nii']!.intent).toEqual(['f test', [3, 40], 'F']);
    expect(nib['f32_3d_oblique.nii.gz']!.intent[0]).toBe('none');
  });

  it('single-file layout: vox_offset 352, magic n+1', () => {
    for (const r of Object.values(nib)) {
      expect(r.vox_offset).toBe(352);
      expect(r.magic).toBe('n+1');
    }
  });

  it('our reader reads our files back (affine, values, TR, intent)', async () => {
    for (const c of CASES) {
      const img = await readNifti(join(dir, c.name));
      expect(img.format).toBe('nifti1');
      expect(img.volume.dims).toEqual(c.volume.dims);
      expect(maxAbsDiff([[...img.volume.affine]], c.volume.affine)).toBeLessThan(1e-4);
      if (c.options?.datatype !== 'int16') expect(Array.from(img.volume.data)).toEqual(Array.from(c.volume.data));
      if (c.volume.trSec !== undefined) expect(img.volume.trSec).toBe(c.volume.trSec);
    }
    const t = await readNifti(join(dir, 'tmap.nii.gz'));
    expect([t.volume.intentCode, t.volume.intentParams, t.volume.intentName]).toEqual([3, [23, 0, 0], 't-stat']);
  });
});

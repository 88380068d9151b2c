/**
 * World geometry of reconstructed volumes, end to end: simulate oblique and
 * double-oblique 2D multislice scans of the analytic head phantom (interleaved and
 * descending acquisition order, slice indices running against the slice normal, a
 * left-handed frame), reconstruct through the CLI, read the NIfTI back, and check
 * every voxel against the phantom at the world point the FILE's affine gives it.
 *
 * Noise-free, the RSS recon of voxel v is |phantom(w)|·rss(w) with w = its
 * centre in RAS mm (the simulator samples point-wise at voxel centres). Both are
 * evaluated here from fresh HeadPhantom / CoilArray objects at w = affine·v, so a
 * transposed, flipped, shifted or mis-scaled axis, a wrong slice order, or an
 * LPS/RAS slip anywhere between the headers and the file shows up as mismatching
 * voxels. A feature we place (an activation sphere, switched on in frame 2 only)
 * must have its centroid within half a voxel of where it was put.
 * nibabel must read the same affine (and a qform that agrees with the sform).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Acquisition, Vec3 } from '../../shared/ismrmrd.ts';
import { voxelToWorld, type Affine } from '../../shared/volume.ts';
import { main } from '../../recon/cli/main.ts';
import type { CliIo } from '../../recon/cli/command.ts';
import { writeIsmrmrd } from '../../recon/io/ismrmrd/writer.ts';
import { readNifti } from '../../recon/io/nifti/index.ts';
import { tiltedDirections } from '../../recon/geometry/index.ts';
import { CoilArray, HeadPhantom, TISSUE, helmetCoilArray, presetParams, simulate, type SimParams } from '../../recon/sim/index.ts';
import { HEAD_SEMI_AXES } from '../../recon/sim/phantom.ts';
import { DEBIAN_PYTHON, generateSheppLogan, run, tempDir } from '../helpers/peers.ts';
import { cloneAcquisition, correlation } from '../helpers/recon.ts';

const tmp = tempDir('uhf-geom-');
afterAll(() => tmp.cleanup());

function captureIo(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t), stderrIsTty: false };
}

/** `uhf recon IN -o OUT --json` in this process; returns the JSON report. */
async function reconCli(input: string, output: string): Promise<Record<string, unknown>> {
  const io = captureIo();
  const code = await main(['recon', input, '-o', output, '--json', '--threads', '0'], io);
  expect(code, io.err.join('\n')).toBe(0);
  return JSON.parse(io.out.join('')) as Record<string, unknown>;
}

// ------------------------------------------------------------------ the scans

const SLAB_CENTRE: Vec3 = [0, -4, 14];
const FEATURE_RADIUS = 4;
const TR_MS = 30_000; // long enough for the haemodynamic response to reach its plateau in frame 2

/**
 * Where the feature goes: on the slab's central plane, along its read direction
 * from the slab centre, in the middle of the cortical ribbon (between the WM and GM
 * ellipsoids), so that the whole sphere is grey matter (checked below).
 */
function featureCentre(tiltLR: number, tiltAP: number, rotSI: number): Vec3 {
  const d = tiltedDirections(tiltLR, tiltAP, rotSI).readDir; // LPS
  const dir: Vec3 = [-d[0], -d[1], d[2]]; // RAS
  const at = (t: number): Vec3 => [SLAB_CENTRE[0] + t * dir[0], SLAB_CENTRE[1] + t * dir[1], SLAB_CENTRE[2] + t * dir[2]];
  const f = (p: Vec3, a: Vec3) => Math.hypot(p[0] / a[0], p[1] / a[1], p[2] / a[2]);
  const cross = (a: Vec3) => {
    let lo = 0, hi = 200;
    for (let i = 0; i < 60; i++) {
      const mid = (lo + hi) / 2;
      if (f(at(mid), a) < 1) lo = mid;
      else hi = mid;
    }
    return lo;
  };
  return at((cross(HEAD_SEMI_AXES.whiteMatter) + cross(HEAD_SEMI_AXES.greyMatter)) / 2);
}

interface GeoCase {
  label: string;
  tilt: [number, number, number];
  matrix: [number, number];
  fovMm: [number, number];
  sliceOrder: SimParams['sliceOrder'];
  /** Rewrite the acquisitions before writing the file. */
  tamper?: (acqs: Acquisition[], slices: number) => Acquisition[];
}

const reverseSliceIndex = (acqs: Acquisition[], n: number) => acqs.map((a) => {
  const b = cloneAcquisition(a);
  b.head.idx.slice = n - 1 - a.head.idx.slice;
  return b;
});
const negateSliceDir = (acqs: Acquisition[]) => acqs.map((a) => {
  const b = cloneAcquisition(a);
  b.head.sliceDir = [-a.head.sliceDir[0], -a.head.sliceDir[1], -a.head.sliceDir[2]];
  return b;
});

const CASES: GeoCase[] = [
  { label: 'oblique (20° about L-R), interleaved', tilt: [20, 0, 0], matrix: [96, 72], fovMm: [230, 200], sliceOrder: 'interleaved' },
  { label: 'double oblique (15°/10°, 7° in-plane), interleaved', tilt: [15, 10, 7], matrix: [96, 72], fovMm: [230, 200], sliceOrder: 'interleaved' },
  { label: 'double oblique, descending acquisition order', tilt: [15, 10, 7], matrix: [96, 72], fovMm: [230, 200], sliceOrder: 'descending' },
  { label: 'double oblique, idx.slice running against the slice normal', tilt: [15, 10, 7], matrix: [96, 72], fovMm: [230, 200], sliceOrder: 'interleaved', tamper: reverseSliceIndex },
  { label: 'double oblique, left-handed (slice direction negated)', tilt: [-25, 12, -5], matrix: [80, 96], fovMm: [200, 240], sliceOrder: 'ascending', tamper: (a) => negateSliceDir(a) },
];

const SLICES = 8;

describe.each(CASES)('$label', (c) => {
  const centre = featureCentre(...c.tilt);
  const params = presetParams('7t-anat', {
    matrix: c.matrix, fovMm: c.fovMm, slices: SLICES, sliceThicknessMm: 2, sliceSpacingMm: 2.4,
    tiltLRDeg: c.tilt[0], tiltAPDeg: c.tilt[1], rotSIDeg: c.tilt[2], slabCentreRas: SLAB_CENTRE,
    sliceOrder: c.sliceOrder, coils: 4, noiseSigma: 0, repetitions: 2, trMs: TR_MS, blocks: null,
    design: { conditions: [{ name: 'feature', onsetsS: [0], durationS: 1e4, percentSignalChange: 50 }] },
    activations: [{ condition: 'feature', centre, radiusMm: FEATURE_RADIUS }],
  });
  const phantom = new HeadPhantom({ fieldStrengthT: params.fieldStrengthT });
  const coils = new CoilArray(helmetCoilArray(params.coils, { systemSeed: params.systemSeed }), params.fieldStrengthT);
  let out: string;
  let report: Record<string, unknown>;
  let vol: Awaited<ReturnType<typeof readNifti>>['volume'];

  beforeAll(async () => {
    const scan = simulate(params);
    let acqs = [...scan.acquisitions()];
    if (c.tamper) acqs = c.tamper(acqs, SLICES);
    const file = join(tmp.dir, `${c.label.replace(/\W+/g, '_')}.h5`);
    await writeIsmrmrd(file, scan.header, acqs);
    out = file.replace(/\.h5$/, '.nii.gz');
    report = await reconCli(file, out);
    vol = (await readNifti(out)).volume;
  });

  it('the placed feature is entirely grey matter (precondition)', () => {
    for (let x = -FEATURE_RADIUS; x <= FEATURE_RADIUS; x += 0.5) {
      for (let y = -FEATURE_RADIUS; y <= FEATURE_RADIUS; y += 0.5) {
        for (let z = -FEATURE_RADIUS; z <= FEATURE_RADIUS; z += 0.5) {
          if (x * x + y * y + z * z > FEATURE_RADIUS ** 2) continue;
          expect(phantom.labelAt(centre[0] + x, centre[1] + y, centre[2] + z)).toBe(TISSUE.GREY_MATTER);
        }
      }
    }
  });

  it('every voxel shows the phantom at the world point of its centre (file affine)', () => {
    expect(report.geometryFallback).toBeUndefined();
    expect(report.warnings).toEqual([]);
    const [nx, ny, nz, nt] = vol.dims;
    expect([nx, ny, nz, nt]).toEqual([c.matrix[0], c.matrix[1], SLICES, 2]);
    const n = nx * ny * nz;
    const pts = new Float64Array(3 * n);
    for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
      pts.set(voxelToWorld(vol.affine, i, j, k), 3 * (i + nx * (j + ny * k)));
    }
    const mag = phantom.sample(pts).mag;
    const s = coils.sample(pts);
    const expected = new Float64Array(n);
    for (let p = 0; p < n; p++) {
      let r2 = 0;
      for (let q = 0; q < coils.count; q++) r2 += s[2 * (q * n + p)]! ** 2 + s[2 * (q * n + p) + 1]! ** 2;
      expected[p] = mag[p]! * Math.sqrt(r2);
    }
    const recon = vol.data.subarray(0, n); // frame 1: no activation yet
    let max = 0;
    for (let p = 0; p < n; p++) max = Math.max(max, expected[p]!);
    const head = (p: number) => expected[p]! > 0 || recon[p]! > 0.01 * max;
    const r = correlation(recon, expected, head);
    let bad = 0, inHead = 0;
    for (let p = 0; p < n; p++) {
      if (!head(p)) continue;
      inHead++;
      if (Math.abs(recon[p]! - expected[p]!) > 1e-3 * max) bad++;
    }
    // The same check with the affine shifted by one voxel along i: the test must see that.
    let badShifted = 0;
    for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 1; i < nx; i++) {
      const p = i + nx * (j + ny * k);
      if (head(p) && Math.abs(recon[p]! - expected[p - 1]!) > 1e-3 * max) badShifted++;
    }
    console.log(`[geometry ${c.label}] correlation ${r.toFixed(6)} over ${inHead} head voxels; mismatching voxels ${bad} (${(100 * bad / inHead).toFixed(3)} %); one-voxel shift would mismatch ${(100 * badShifted / inHead).toFixed(1)} %`);
    expect(inHead).toBeGreaterThan(0.2 * n);
    expect(r).toBeGreaterThan(0.999);
    expect(bad / inHead).toBeLessThan(1e-3);
    expect(badShifted / inHead).toBeGreaterThan(0.05);
  });

  it('the feature’s centroid lands within half a voxel of where it was placed', () => {
    const [nx, ny, nz] = vol.dims;
    const n = nx * ny * nz;
    let w = 0;
    const acc = [0, 0, 0];
    for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
      const p = i + nx * (j + ny * k);
      const d = vol.data[n + p]! - vol.data[p]!; // frame 2 − frame 1: the activation only
      if (d <= 0) continue;
      const x = voxelToWorld(vol.affine, i, j, k);
      for (let a = 0; a < 3; a++) acc[a]! += d * x[a]!;
      w += d;
    }
    expect(w).toBeGreaterThan(0);
    const got = acc.map((v) => v / w);
    const err = [got[0]! - centre[0], got[1]! - centre[1], got[2]! - centre[2]];
    // The error along each voxel axis, in voxels.
    const inVoxels = [0, 1, 2].map((a) => {
      const col = [vol.affine[a]!, vol.affine[4 + a]!, vol.affine[8 + a]!];
      const size = Math.hypot(col[0]!, col[1]!, col[2]!);
      return (err[0]! * col[0]! + err[1]! * col[1]! + err[2]! * col[2]!) / (size * size);
    });
    console.log(`[geometry ${c.label}] feature centroid error ${Math.hypot(...err).toFixed(3)} mm = (${inVoxels.map((v) => v.toFixed(3)).join(', ')}) voxels`);
    for (const v of inVoxels) expect(Math.abs(v)).toBeLessThan(0.5);
  });

  it('nibabel reads the same affine, the same voxels, and a qform that agrees with the sform', () => {
    const res = JSON.parse(run(DEBIAN_PYTHON, ['-c', `
import json, nibabel as nib, numpy as np
img = nib.load(${JSON.stringify(out)})
np.asarray(img.dataobj, dtype='<f4').ravel(order='F').tofile(${JSON.stringify(`${out}.f32`)})
print(json.dumps({'affine': img.affine.ravel().tolist(), 'qform': img.get_qform().ravel().tolist(),
  'codes': [int(img.header['sform_code']), int(img.header['qform_code'])], 'axcodes': ''.join(nib.aff2axcodes(img.affine)),
  'zooms': [float(z) for z in img.header.get_zooms()]}))`])) as { affine: number[]; qform: number[]; codes: number[]; axcodes: string; zooms: number[] };
    const theirs = new Float32Array(readFileSync(`${out}.f32`).buffer.slice(0));
    expect(theirs.length).toBe(vol.data.length);
    let same = true;
    for (let i = 0; i < theirs.length; i++) if (theirs[i] !== vol.data[i]) same = false;
    expect(same).toBe(true);
    // qform vs sform: where the voxel corners go, in mm. The qform stores the rotation as a
    // float32 quaternion (b, c, d) and rebuilds a = sqrt(1 − b² − c² − d²): for rotations near
    // 180° (LPS → RAS is one, so a pure single-axis tilt gives exactly 180°) a loses half its
    // digits, ~3e-4, i.e. ~0.1 mm over 100 voxels. A wrong qform (a flip, LPS for RAS) is off by cm.
    const [nx, ny, nz] = vol.dims;
    let dq = 0;
    for (const i of [0, nx - 1]) for (const j of [0, ny - 1]) for (const k of [0, nz - 1]) {
      const q = voxelToWorld(res.qform as unknown as Affine, i, j, k);
      const s2 = voxelToWorld(res.affine as unknown as Affine, i, j, k);
      dq = Math.max(dq, Math.hypot(q[0] - s2[0], q[1] - s2[1], q[2] - s2[2]));
    }
    console.log(`[geometry ${c.label}] nibabel: ${res.axcodes}, zooms ${res.zooms.map((z) => z.toFixed(3)).join('×')}, qform vs sform: corners ${dq.toExponential(1)} mm apart`);
    for (let i = 0; i < 16; i++) expect(res.affine[i]).toBe(vol.affine[i]);
    expect(res.codes).toEqual([1, 1]);
    expect(dq).toBeLessThan(0.25);
    expect(res.zooms[3]).toBeCloseTo(TR_MS / 1000, 6);
  });
});

describe('the same world, however the slices are indexed or the frame is handed', () => {
  it('idx.slice order does not change the output', async () => {
    const base = presetParams('7t-anat', { matrix: [48, 40], fovMm: [220, 200], slices: 5, coils: 2, noiseSigma: 0, tiltLRDeg: 15, tiltAPDeg: 10 });
    const scan = simulate(base);
    const a = join(tmp.dir, 'order-a.h5');
    const b = join(tmp.dir, 'order-b.h5');
    await writeIsmrmrd(a, scan.header, scan.acquisitions());
    await writeIsmrmrd(b, scan.header, reverseSliceIndex([...scan.acquisitions()], 5));
    await reconCli(a, a.replace('.h5', '.nii.gz'));
    await reconCli(b, b.replace('.h5', '.nii.gz'));
    const va = (await readNifti(a.replace('.h5', '.nii.gz'))).volume;
    const vb = (await readNifti(b.replace('.h5', '.nii.gz'))).volume;
    expect(vb.affine).toEqual(va.affine);
    expect(Array.from(vb.data)).toEqual(Array.from(va.data));
  });
});

describe('data without geometry (libismrmrd Shepp-Logan: all direction vectors zero)', () => {
  it('falls back to an axial affine and says so in the --json report and the sidecar', async () => {
    const f = join(tmp.dir, 'nogeo.h5');
    generateSheppLogan(f, { matrix: 64, coils: 2, noiseLevel: 0 });
    const out = join(tmp.dir, 'nogeo.nii.gz');
    const report = await reconCli(f, out);
    expect(String(report.geometryFallback)).toMatch(/no geometry/);
    expect((report.warnings as string[]).join('\n')).toMatch(/no geometry/);
    const sidecar = JSON.parse(readFileSync(join(tmp.dir, 'nogeo.json'), 'utf8')) as { Reconstruction: { geometryFallback?: string } };
    expect(sidecar.Reconstruction.geometryFallback).toMatch(/no geometry/);
    // read = +x (L), phase = +y (P), slice = +z (S) in LPS → RAS diag(−4.6875, −4.6875, 6), centred on the origin.
    const v = (await readNifti(out)).volume;
    const a = v.affine as Affine;
    const vox = 300 / 64;
    expect([a[0], a[5], a[10]].map((x) => +x!.toFixed(6))).toEqual([-vox, -vox, 6].map((x) => +x.toFixed(6)));
    for (const x of [a[1], a[2], a[4], a[6], a[8], a[9]]) expect(Math.abs(x!)).toBe(0);
    expect(voxelToWorld(a, 32, 32, 0).map((x) => Math.abs(x) < 1e-4)).toEqual([true, true, true]);
  });
});

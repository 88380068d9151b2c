/**
 * The ISMRMRD XML header reader/writer against the Debian peers:
 * files from ismrmrd_generate_cartesian_shepp_logan (read with h5py, parsed
 * independently with Python's ElementTree), libismrmrd 1.8's own reader
 * (ismrmrd_test_xml), and the ismrmrd.xsd schema (via lxml).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { isUhfError, UhfError, type UhfErrorCode } from '../../shared/errors.ts';
import type { IsmrmrdHeader, Limit } from '../../shared/ismrmrd.ts';
import {
  MAX_HEADER_XML_BYTES,
  parseIsmrmrdHeader,
  serializeIsmrmrdHeader,
} from '../../recon/io/ismrmrd/header-xml.ts';
import { DEBIAN_PYTHON, generateSheppLogan, requireTool, run, tempDir } from '../helpers/peers.ts';

// ------------------------------------------------------------------ helpers

/** The `/<dataset>/xml` string of an ISMRMRD HDF5 file, read with Debian's python + h5py. */
function readDatasetXml(h5File: string, dataset = 'dataset'): string {
  const script = [
    'import sys, h5py',
    'with h5py.File(sys.argv[1], "r") as f:',
    '    x = f["/" + sys.argv[2] + "/xml"][0]',
    'sys.stdout.buffer.write(x if isinstance(x, bytes) else x.encode("utf-8"))',
  ].join('\n');
  return run(requireTool(DEBIAN_PYTHON, 'python3'), ['-c', script, h5File, dataset]);
}

/**
 * An independent reading of the header (Python's ElementTree, namespace-agnostic),
 * reduced to the values a reconstruction depends on.
 */
const PY_SUMMARY = String.raw`
import sys, json, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
def local(tag): return tag.rsplit('}', 1)[-1]
def kids(el, name): return [c for c in el if local(c.tag) == name]
def kid(el, name):
    k = kids(el, name)
    return k[0] if k else None
def txt(el): return (el.text or '').strip()
out = {}
v = kid(root, 'version')
if v is not None: out['version'] = int(txt(v))
asi = kid(root, 'acquisitionSystemInformation')
if asi is not None:
    rc = kid(asi, 'receiverChannels')
    if rc is not None: out['receiverChannels'] = int(txt(rc))
    fs = kid(asi, 'systemFieldStrength_T')
    if fs is not None: out['fieldStrengthT'] = float(txt(fs))
    inst = kid(asi, 'institutionName')
    if inst is not None: out['institutionName'] = inst.text or ''
    out['coils'] = [[int(txt(kid(c, 'coilNumber'))), kid(c, 'coilName').text or ''] for c in kids(asi, 'coilLabel')]
out['H1'] = int(txt(kid(kid(root, 'experimentalConditions'), 'H1resonanceFrequency_Hz')))
encs = []
for e in kids(root, 'encoding'):
    d = {}
    for sp in ('encodedSpace', 'reconSpace'):
        s = kid(e, sp)
        m, f = kid(s, 'matrixSize'), kid(s, 'fieldOfView_mm')
        d[sp] = {'matrix': [int(txt(kid(m, a))) for a in 'xyz'], 'fov': [float(txt(kid(f, a))) for a in 'xyz']}
    lim = {}
    el = kid(e, 'encodingLimits')
    for l in (el if el is not None else []):
        lim[local(l.tag)] = [int(txt(kid(l, a))) for a in ('minimum', 'maximum', 'center')]
    d['limits'] = lim
    d['trajectory'] = txt(kid(e, 'trajectory'))
    pi = kid(e, 'parallelImaging')
    if pi is not None:
        af = kid(pi, 'accelerationFactor')
        d['acceleration'] = [int(txt(kid(af, 'kspace_encoding_step_1'))), int(txt(kid(af, 'kspace_encoding_step_2')))]
        cm = kid(pi, 'calibrationMode')
        if cm is not None: d['calibrationMode'] = txt(cm)
    encs.append(d)
out['encoding'] = encs
json.dump(out, sys.stdout)
`;

function pythonSummary(xml: string): unknown {
  return JSON.parse(run(requireTool(DEBIAN_PYTHON, 'python3'), ['-c', PY_SUMMARY], { input: xml }));
}

const LIMIT_XML_NAMES: Record<string, string> = {
  kspaceEncodingStep0: 'kspace_encoding_step_0',
  kspaceEncodingStep1: 'kspace_encoding_step_1',
  kspaceEncodingStep2: 'kspace_encoding_step_2',
  average: 'average',
  slice: 'slice',
  contrast: 'contrast',
  phase: 'phase',
  repetition: 'repetition',
  set: 'set',
  segment: 'segment',
};

/** The same summary, from our parse. */
function ourSummary(h: IsmrmrdHeader): unknown {
  const out: Record<string, unknown> = {};
  if (h.version !== undefined) out.version = h.version;
  const asi = h.acquisitionSystemInformation;
  if (asi) {
    if (asi.receiverChannels !== undefined) out.receiverChannels = asi.receiverChannels;
    if (asi.systemFieldStrengthT !== undefined) out.fieldStrengthT = asi.systemFieldStrengthT;
    if (asi.institutionName !== undefined) out.institutionName = asi.institutionName;
    out.coils = asi.coilLabel.map((c) => [c.coilNumber, c.coilName]);
  }
  out.H1 = h.experimentalConditions.H1resonanceFrequencyHz;
  out.encoding = h.encoding.map((e) => {
    const d: Record<string, unknown> = {};
    for (const sp of ['encodedSpace', 'reconSpace'] as const) {
      const s = e[sp];
      d[sp] = { matrix: [s.matrixSize.x, s.matrixSize.y, s.matrixSize.z], fov: [s.fieldOfViewMm.x, s.fieldOfViewMm.y, s.fieldOfViewMm.z] };
    }
    const lim: Record<string, number[]> = {};
    for (const [k, l] of Object.entries(e.encodingLimits) as [string, Limit][]) lim[LIMIT_XML_NAMES[k]!] = [l.minimum, l.maximum, l.center];
    d.limits = lim;
    d.trajectory = e.trajectory;
    if (e.parallelImaging) {
      d.acceleration = [e.parallelImaging.accelerationFactor.kspaceEncodingStep1, e.parallelImaging.accelerationFactor.kspaceEncodingStep2];
      if (e.parallelImaging.calibrationMode !== undefined) d.calibrationMode = e.parallelImaging.calibrationMode;
    }
    return d;
  });
  return out;
}

/**
 * libismrmrd 1.8's reader on `xml` (ismrmrd_test_xml deserializes, then writes
 * raw.xml and processed.xml in its working directory). Returns what libismrmrd
 * wrote back, or throws with its message.
 */
function libismrmrdRoundTrip(xml: string, dir: string): string {
  const file = join(dir, 'header.xml');
  writeFileSync(file, xml);
  try {
    execFileSync(requireTool('/usr/bin/ismrmrd_test_xml', 'ismrmrd-tools'), [file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`libismrmrd 1.8 rejected the header: ${stderr.trim() || String(err)}`);
  }
  return readFileSync(join(dir, 'processed.xml'), 'utf8');
}

/**
 * Validates against Debian's ismrmrd.xsd (libismrmrd 1.8) with lxml, after
 * removing the elements that schema predates (they are checked against the
 * newer schema's order by the serializer's own tests below).
 */
const PY_VALIDATE = String.raw`
import sys
from lxml import etree
NS = '{http://www.ismrm.org/ISMRMRD}'
NEWER = {'patientHeight_m', 'bodyPartExamined', 'sequenceName', 'deviceSerialNumber', 'multiband', 'diffusionDimension'}
doc = etree.fromstring(sys.stdin.buffer.read())
for el in list(doc.iter()):
    if not isinstance(el.tag, str): continue
    name = el.tag[len(NS):] if el.tag.startswith(NS) else el.tag
    parent = el.getparent()
    drop = name in NEWER or (name == 'userParameterString' and parent is not None and parent.tag == NS + 'trajectoryDescription')
    if drop and parent is not None: parent.remove(el)
schema = etree.XMLSchema(etree.parse('/usr/share/ismrmrd/schema/ismrmrd.xsd'))
if not schema.validate(doc):
    print('\n'.join(str(e) for e in schema.error_log)); sys.exit(1)
print('valid')
`;

function validateAgainstDebianXsd(xml: string): string {
  requireTool('/usr/share/ismrmrd/schema/ismrmrd.xsd', 'ismrmrd-schema');
  try {
    return run(requireTool(DEBIAN_PYTHON, 'python3'), ['-c', PY_VALIDATE], { input: xml }).trim();
  } catch (err) {
    return `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`.trim();
  }
}

function expectUhfError(fn: () => unknown, code: UhfErrorCode, message?: RegExp): UhfError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a UhfError to be thrown').toBeInstanceOf(UhfError);
  const e = caught as UhfError;
  expect(e.code, e.message).toBe(code);
  if (message) expect(e.message).toMatch(message);
  return e;
}

// ----------------------------------------------------------------- fixtures

/** A 7 T, 32-channel SMS-EPI header with every field the type has. */
function fullHeader(): IsmrmrdHeader {
  const limit = (minimum: number, maximum: number, center: number): Limit => ({ minimum, maximum, center });
  return {
    version: 2,
    subjectInformation: {
      patientName: 'Doe^Jane',
      patientWeightKg: 61.5,
      patientHeightM: 1.68,
      patientID: 'UHF-0042',
      patientBirthdate: '1990-04-01',
      patientGender: 'F',
    },
    studyInformation: {
      studyDate: '2024-05-17',
      studyTime: '09:41:07',
      studyID: 'S-17',
      accessionNumber: 9007199254740991,
      referringPhysicianName: 'Dr. A & B <Lab>',
      studyDescription: 'fMRI "visual" task — 7T µ-study',
      studyInstanceUID: '1.2.826.0.1.3680043.8.498.12345',
      bodyPartExamined: 'BRAIN',
    },
    measurementInformation: {
      measurementID: '45190_123456789_123456794_1021',
      seriesDate: '2024-05-17',
      seriesTime: '09:45:00',
      patientPosition: 'HFS',
      relativeTablePosition: [0, -12.5, 1e-7],
      initialSeriesNumber: 7,
      protocolName: 'ep2d_bold_1p5mm_MB3_iPAT3',
      sequenceName: '*epfid2d1_132',
      seriesDescription: 'BOLD run 1',
      seriesInstanceUIDRoot: '1.3.12.2.1107.5.2.34.18000',
      frameOfReferenceUID: '1.3.12.2.1107.5.2.34.18000.1.20240517094107',
    },
    acquisitionSystemInformation: {
      systemVendor: 'SIEMENS',
      systemModel: 'MAGNETOM Terra',
      systemFieldStrengthT: 6.98,
      relativeReceiverNoiseBandwidth: 0.793,
      receiverChannels: 32,
      coilLabel: Array.from({ length: 32 }, (_, i) => ({ coilNumber: i + 1, coilName: `1Tx32Rx_Head:${String(i + 1).padStart(2, '0')}` })),
      institutionName: 'UHF Centre',
      stationName: 'TERRA-01',
      deviceID: '79042',
      deviceSerialNumber: 'SN-79042-A',
    },
    experimentalConditions: { H1resonanceFrequencyHz: 297189138 },
    encoding: [
      {
        encodedSpace: { matrixSize: { x: 264, y: 132, z: 1 }, fieldOfViewMm: { x: 396, y: 198, z: 1.5 } },
        reconSpace: { matrixSize: { x: 132, y: 132, z: 1 }, fieldOfViewMm: { x: 198, y: 198, z: 1.5 } },
        encodingLimits: {
          kspaceEncodingStep0: limit(0, 263, 132),
          kspaceEncodingStep1: limit(0, 131, 66),
          kspaceEncodingStep2: limit(0, 0, 0),
          average: limit(0, 0, 0),
          slice: limit(0, 29, 15),
          contrast: limit(0, 1, 0),
          phase: limit(0, 0, 0),
          repetition: limit(0, 299, 0),
          set: limit(0, 1, 0),
          segment: limit(0, 1, 0),
        },
        trajectory: 'epi',
        trajectoryDescription: {
          identifier: 'ConventionalEPI',
          userParameterLong: [
            { name: 'etl', value: 44 },
            { name: 'numSamples', value: 264 },
          ],
          userParameterDouble: [
            { name: 'dwellTime', value: 2.5e-6 },
            { name: 'rampUpTime', value: 100.25 },
          ],
          userParameterString: [{ name: 'readoutMode', value: 'bipolar' }],
          comment: 'trapezoidal readout, ramp sampling',
        },
        parallelImaging: {
          accelerationFactor: { kspaceEncodingStep1: 3, kspaceEncodingStep2: 1 },
          calibrationMode: 'separate',
          interleavingDimension: 'phase',
          multiband: {
            spacing: [{ dZ: [0, 49.5, 99] }, { dZ: [-1.25, 0.75] }],
            deltaKz: 0.5,
            multibandFactor: 3,
            calibration: 'separable2D',
            calibrationEncoding: 1,
          },
        },
        echoTrainLength: 44,
      },
      {
        // Separate GRE reference scan for the GRAPPA/slice-GRAPPA kernels.
        encodedSpace: { matrixSize: { x: 264, y: 48, z: 1 }, fieldOfViewMm: { x: 396, y: 198, z: 1.5 } },
        reconSpace: { matrixSize: { x: 132, y: 132, z: 1 }, fieldOfViewMm: { x: 198, y: 198, z: 1.5 } },
        encodingLimits: { kspaceEncodingStep1: limit(42, 89, 66), slice: limit(0, 89, 45) },
        trajectory: 'cartesian',
        parallelImaging: { accelerationFactor: { kspaceEncodingStep1: 1, kspaceEncodingStep2: 1 }, calibrationMode: 'embedded' },
      },
      {
        // A minimal one: empty limits, no parallel imaging.
        encodedSpace: { matrixSize: { x: 256, y: 1, z: 1 }, fieldOfViewMm: { x: 220, y: -0, z: 0.000123456789 } },
        reconSpace: { matrixSize: { x: 128, y: 128, z: 1 }, fieldOfViewMm: { x: 220, y: 220, z: 5 } },
        encodingLimits: {},
        trajectory: 'goldenangle',
      },
    ],
    sequenceParameters: {
      TRMs: [1500],
      TEMs: [22, 44.5],
      TIMs: [1100],
      flipAngleDeg: [70, 7.5],
      sequenceType: 'EPI',
      echoSpacingMs: [0.61],
      diffusionDimension: 'contrast',
    },
    userParameters: {
      long: [
        { name: 'EmbeddedRefLinesE1', value: 48 },
        { name: 'NegativeOne', value: -1 },
      ],
      double: [
        { name: 'MaxwellCoefficient_0', value: -3.2e-9 },
        { name: 'MaxwellCoefficient_1', value: 1.7976931348623157e308 },
      ],
      string: [
        { name: 'ScannerSoftware', value: 'syngo MR E12' },
        { name: 'Padded', value: '  spaces kept\tand tabs\r\nand CR LF  ' },
        { name: 'Empty', value: '' },
      ],
      base64: [{ name: 'ProtocolBlob', value: Buffer.from('ISMRMRD ♥ 7T').toString('base64') }],
    },
  };
}

/** A header with only what the format requires. */
function minimalHeader(): IsmrmrdHeader {
  return {
    experimentalConditions: { H1resonanceFrequencyHz: 123200000 },
    encoding: [
      {
        encodedSpace: { matrixSize: { x: 64, y: 64, z: 1 }, fieldOfViewMm: { x: 256, y: 256, z: 5 } },
        reconSpace: { matrixSize: { x: 64, y: 64, z: 1 }, fieldOfViewMm: { x: 256, y: 256, z: 5 } },
        encodingLimits: { kspaceEncodingStep1: { minimum: 0, maximum: 63, center: 32 } },
        trajectory: 'cartesian',
      },
    ],
    userParameters: { long: [], double: [], string: [], base64: [] },
  };
}

// -------------------------------------------------------------------- tests

const GENERATOR_CASES: { label: string; opts: Parameters<typeof generateSheppLogan>[1] }[] = [
  { label: '-m 64 -c 4 -C', opts: { matrix: 64, coils: 4, noiseCalibration: true } },
  { label: '-m 96 -c 8 -a 2 -w 16 -r 3 -O 2', opts: { matrix: 96, coils: 8, acceleration: 2, calibrationWidth: 16, repetitions: 3, oversampling: 2 } },
  { label: '-m 48 -c 2 -a 3 -O 1', opts: { matrix: 48, coils: 2, acceleration: 3, oversampling: 1 } },
  { label: '-m 128 -c 16 -a 4 -w 24 -r 2', opts: { matrix: 128, coils: 16, acceleration: 4, calibrationWidth: 24, repetitions: 2 } },
];

describe('parseIsmrmrdHeader on files from ismrmrd_generate_cartesian_shepp_logan', () => {
  let tmp: ReturnType<typeof tempDir>;
  const xmls = new Map<string, string>();

  beforeAll(() => {
    tmp = tempDir('uhf-ismrmrd-header-');
    GENERATOR_CASES.forEach((c, i) => {
      const file = join(tmp.dir, `shepp-${i}.h5`);
      generateSheppLogan(file, c.opts);
      xmls.set(c.label, readDatasetXml(file));
    });
  });
  afterAll(() => tmp?.cleanup());

  for (const c of GENERATOR_CASES) {
    it(`agrees with an independent ElementTree parse (${c.label})`, () => {
      const xml = xmls.get(c.label)!;
      expect(xml).toContain('<ismrmrdHeader');
      const h = parseIsmrmrdHeader(xml, 'shepp.h5');
      expect(ourSummary(h)).toStrictEqual(pythonSummary(xml));

      // Spot checks against the generator's options, so a shared misreading cannot hide.
      const { matrix = 256, coils = 8, oversampling = 2, acceleration = 1, repetitions = 1 } = c.opts;
      expect(h.acquisitionSystemInformation?.receiverChannels).toBe(coils);
      expect(h.encoding).toHaveLength(1);
      const e = h.encoding[0]!;
      expect(e.trajectory).toBe('cartesian');
      expect(e.encodedSpace.matrixSize).toStrictEqual({ x: matrix * oversampling, y: matrix, z: 1 });
      // (the generator always halves encoded x for the recon space, whatever -O says)
      expect(e.reconSpace.matrixSize).toStrictEqual({ x: (matrix * oversampling) / 2, y: matrix, z: 1 });
      expect(e.encodingLimits.kspaceEncodingStep1?.maximum).toBe(matrix - 1);
      expect(e.encodingLimits.repetition?.maximum).toBe(repetitions * acceleration - 1);
      expect(h.experimentalConditions.H1resonanceFrequencyHz).toBeGreaterThan(0);
      if (acceleration > 1) {
        expect(e.parallelImaging?.accelerationFactor.kspaceEncodingStep1).toBe(acceleration);
        expect(e.parallelImaging?.calibrationMode).toBeDefined();
      }
      // Optional parts the generator does not write stay undefined.
      expect(h.subjectInformation).toBeUndefined();
      expect(h.sequenceParameters).toBeUndefined();
      expect(e.trajectoryDescription).toBeUndefined();
      expect(h.userParameters).toStrictEqual({ long: [], double: [], string: [], base64: [] });
    });
  }

  it('re-serializes generated headers so that libismrmrd 1.8 and ElementTree read the same values', () => {
    for (const c of GENERATOR_CASES) {
      const xml = xmls.get(c.label)!;
      const h = parseIsmrmrdHeader(xml);
      const out = serializeIsmrmrdHeader(h);
      expect(pythonSummary(out)).toStrictEqual(pythonSummary(xml));
      expect(parseIsmrmrdHeader(out)).toStrictEqual(h);
      const back = libismrmrdRoundTrip(out, tmp.dir);
      expect(parseIsmrmrdHeader(back)).toStrictEqual(h);
      expect(validateAgainstDebianXsd(out)).toBe('valid');
    }
  });

  it('reads the header through a dataset name other than "dataset"', () => {
    const file = join(tmp.dir, 'named.h5');
    run(requireTool('/usr/bin/ismrmrd_generate_cartesian_shepp_logan', 'ismrmrd-tools'), ['-m', '32', '-c', '2', '-d', 'scan7', '-o', file]);
    const h = parseIsmrmrdHeader(readDatasetXml(file, 'scan7'));
    expect(h.encoding[0]!.reconSpace.matrixSize).toStrictEqual({ x: 32, y: 32, z: 1 });
  });
});

describe('serializeIsmrmrdHeader', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir('uhf-ismrmrd-header-ser-');
  });
  afterAll(() => tmp?.cleanup());

  it('round-trips a full 7 T / 32-channel / multi-encoding / multiband header exactly', () => {
    const h = fullHeader();
    const xml = serializeIsmrmrdHeader(h);
    expect(xml.startsWith('<?xml version="1.0"?>\n<ismrmrdHeader xmlns="http://www.ismrm.org/ISMRMRD"')).toBe(true);
    const back = parseIsmrmrdHeader(xml);
    expect(back).toStrictEqual(h);
    // Stable: writing the parsed header again gives the same text.
    expect(serializeIsmrmrdHeader(back)).toBe(xml);
    // The input is not modified.
    expect(h).toStrictEqual(fullHeader());
  });

  it('round-trips a minimal header and leaves optional parts undefined', () => {
    const h = minimalHeader();
    const back = parseIsmrmrdHeader(serializeIsmrmrdHeader(h));
    expect(back).toStrictEqual(h);
    expect(back.version).toBeUndefined();
    expect(back.acquisitionSystemInformation).toBeUndefined();
    expect(back.encoding[0]!.parallelImaging).toBeUndefined();
  });

  it('round-trips empty optional sections', () => {
    const h: IsmrmrdHeader = {
      ...minimalHeader(),
      subjectInformation: {},
      studyInformation: {},
      acquisitionSystemInformation: { coilLabel: [] },
      sequenceParameters: { TRMs: [], TEMs: [], TIMs: [], flipAngleDeg: [], echoSpacingMs: [] },
    };
    expect(parseIsmrmrdHeader(serializeIsmrmrdHeader(h))).toStrictEqual(h);
  });

  it('writes elements in ismrmrd.xsd order (Debian schema, lxml)', () => {
    expect(validateAgainstDebianXsd(serializeIsmrmrdHeader(fullHeader()))).toBe('valid');
    expect(validateAgainstDebianXsd(serializeIsmrmrdHeader(minimalHeader()))).toBe('valid');
  });

  it('writes the newer elements where the current ismrmrd.xsd puts them', () => {
    const xml = serializeIsmrmrdHeader(fullHeader());
    const order = (...names: string[]): void => {
      const at = names.map((n) => xml.indexOf(`<${n}>`));
      for (const [i, pos] of at.entries()) expect(pos, names[i]).toBeGreaterThan(-1);
      expect([...at].sort((a, b) => a - b)).toStrictEqual(at);
    };
    order('patientWeight_kg', 'patientHeight_m', 'patientID');
    order('studyInstanceUID', 'bodyPartExamined');
    order('protocolName', 'sequenceName', 'seriesDescription');
    order('deviceID', 'deviceSerialNumber');
    order('accelerationFactor', 'calibrationMode', 'interleavingDimension', 'multiband', 'spacing', 'dZ', 'deltaKz', 'multiband_factor', 'calibration', 'calibration_encoding', 'echoTrainLength');
    order('identifier', 'userParameterLong', 'userParameterDouble', 'userParameterString', 'comment');
    order('TR', 'TE', 'TI', 'flipAngle_deg', 'sequence_type', 'echo_spacing', 'diffusionDimension');
  });

  it('is read by libismrmrd 1.8 (ismrmrd_test_xml), which keeps the values it knows', () => {
    // libismrmrd refuses a <version> other than its own header version (8 for 1.8);
    // the serializer writes whatever the header holds.
    const h = { ...fullHeader(), version: 8 };
    // libismrmrd 1.8 writes doubles with sprintf("%f") into a 256-byte buffer: keep it < 1e200.
    h.userParameters.double[1]!.value = 1.5e30;
    expect(() => libismrmrdRoundTrip(serializeIsmrmrdHeader(fullHeader()), tmp.dir)).toThrow(/version/);
    // Without <version> it is accepted.
    expect(parseIsmrmrdHeader(libismrmrdRoundTrip(serializeIsmrmrdHeader(minimalHeader()), tmp.dir))).toStrictEqual(minimalHeader());
    const back = parseIsmrmrdHeader(libismrmrdRoundTrip(serializeIsmrmrdHeader(h), tmp.dir));
    // libismrmrd 1.8 stores floats as float32 and writes them with %f.
    const close = (a: number | undefined, b: number | undefined): void => expect(a).toBeCloseTo(b!, 5);
    expect(back.version).toBe(h.version);
    expect(back.experimentalConditions).toStrictEqual(h.experimentalConditions);
    expect(back.encoding).toHaveLength(3);
    back.encoding.forEach((e, i) => {
      const want = h.encoding[i]!;
      expect(e.encodedSpace.matrixSize).toStrictEqual(want.encodedSpace.matrixSize);
      expect(e.reconSpace.matrixSize).toStrictEqual(want.reconSpace.matrixSize);
      close(e.encodedSpace.fieldOfViewMm.z, want.encodedSpace.fieldOfViewMm.z);
      expect(e.encodingLimits).toStrictEqual(want.encodingLimits);
      expect(e.trajectory).toBe(want.trajectory);
      expect(e.parallelImaging?.accelerationFactor).toStrictEqual(want.parallelImaging?.accelerationFactor);
      expect(e.parallelImaging?.calibrationMode).toBe(want.parallelImaging?.calibrationMode);
    });
    expect(back.encoding[0]!.trajectoryDescription?.identifier).toBe('ConventionalEPI');
    expect(back.encoding[0]!.echoTrainLength).toBe(44);
    expect(back.acquisitionSystemInformation?.receiverChannels).toBe(32);
    close(back.acquisitionSystemInformation?.systemFieldStrengthT, 6.98);
    expect(back.measurementInformation?.patientPosition).toBe('HFS');
    expect(back.measurementInformation?.protocolName).toBe(h.measurementInformation?.protocolName);
    expect(back.studyInformation?.referringPhysicianName).toBe('Dr. A & B <Lab>');
    expect(back.sequenceParameters?.TRMs).toStrictEqual([1500]);
    expect(back.sequenceParameters?.TEMs).toStrictEqual([22, 44.5]);
    expect(back.userParameters.long).toStrictEqual(h.userParameters.long);
    expect(back.userParameters.string.map((u) => u.name)).toStrictEqual(h.userParameters.string.map((u) => u.name));
    expect(back.userParameters.base64).toStrictEqual(h.userParameters.base64);
  });

  it('refuses values it cannot write validly, naming the field', () => {
    const withEnc = (patch: (h: IsmrmrdHeader) => void): IsmrmrdHeader => {
      const h = fullHeader();
      patch(h);
      return h;
    };
    const cases: [string, IsmrmrdHeader, RegExp][] = [
      ['NaN fov', withEnc((h) => (h.encoding[0]!.encodedSpace.fieldOfViewMm.x = Number.NaN)), /encoding\[0\]\/encodedSpace\/fieldOfView_mm\/x/],
      ['fractional matrix', withEnc((h) => (h.encoding[1]!.reconSpace.matrixSize.y = 1.5)), /encoding\[1\]\/reconSpace\/matrixSize\/y/],
      ['negative limit', withEnc((h) => (h.encoding[0]!.encodingLimits.slice = { minimum: -1, maximum: 2, center: 0 })), /encodingLimits\/slice\/minimum/],
      ['70000 channels', withEnc((h) => (h.acquisitionSystemInformation!.receiverChannels = 70000)), /receiverChannels/],
      ['unknown trajectory', withEnc((h) => ((h.encoding[2] as { trajectory: string }).trajectory = 'rosette')), /encoding\[2\]\/trajectory/],
      ['no patientPosition', withEnc((h) => delete h.measurementInformation!.patientPosition), /patientPosition/],
      ['no encodings', withEnc((h) => (h.encoding = [])), /encoding/],
      ['infinite TR', withEnc((h) => (h.sequenceParameters!.TRMs = [1, Number.POSITIVE_INFINITY])), /sequenceParameters\/TR\[1\]/],
      ['string in a long user parameter', withEnc((h) => (h.userParameters.long[0]!.value = '48')), /userParameterLong\[0\]\/value/],
      ['NUL in a string', withEnc((h) => (h.subjectInformation!.patientName = 'a\u0000b')), /patientName/],
    ];
    for (const [label, h, where] of cases) {
      const e = expectUhfError(() => serializeIsmrmrdHeader(h), 'BAD_ARGUMENT', where);
      expect(e.message, label).toMatch(/serializeIsmrmrdHeader/);
    }
  });
});

describe('parseIsmrmrdHeader input forms', () => {
  const base = serializeIsmrmrdHeader(fullHeader());

  it('reads a namespace-prefixed document the same', () => {
    const prefixed = base
      .replace('xmlns="http://www.ismrm.org/ISMRMRD"', 'xmlns:mrd="http://www.ismrm.org/ISMRMRD"')
      .replace(/<(\/?)([A-Za-z_][\w.-]*)(?=[\s>/])/g, (_m, slash: string, name: string) => `<${slash}mrd:${name}`);
    expect(prefixed).toContain('<mrd:encoding>');
    expect(parseIsmrmrdHeader(prefixed)).toStrictEqual(fullHeader());
  });

  it('reads a document without any namespace the same', () => {
    const bare = base.replace(/ xmlns(:\w+)?="[^"]*"/g, '').replace(/ xsi:schemaLocation="[^"]*"/, '');
    expect(bare).not.toContain('xmlns');
    expect(parseIsmrmrdHeader(bare)).toStrictEqual(fullHeader());
  });

  it('ignores elements in foreign namespaces and elements it does not know', () => {
    const xml = serializeIsmrmrdHeader(minimalHeader()).replace(
      '<encoding>',
      '<vendor:encoding xmlns:vendor="urn:example:vendor"><vendor:x/></vendor:encoding>\n<waveformInformation><waveformName>ecg</waveformName></waveformInformation>\n<encoding>\n<futureElement a="1">ignored</futureElement>',
    );
    expect(parseIsmrmrdHeader(xml)).toStrictEqual(minimalHeader());
  });

  it('accepts a BOM, CRLF line ends, comments, CDATA, character references, a trailing NUL and a DOCTYPE without subset', () => {
    const xml =
      '\uFEFF<?xml version="1.0" encoding="UTF-8"?>\r\n<!DOCTYPE ismrmrdHeader>\r\n<!-- written by hand -->\r\n' +
      serializeIsmrmrdHeader(minimalHeader())
        .replace(/^<\?xml[^>]*>\n/, '')
        .replace('<x>64</x>', '<x><!-- sixty-four -->6<![CDATA[4]]></x>')
        .replace('<y>64</y>', '<y>&#x36;&#52;</y>')
        .replace(/\n/g, '\r\n') +
      '<!-- trailer -->\u0000';
    expect(parseIsmrmrdHeader(xml)).toStrictEqual(minimalHeader());
  });

  it('reads numbers with surrounding whitespace, signs and exponents as the schema allows', () => {
    const xml = serializeIsmrmrdHeader(minimalHeader())
      .replace('<x>256</x>', '<x>\n  2.56E+2\n</x>')
      .replace('<H1resonanceFrequency_Hz>123200000</H1resonanceFrequency_Hz>', '<H1resonanceFrequency_Hz> +123200000 </H1resonanceFrequency_Hz>');
    const h = parseIsmrmrdHeader(xml);
    expect(h.encoding[0]!.encodedSpace.fieldOfViewMm.x).toBe(256);
    expect(h.experimentalConditions.H1resonanceFrequencyHz).toBe(123200000);
  });

  it('parses a large (~8 MB) header in linear time', () => {
    const h = minimalHeader();
    h.userParameters.string = Array.from({ length: 100_000 }, (_, i) => ({ name: `p${i}`, value: 'x'.repeat(20) }));
    const xml = serializeIsmrmrdHeader(h);
    expect(xml.length).toBeGreaterThan(7_000_000);
    const t0 = performance.now();
    const back = parseIsmrmrdHeader(xml);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(back.userParameters.string).toHaveLength(100_000);
  });
});

describe('parseIsmrmrdHeader on bad input', () => {
  const good = serializeIsmrmrdHeader(minimalHeader());
  const bad = (xml: string, message?: RegExp): UhfError => expectUhfError(() => parseIsmrmrdHeader(xml, 'scan.h5'), 'INGEST_BAD_XML', message);

  it('names the file in the error', () => {
    const e = bad('not xml at all');
    expect(e.file).toBe('scan.h5');
    expect(e.message).toMatch(/^scan\.h5: /);
    expect(isUhfError(e, 'INGEST_BAD_XML')).toBe(true);
  });

  it('refuses text that is not XML', () => {
    bad('', /empty/);
    bad('   \n', /empty/);
    bad('not xml at all', /not an XML document/);
    bad('{"ismrmrdHeader": {}}', /not an XML document/);
    bad('\u0089HDF\r\n\u001a\n', /not an XML document|illegal character/);
  });

  it('refuses every truncation of a valid header', () => {
    const end = good.indexOf('</ismrmrdHeader>') + '</ismrmrdHeader>'.length;
    for (let cut = 1; cut < end; cut += 7) bad(good.slice(0, cut));
    bad(good.slice(0, end - 1), /not closed|unterminated|end of input/);
    expect(parseIsmrmrdHeader(good.slice(0, end))).toStrictEqual(minimalHeader());
  });

  it('refuses malformed markup', () => {
    bad('<ismrmrdHeader><encoding></ismrmrdHeader>', /does not match/);
    bad('<a></a><b></b>', /after the root/);
    bad(good.replace('<trajectory>', '<trajectory a=1>'), /quoted value/);
    bad(good.replace('<trajectory>', '<trajectory a="1" a="2">'), /duplicate attribute/);
    bad(good.replace('cartesian', 'cart&nbsp;esian'), /unknown entity/);
    bad(good.replace('cartesian', 'cart & esian'), /entity reference/);
    bad(good.replace('cartesian', 'cart&#0;esian'), /not a legal XML character/);
    bad(good.replace('cartesian', 'cart\u0001esian'), /illegal character/);
    bad(good.replace('<trajectory>', '<!-- unterminated'), /unterminated comment/);
    bad(good.replace('<trajectory>', '<![CDATA[ oops'), /unterminated CDATA/);
    bad(good.replace('<trajectory>', '< trajectory>'), /element name/);
  });

  it('refuses a DOCTYPE with an internal subset (no entity expansion)', () => {
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>' +
      '<ismrmrdHeader>&lol2;</ismrmrdHeader>';
    bad(laughs, /internal subset/);
  });

  it('refuses a wrong root element or namespace', () => {
    bad('<?xml version="1.0"?><html><body/></html>', /root element is <html>/);
    bad(good.replace(/http:\/\/www\.ismrm\.org\/ISMRMRD"/, 'urn:other"'), /namespace/);
  });

  it('refuses a header without the required parts', () => {
    const noEnc = good.replace(/<encoding>[\s\S]*<\/encoding>\n/, '');
    expect(noEnc).not.toContain('<encoding>');
    bad(noEnc, /no <encoding>/);
    bad(good.replace(/<matrixSize>[\s\S]*?<\/matrixSize>/, ''), /encoding\[0\]\/encodedSpace: required element <matrixSize> is missing/);
    bad(good.replace(/<reconSpace>[\s\S]*?<\/reconSpace>/, ''), /required element <reconSpace>/);
    bad(good.replace('<z>1</z>', ''), /matrixSize: required element <z>/);
    bad(good.replace(/<experimentalConditions>[\s\S]*?<\/experimentalConditions>/, ''), /<experimentalConditions> is missing/);
    bad(good.replace(/<trajectory>.*<\/trajectory>/, ''), /<trajectory> is missing/);
    bad(good.replace('<center>32</center>', ''), /kspace_encoding_step_1: required element <center>/);
    const pi = serializeIsmrmrdHeader(fullHeader());
    bad(pi.replace(/<accelerationFactor>[\s\S]*?<\/accelerationFactor>/, ''), /parallelImaging: required element <accelerationFactor>/);
    bad(pi.replace(/<deltaKz>.*<\/deltaKz>/, ''), /multiband: required element <deltaKz>/);
    bad(pi.replace(/<coilNumber>1<\/coilNumber>/, ''), /coilLabel\[0\]: required element <coilNumber>/);
    bad(pi.replace(/<name>EmbeddedRefLinesE1<\/name>/, ''), /userParameterLong\[0\]: required element <name>/);
  });

  it('refuses text where a number is required, naming the element', () => {
    bad(good.replace('<x>64</x>', '<x>sixty-four</x>'), /encoding\[0\]\/encodedSpace\/matrixSize\/x: expected an integer.*"sixty-four"/);
    bad(good.replace('<x>64</x>', '<x>64.0</x>'), /matrixSize\/x: expected an integer/);
    bad(good.replace('<x>64</x>', '<x>-64</x>'), /matrixSize\/x: -64 is out of range/);
    bad(good.replace('<x>64</x>', '<x>65536</x>'), /matrixSize\/x: 65536 is out of range/);
    bad(good.replace('<x>64</x>', '<x></x>'), /matrixSize\/x: expected an integer/);
    bad(good.replace('<x>256</x>', '<x>256mm</x>'), /fieldOfView_mm\/x: expected a number, got "256mm"/);
    bad(good.replace('<x>256</x>', '<x>NaN</x>'), /fieldOfView_mm\/x: expected a number/);
    bad(good.replace('<x>256</x>', '<x>1e999</x>'), /fieldOfView_mm\/x: 1e999 is not a finite number/);
    bad(good.replace('<x>256</x>', '<x>0x100</x>'), /fieldOfView_mm\/x: expected a number/);
    bad(good.replace('123200000', '1.232e8'), /H1resonanceFrequency_Hz: expected an integer/);
    bad(good.replace('123200000', '99999999999999999999'), /H1resonanceFrequency_Hz: .* out of range/);
    bad(good.replace('<maximum>63</maximum>', '<maximum>6 3</maximum>'), /kspace_encoding_step_1\/maximum/);
    const full = serializeIsmrmrdHeader(fullHeader());
    bad(full.replace('<TE>44.5</TE>', '<TE>44,5</TE>'), /sequenceParameters\/TE\[1\]: expected a number, got "44,5"/);
    bad(full.replace('<value>48</value>', '<value>forty-eight</value>'), /userParameters\/userParameterLong\[0\]\/value/);
    bad(full.replace('<multiband_factor>3</multiband_factor>', '<multiband_factor>three</multiband_factor>'), /multiband\/multiband_factor/);
  });

  it('refuses values outside an enumeration', () => {
    bad(good.replace('<trajectory>cartesian</trajectory>', '<trajectory>rosette</trajectory>'), /trajectory: "rosette" is not one of cartesian, epi/);
    const full = serializeIsmrmrdHeader(fullHeader());
    bad(full.replace('<calibrationMode>separate</calibrationMode>', '<calibrationMode>grappa</calibrationMode>'), /calibrationMode: "grappa"/);
  });

  it('refuses oversized input quickly, and deep nesting without overflowing the stack', () => {
    const huge = ' '.repeat(MAX_HEADER_XML_BYTES + 1);
    const t0 = performance.now();
    bad(huge, /16 MiB/);
    bad(good.replace('Hz>', `Hz>${'é'.repeat(MAX_HEADER_XML_BYTES / 2)}`), /16 MiB/);
    expect(performance.now() - t0).toBeLessThan(5_000);
    bad(`<ismrmrdHeader>${'<a>'.repeat(100_000)}`, /nested deeper/);
  });

  it('refuses non-string input', () => {
    bad(undefined as unknown as string, /expected XML text/);
    bad(Buffer.from(good) as unknown as string, /expected XML text/);
  });
});

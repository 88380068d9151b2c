/**
 * The ISMRMRD XML header (`/dataset/xml`) ↔ `IsmrmrdHeader`.
 *
 * Element names and order follow ismrmrd.xsd (ISMRMRD v1, schema "version 2",
 * including the later additions the shared type carries: multiband, sequenceName,
 * diffusionDimension, patientHeight_m, bodyPartExamined, deviceSerialNumber,
 * trajectoryDescription/userParameterString).
 *
 * Reading is strict about values (a number must be a number of the schema's
 * kind, enumerations must hold one of their values) and about the parts the
 * type cannot do without; it ignores elements it does not know (waveformInformation,
 * measurementDependency, diffusion, user_N limits, foreign namespaces), so newer
 * files still load. Elements are matched by local name in the ISMRMRD namespace
 * or in no namespace, so prefixed, default-namespaced and namespace-less
 * documents all read the same.
 *
 * Writing emits elements in schema order with the ISMRMRD default namespace, in
 * the form libismrmrd (1.8 and later) reads back.
 */
import { UhfError } from '../../../shared/errors.ts';
import type {
  AcquisitionSystemInformation,
  CalibrationMode,
  Encoding,
  EncodingLimits,
  EncodingSpace,
  ExperimentalConditions,
  IsmrmrdHeader,
  Limit,
  MeasurementInformation,
  Multiband,
  ParallelImaging,
  SequenceParameters,
  StudyInformation,
  SubjectInformation,
  Trajectory,
  TrajectoryDescription,
  UserParameterValue,
  Vec3,
} from '../../../shared/ismrmrd.ts';
import { escapeXmlText, isXmlSafe, parseXmlDocument, XmlSyntaxError, type XmlElement } from './header-xml-tree.ts';

export const ISMRMRD_NAMESPACE = 'http://www.ismrm.org/ISMRMRD';

/** Largest XML header accepted, in UTF-8 bytes (real headers are a few kB to ~100 kB). */
export const MAX_HEADER_XML_BYTES = 16 * 1024 * 1024;

export const TRAJECTORIES: readonly Trajectory[] = ['cartesian', 'epi', 'radial', 'goldenangle', 'spiral', 'other'];
export const CALIBRATION_MODES: readonly CalibrationMode[] = ['embedded', 'interleaved', 'separate', 'external', 'other'];

/** encodingLimits children, in schema order, with the property each maps to. */
const LIMIT_ELEMENTS: readonly (readonly [string, keyof EncodingLimits])[] = [
  ['kspace_encoding_step_0', 'kspaceEncodingStep0'],
  ['kspace_encoding_step_1', 'kspaceEncodingStep1'],
  ['kspace_encoding_step_2', 'kspaceEncodingStep2'],
  ['average', 'average'],
  ['slice', 'slice'],
  ['contrast', 'contrast'],
  ['phase', 'phase'],
  ['repetition', 'repetition'],
  ['set', 'set'],
  ['segment', 'segment'],
];

// ======================================================================= parse

type IntKind = 'long' | 'unsignedShort' | 'unsignedInt' | 'unsignedLong';

const INT_RANGE: Record<IntKind, [number, number]> = {
  long: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  unsignedShort: [0, 65535],
  unsignedInt: [0, 4294967295],
  unsignedLong: [0, Number.MAX_SAFE_INTEGER],
};

const INT_RE = /^[+-]?[0-9]+$/;
const FLOAT_RE = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/** Walks the element tree, naming the element path in every error. */
class HeaderReader {
  constructor(private readonly file: string | undefined) {}

  fail(path: string, message: string): never {
    throw new UhfError('INGEST_BAD_XML', `ISMRMRD header: ${path}: ${message}`, this.fileOpt());
  }

  fileOpt(): { file?: string } {
    return this.file === undefined ? {} : { file: this.file };
  }

  private static ours(el: XmlElement): boolean {
    // ISMRMRD namespace, no namespace, or an unbound prefix (read leniently).
    return el.ns === ISMRMRD_NAMESPACE || el.ns === '' || el.ns === undefined;
  }

  all(parent: XmlElement, name: string): XmlElement[] {
    return parent.children.filter((c) => c.local === name && HeaderReader.ours(c));
  }

  opt(parent: XmlElement, name: string): XmlElement | undefined {
    return parent.children.find((c) => c.local === name && HeaderReader.ours(c));
  }

  req(parent: XmlElement, name: string, path: string): XmlElement {
    const el = this.opt(parent, name);
    if (!el) this.fail(path, `required element <${name}> is missing`);
    return el;
  }

  // --- leaf values

  str(el: XmlElement): string {
    return el.text;
  }

  int(el: XmlElement, path: string, kind: IntKind): number {
    const t = el.text.trim();
    if (!INT_RE.test(t)) this.fail(path, `expected an integer (xs:${kind}), got ${JSON.stringify(clip(el.text))}`);
    const v = Number(t);
    const [lo, hi] = INT_RANGE[kind];
    if (!Number.isSafeInteger(v) || v < lo || v > hi) {
      this.fail(path, `${t} is out of range for xs:${kind}${kind === 'long' || kind === 'unsignedLong' ? ' (beyond 2^53)' : ''}`);
    }
    return v === 0 ? 0 : v; // no -0 from "-0"
  }

  float(el: XmlElement, path: string): number {
    const t = el.text.trim();
    if (!FLOAT_RE.test(t)) this.fail(path, `expected a number, got ${JSON.stringify(clip(el.text))}`);
    const v = Number(t);
    if (!Number.isFinite(v)) this.fail(path, `${t} is not a finite number`);
    return v;
  }

  enumeration<T extends string>(el: XmlElement, path: string, allowed: readonly T[]): T {
    const t = el.text.trim();
    if (!(allowed as readonly string[]).includes(t)) {
      this.fail(path, `${JSON.stringify(clip(t))} is not one of ${allowed.join(', ')}`);
    }
    return t as T;
  }

  // --- optional leaf helpers: undefined when the element is absent

  optStr(parent: XmlElement, name: string): string | undefined {
    const el = this.opt(parent, name);
    return el ? this.str(el) : undefined;
  }

  optInt(parent: XmlElement, name: string, path: string, kind: IntKind): number | undefined {
    const el = this.opt(parent, name);
    return el ? this.int(el, `${path}/${name}`, kind) : undefined;
  }

  optFloat(parent: XmlElement, name: string, path: string): number | undefined {
    const el = this.opt(parent, name);
    return el ? this.float(el, `${path}/${name}`) : undefined;
  }

  reqInt(parent: XmlElement, name: string, path: string, kind: IntKind): number {
    return this.int(this.req(parent, name, path), `${path}/${name}`, kind);
  }

  reqFloat(parent: XmlElement, name: string, path: string): number {
    return this.float(this.req(parent, name, path), `${path}/${name}`);
  }

  floats(parent: XmlElement, name: string, path: string): number[] {
    return this.all(parent, name).map((el, i) => this.float(el, `${path}/${name}[${i}]`));
  }

  // --- sections

  header(root: XmlElement): IsmrmrdHeader {
    const P = 'ismrmrdHeader';
    const encodings = this.all(root, 'encoding');
    if (encodings.length === 0) this.fail(P, 'no <encoding> element (at least one is required)');
    const h: IsmrmrdHeader = {
      experimentalConditions: this.experimentalConditions(this.req(root, 'experimentalConditions', P), `${P}/experimentalConditions`),
      encoding: encodings.map((e, i) => this.encoding(e, `${P}/encoding[${i}]`)),
      userParameters: { long: [], double: [], string: [], base64: [] },
    };
    const version = this.optInt(root, 'version', P, 'long');
    if (version !== undefined) h.version = version;
    const subj = this.opt(root, 'subjectInformation');
    if (subj) h.subjectInformation = this.subjectInformation(subj, `${P}/subjectInformation`);
    const study = this.opt(root, 'studyInformation');
    if (study) h.studyInformation = this.studyInformation(study, `${P}/studyInformation`);
    const meas = this.opt(root, 'measurementInformation');
    if (meas) h.measurementInformation = this.measurementInformation(meas, `${P}/measurementInformation`);
    const acq = this.opt(root, 'acquisitionSystemInformation');
    if (acq) h.acquisitionSystemInformation = this.acquisitionSystemInformation(acq, `${P}/acquisitionSystemInformation`);
    const seq = this.opt(root, 'sequenceParameters');
    if (seq) h.sequenceParameters = this.sequenceParameters(seq, `${P}/sequenceParameters`);
    const up = this.opt(root, 'userParameters');
    if (up) {
      const path = `${P}/userParameters`;
      h.userParameters = {
        long: this.userParams(up, 'userParameterLong', path, 'long'),
        double: this.userParams(up, 'userParameterDouble', path, 'double'),
        string: this.userParams(up, 'userParameterString', path, 'string'),
        base64: this.userParams(up, 'userParameterBase64', path, 'base64'),
      };
    }
    return h;
  }

  experimentalConditions(el: XmlElement, path: string): ExperimentalConditions {
    return { H1resonanceFrequencyHz: this.reqInt(el, 'H1resonanceFrequency_Hz', path, 'long') };
  }

  subjectInformation(el: XmlElement, path: string): SubjectInformation {
    return prune({
      patientName: this.optStr(el, 'patientName'),
      patientWeightKg: this.optFloat(el, 'patientWeight_kg', path),
      patientHeightM: this.optFloat(el, 'patientHeight_m', path),
      patientID: this.optStr(el, 'patientID'),
      patientBirthdate: this.optStr(el, 'patientBirthdate'),
      patientGender: this.optStr(el, 'patientGender'),
    });
  }

  studyInformation(el: XmlElement, path: string): StudyInformation {
    return prune({
      studyDate: this.optStr(el, 'studyDate'),
      studyTime: this.optStr(el, 'studyTime'),
      studyID: this.optStr(el, 'studyID'),
      accessionNumber: this.optInt(el, 'accessionNumber', path, 'long'),
      referringPhysicianName: this.optStr(el, 'referringPhysicianName'),
      studyDescription: this.optStr(el, 'studyDescription'),
      studyInstanceUID: this.optStr(el, 'studyInstanceUID'),
      bodyPartExamined: this.optStr(el, 'bodyPartExamined'),
    });
  }

  measurementInformation(el: XmlElement, path: string): MeasurementInformation {
    const rtp = this.opt(el, 'relativeTablePosition');
    return prune({
      measurementID: this.optStr(el, 'measurementID'),
      seriesDate: this.optStr(el, 'seriesDate'),
      seriesTime: this.optStr(el, 'seriesTime'),
      patientPosition: this.optStr(el, 'patientPosition')?.trim(),
      relativeTablePosition: rtp ? this.vec3(rtp, `${path}/relativeTablePosition`) : undefined,
      initialSeriesNumber: this.optInt(el, 'initialSeriesNumber', path, 'long'),
      protocolName: this.optStr(el, 'protocolName'),
      sequenceName: this.optStr(el, 'sequenceName'),
      seriesDescription: this.optStr(el, 'seriesDescription'),
      seriesInstanceUIDRoot: this.optStr(el, 'seriesInstanceUIDRoot'),
      frameOfReferenceUID: this.optStr(el, 'frameOfReferenceUID'),
    });
  }

  acquisitionSystemInformation(el: XmlElement, path: string): AcquisitionSystemInformation {
    const coilLabel = this.all(el, 'coilLabel').map((c, i) => {
      const p = `${path}/coilLabel[${i}]`;
      return { coilNumber: this.reqInt(c, 'coilNumber', p, 'unsignedShort'), coilName: this.str(this.req(c, 'coilName', p)) };
    });
    return {
      ...prune({
        systemVendor: this.optStr(el, 'systemVendor'),
        systemModel: this.optStr(el, 'systemModel'),
        systemFieldStrengthT: this.optFloat(el, 'systemFieldStrength_T', path),
        relativeReceiverNoiseBandwidth: this.optFloat(el, 'relativeReceiverNoiseBandwidth', path),
        receiverChannels: this.optInt(el, 'receiverChannels', path, 'unsignedShort'),
      }),
      coilLabel,
      ...prune({
        institutionName: this.optStr(el, 'institutionName'),
        stationName: this.optStr(el, 'stationName'),
        deviceID: this.optStr(el, 'deviceID'),
        deviceSerialNumber: this.optStr(el, 'deviceSerialNumber'),
      }),
    };
  }

  encoding(el: XmlElement, path: string): Encoding {
    const limitsEl = this.opt(el, 'encodingLimits');
    const e: Encoding = {
      encodedSpace: this.encodingSpace(this.req(el, 'encodedSpace', path), `${path}/encodedSpace`),
      reconSpace: this.encodingSpace(this.req(el, 'reconSpace', path), `${path}/reconSpace`),
      encodingLimits: limitsEl ? this.encodingLimits(limitsEl, `${path}/encodingLimits`) : {},
      trajectory: this.enumeration(this.req(el, 'trajectory', path), `${path}/trajectory`, TRAJECTORIES),
    };
    const td = this.opt(el, 'trajectoryDescription');
    if (td) e.trajectoryDescription = this.trajectoryDescription(td, `${path}/trajectoryDescription`);
    const pi = this.opt(el, 'parallelImaging');
    if (pi) e.parallelImaging = this.parallelImaging(pi, `${path}/parallelImaging`);
    const etl = this.optInt(el, 'echoTrainLength', path, 'long');
    if (etl !== undefined) e.echoTrainLength = etl;
    return e;
  }

  encodingSpace(el: XmlElement, path: string): EncodingSpace {
    const m = this.req(el, 'matrixSize', path);
    const f = this.req(el, 'fieldOfView_mm', path);
    const mp = `${path}/matrixSize`;
    const fp = `${path}/fieldOfView_mm`;
    return {
      matrixSize: {
        x: this.reqInt(m, 'x', mp, 'unsignedShort'),
        y: this.reqInt(m, 'y', mp, 'unsignedShort'),
        z: this.reqInt(m, 'z', mp, 'unsignedShort'),
      },
      fieldOfViewMm: { x: this.reqFloat(f, 'x', fp), y: this.reqFloat(f, 'y', fp), z: this.reqFloat(f, 'z', fp) },
    };
  }

  vec3(el: XmlElement, path: string): Vec3 {
    return [this.reqFloat(el, 'x', path), this.reqFloat(el, 'y', path), this.reqFloat(el, 'z', path)];
  }

  encodingLimits(el: XmlElement, path: string): EncodingLimits {
    const out: EncodingLimits = {};
    for (const [xmlName, key] of LIMIT_ELEMENTS) {
      const l = this.opt(el, xmlName);
      if (l) out[key] = this.limit(l, `${path}/${xmlName}`);
    }
    return out;
  }

  limit(el: XmlElement, path: string): Limit {
    return {
      minimum: this.reqInt(el, 'minimum', path, 'unsignedShort'),
      maximum: this.reqInt(el, 'maximum', path, 'unsignedShort'),
      center: this.reqInt(el, 'center', path, 'unsignedShort'),
    };
  }

  trajectoryDescription(el: XmlElement, path: string): TrajectoryDescription {
    const td: TrajectoryDescription = {
      identifier: this.str(this.req(el, 'identifier', path)),
      userParameterLong: this.userParams(el, 'userParameterLong', path, 'long'),
      userParameterDouble: this.userParams(el, 'userParameterDouble', path, 'double'),
      userParameterString: this.userParams(el, 'userParameterString', path, 'string'),
    };
    const comment = this.optStr(el, 'comment');
    if (comment !== undefined) td.comment = comment;
    return td;
  }

  parallelImaging(el: XmlElement, path: string): ParallelImaging {
    const af = this.req(el, 'accelerationFactor', path);
    const ap = `${path}/accelerationFactor`;
    const pi: ParallelImaging = {
      accelerationFactor: {
        kspaceEncodingStep1: this.reqInt(af, 'kspace_encoding_step_1', ap, 'unsignedShort'),
        kspaceEncodingStep2: this.reqInt(af, 'kspace_encoding_step_2', ap, 'unsignedShort'),
      },
    };
    const cm = this.opt(el, 'calibrationMode');
    if (cm) pi.calibrationMode = this.enumeration(cm, `${path}/calibrationMode`, CALIBRATION_MODES);
    const il = this.optStr(el, 'interleavingDimension');
    if (il !== undefined) pi.interleavingDimension = il.trim();
    const mb = this.opt(el, 'multiband');
    if (mb) pi.multiband = this.multiband(mb, `${path}/multiband`);
    return pi;
  }

  multiband(el: XmlElement, path: string): Multiband {
    return {
      spacing: this.all(el, 'spacing').map((s, i) => ({ dZ: this.floats(s, 'dZ', `${path}/spacing[${i}]`) })),
      deltaKz: this.reqFloat(el, 'deltaKz', path),
      multibandFactor: this.reqInt(el, 'multiband_factor', path, 'unsignedInt'),
      calibration: this.str(this.req(el, 'calibration', path)).trim(),
      calibrationEncoding: this.reqInt(el, 'calibration_encoding', path, 'unsignedLong'),
    };
  }

  sequenceParameters(el: XmlElement, path: string): SequenceParameters {
    const sp: SequenceParameters = {
      TRMs: this.floats(el, 'TR', path),
      TEMs: this.floats(el, 'TE', path),
      TIMs: this.floats(el, 'TI', path),
      flipAngleDeg: this.floats(el, 'flipAngle_deg', path),
      echoSpacingMs: this.floats(el, 'echo_spacing', path),
    };
    const st = this.optStr(el, 'sequence_type');
    if (st !== undefined) sp.sequenceType = st;
    const dd = this.optStr(el, 'diffusionDimension');
    if (dd !== undefined) sp.diffusionDimension = dd.trim();
    return sp;
  }

  userParams(parent: XmlElement, name: string, path: string, kind: 'long' | 'double' | 'string' | 'base64'): UserParameterValue[] {
    return this.all(parent, name).map((el, i) => {
      const p = `${path}/${name}[${i}]`;
      const nameEl = this.req(el, 'name', p);
      const valueEl = this.req(el, 'value', p);
      const value =
        kind === 'long' ? this.int(valueEl, `${p}/value`, 'long')
        : kind === 'double' ? this.float(valueEl, `${p}/value`)
        : kind === 'base64' ? this.base64(valueEl, `${p}/value`)
        : this.str(valueEl);
      return { name: this.str(nameEl), value };
    });
  }

  base64(el: XmlElement, path: string): string {
    // xs:base64Binary collapses whitespace; keep the text, minus the surrounding blanks.
    const t = el.text.trim();
    if (!/^[A-Za-z0-9+/=\s]*$/.test(t)) this.fail(path, 'not base64 text');
    return t;
  }
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** Drops keys whose value is undefined, so optional parts stay absent. */
function prune<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/**
 * Parses the ISMRMRD XML header. Throws UhfError('INGEST_BAD_XML') for input
 * that is not XML, that is over MAX_HEADER_XML_BYTES, whose root is not
 * <ismrmrdHeader>, that lacks a part the format requires (experimentalConditions,
 * an encoding, matrixSize, ...), or that holds a value of the wrong kind.
 * `file` (optional) names the source in the error.
 */
export function parseIsmrmrdHeader(xml: string, file?: string): IsmrmrdHeader {
  const reader = new HeaderReader(file);
  const bad = (message: string, cause?: unknown): never => {
    throw new UhfError('INGEST_BAD_XML', `ISMRMRD header: ${message}`, { ...reader.fileOpt(), cause });
  };
  if (typeof xml !== 'string') bad(`expected XML text, got ${xml === null ? 'null' : typeof xml}`);
  // bytes >= UTF-16 code units, so this check alone refuses the absurd before any O(n) work.
  if (xml.length > MAX_HEADER_XML_BYTES || Buffer.byteLength(xml, 'utf8') > MAX_HEADER_XML_BYTES) {
    bad(`XML is larger than the ${MAX_HEADER_XML_BYTES / (1024 * 1024)} MiB limit for a header`);
  }
  // HDF5 writers sometimes store the terminating NUL (or padding) with the string.
  let end = xml.length;
  while (end > 0 && xml.charCodeAt(end - 1) === 0) end--;
  const text = end === xml.length ? xml : xml.slice(0, end);
  if (text.trim() === '') bad('the XML header is empty');

  let root: XmlElement;
  try {
    root = parseXmlDocument(text);
  } catch (err) {
    if (err instanceof XmlSyntaxError) bad(`malformed XML: ${err.message}`, err);
    throw err;
  }
  if (root.local !== 'ismrmrdHeader') bad(`root element is <${root.name}>, expected <ismrmrdHeader>`);
  if (root.ns !== undefined && root.ns !== '' && root.ns !== ISMRMRD_NAMESPACE) {
    bad(`root element is in namespace ${JSON.stringify(root.ns)}, expected ${ISMRMRD_NAMESPACE}`);
  }
  return reader.header(root);
}

// =================================================================== serialize

/** Builds indented XML; every value is checked before it is written. */
class HeaderWriter {
  private readonly lines: string[] = [];
  private depth = 0;

  private fail(path: string, message: string): never {
    throw new UhfError('BAD_ARGUMENT', `serializeIsmrmrdHeader: ${path}: ${message}`);
  }

  open(name: string): void {
    this.lines.push(`${'\t'.repeat(this.depth)}<${name}>`);
    this.depth++;
  }

  close(name: string): void {
    this.depth--;
    this.lines.push(`${'\t'.repeat(this.depth)}</${name}>`);
  }

  section(name: string, body: () => void): void {
    const mark = this.lines.length;
    this.open(name);
    body();
    if (this.lines.length === mark + 1) {
      // Nothing inside: write an empty element on one line.
      this.lines[mark] = `${'\t'.repeat(this.depth - 1)}<${name}/>`;
      this.depth--;
    } else {
      this.close(name);
    }
  }

  private leaf(name: string, text: string): void {
    this.lines.push(`${'\t'.repeat(this.depth)}<${name}>${escapeXmlText(text)}</${name}>`);
  }

  str(name: string, v: unknown, path: string): void {
    if (typeof v !== 'string') this.fail(`${path}/${name}`, `expected a string, got ${describe(v)}`);
    if (!isXmlSafe(v)) this.fail(`${path}/${name}`, 'contains characters XML 1.0 cannot carry');
    this.leaf(name, v);
  }

  optStr(name: string, v: unknown, path: string): void {
    if (v !== undefined) this.str(name, v, path);
  }

  int(name: string, v: unknown, path: string, kind: IntKind): void {
    const [lo, hi] = INT_RANGE[kind];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < lo || v > hi) {
      this.fail(`${path}/${name}`, `expected an integer in xs:${kind} range, got ${describe(v)}`);
    }
    this.leaf(name, String(v));
  }

  optInt(name: string, v: unknown, path: string, kind: IntKind): void {
    if (v !== undefined) this.int(name, v, path, kind);
  }

  private formatFloat(v: unknown, fullPath: string): string {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(fullPath, `expected a finite number, got ${describe(v)}`);
    // Shortest text that reads back to the same double; keep the sign of -0.
    return Object.is(v, -0) ? '-0' : String(v);
  }

  float(name: string, v: unknown, path: string): void {
    this.leaf(name, this.formatFloat(v, `${path}/${name}`));
  }

  optFloat(name: string, v: unknown, path: string): void {
    if (v !== undefined) this.float(name, v, path);
  }

  floats(name: string, vs: unknown, path: string): void {
    this.list(vs, `${path}/${name}`).forEach((v, i) => this.leaf(name, this.formatFloat(v, `${path}/${name}[${i}]`)));
  }

  enumeration(name: string, v: unknown, path: string, allowed: readonly string[]): void {
    if (typeof v !== 'string' || !allowed.includes(v)) this.fail(`${path}/${name}`, `expected one of ${allowed.join(', ')}, got ${describe(v)}`);
    this.leaf(name, v);
  }

  list(v: unknown, path: string): unknown[] {
    if (v === undefined) return [];
    if (!Array.isArray(v)) this.fail(path, `expected an array, got ${describe(v)}`);
    return v as unknown[];
  }

  obj<T extends object>(v: T | undefined | null, path: string): T {
    if (typeof v !== 'object' || v === null) this.fail(path, `expected an object, got ${describe(v)}`);
    return v;
  }

  // --- sections, in xsd order

  header(h: IsmrmrdHeader): string {
    const P = 'ismrmrdHeader';
    this.obj(h, P);
    this.lines.push('<?xml version="1.0"?>');
    this.lines.push(
      `<ismrmrdHeader xmlns="${ISMRMRD_NAMESPACE}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ` +
        `xmlns:xs="http://www.w3.org/2001/XMLSchema" xsi:schemaLocation="${ISMRMRD_NAMESPACE} ismrmrd.xsd">`,
    );
    this.depth = 1;
    this.optInt('version', h.version, P, 'long');
    if (h.subjectInformation !== undefined) this.subjectInformation(this.obj(h.subjectInformation, `${P}/subjectInformation`), `${P}/subjectInformation`);
    if (h.studyInformation !== undefined) this.studyInformation(this.obj(h.studyInformation, `${P}/studyInformation`), `${P}/studyInformation`);
    if (h.measurementInformation !== undefined) {
      this.measurementInformation(this.obj(h.measurementInformation, `${P}/measurementInformation`), `${P}/measurementInformation`);
    }
    if (h.acquisitionSystemInformation !== undefined) {
      this.acquisitionSystemInformation(this.obj(h.acquisitionSystemInformation, `${P}/acquisitionSystemInformation`), `${P}/acquisitionSystemInformation`);
    }
    const ec = this.obj(h.experimentalConditions, `${P}/experimentalConditions`);
    this.section('experimentalConditions', () => this.int('H1resonanceFrequency_Hz', ec.H1resonanceFrequencyHz, `${P}/experimentalConditions`, 'long'));
    const encodings = this.list(h.encoding, `${P}/encoding`);
    if (encodings.length === 0) this.fail(`${P}/encoding`, 'at least one encoding is required');
    encodings.forEach((e, i) => this.encoding(this.obj(e as Encoding, `${P}/encoding[${i}]`), `${P}/encoding[${i}]`));
    if (h.sequenceParameters !== undefined) this.sequenceParameters(this.obj(h.sequenceParameters, `${P}/sequenceParameters`), `${P}/sequenceParameters`);
    const up = h.userParameters === undefined ? undefined : this.obj(h.userParameters, `${P}/userParameters`);
    if (up && (up.long?.length || up.double?.length || up.string?.length || up.base64?.length)) {
      const path = `${P}/userParameters`;
      this.section('userParameters', () => {
        this.userParams('userParameterLong', up.long, path, 'long');
        this.userParams('userParameterDouble', up.double, path, 'double');
        this.userParams('userParameterString', up.string, path, 'string');
        this.userParams('userParameterBase64', up.base64, path, 'base64');
      });
    }
    this.depth = 0;
    this.lines.push('</ismrmrdHeader>');
    return this.lines.join('\n') + '\n';
  }

  subjectInformation(s: SubjectInformation, path: string): void {
    this.section('subjectInformation', () => {
      this.optStr('patientName', s.patientName, path);
      this.optFloat('patientWeight_kg', s.patientWeightKg, path);
      this.optFloat('patientHeight_m', s.patientHeightM, path);
      this.optStr('patientID', s.patientID, path);
      this.optStr('patientBirthdate', s.patientBirthdate, path);
      this.optStr('patientGender', s.patientGender, path);
    });
  }

  studyInformation(s: StudyInformation, path: string): void {
    this.section('studyInformation', () => {
      this.optStr('studyDate', s.studyDate, path);
      this.optStr('studyTime', s.studyTime, path);
      this.optStr('studyID', s.studyID, path);
      this.optInt('accessionNumber', s.accessionNumber, path, 'long');
      this.optStr('referringPhysicianName', s.referringPhysicianName, path);
      this.optStr('studyDescription', s.studyDescription, path);
      this.optStr('studyInstanceUID', s.studyInstanceUID, path);
      this.optStr('bodyPartExamined', s.bodyPartExamined, path);
    });
  }

  measurementInformation(m: MeasurementInformation, path: string): void {
    // The schema (and libismrmrd's reader) require patientPosition here.
    if (m.patientPosition === undefined || m.patientPosition === '') {
      this.fail(`${path}/patientPosition`, 'required by the ISMRMRD schema when measurementInformation is written');
    }
    this.section('measurementInformation', () => {
      this.optStr('measurementID', m.measurementID, path);
      this.optStr('seriesDate', m.seriesDate, path);
      this.optStr('seriesTime', m.seriesTime, path);
      this.str('patientPosition', m.patientPosition, path);
      if (m.relativeTablePosition !== undefined) {
        const p = `${path}/relativeTablePosition`;
        const v = this.list(m.relativeTablePosition, p);
        if (v.length !== 3) this.fail(p, `expected 3 numbers, got ${v.length}`);
        this.section('relativeTablePosition', () => {
          this.float('x', v[0], p);
          this.float('y', v[1], p);
          this.float('z', v[2], p);
        });
      }
      this.optInt('initialSeriesNumber', m.initialSeriesNumber, path, 'long');
      this.optStr('protocolName', m.protocolName, path);
      this.optStr('sequenceName', m.sequenceName, path);
      this.optStr('seriesDescription', m.seriesDescription, path);
      this.optStr('seriesInstanceUIDRoot', m.seriesInstanceUIDRoot, path);
      this.optStr('frameOfReferenceUID', m.frameOfReferenceUID, path);
    });
  }

  acquisitionSystemInformation(a: AcquisitionSystemInformation, path: string): void {
    this.section('acquisitionSystemInformation', () => {
      this.optStr('systemVendor', a.systemVendor, path);
      this.optStr('systemModel', a.systemModel, path);
      this.optFloat('systemFieldStrength_T', a.systemFieldStrengthT, path);
      this.optFloat('relativeReceiverNoiseBandwidth', a.relativeReceiverNoiseBandwidth, path);
      this.optInt('receiverChannels', a.receiverChannels, path, 'unsignedShort');
      this.list(a.coilLabel, `${path}/coilLabel`).forEach((c, i) => {
        const p = `${path}/coilLabel[${i}]`;
        const coil = this.obj(c as { coilNumber: number; coilName: string }, p);
        this.section('coilLabel', () => {
          this.int('coilNumber', coil.coilNumber, p, 'unsignedShort');
          this.str('coilName', coil.coilName, p);
        });
      });
      this.optStr('institutionName', a.institutionName, path);
      this.optStr('stationName', a.stationName, path);
      this.optStr('deviceID', a.deviceID, path);
      this.optStr('deviceSerialNumber', a.deviceSerialNumber, path);
    });
  }

  encoding(e: Encoding, path: string): void {
    this.section('encoding', () => {
      this.encodingSpace('encodedSpace', this.obj(e.encodedSpace, `${path}/encodedSpace`), `${path}/encodedSpace`);
      this.encodingSpace('reconSpace', this.obj(e.reconSpace, `${path}/reconSpace`), `${path}/reconSpace`);
      const lim = e.encodingLimits === undefined ? {} : this.obj(e.encodingLimits, `${path}/encodingLimits`);
      this.section('encodingLimits', () => {
        for (const [xmlName, key] of LIMIT_ELEMENTS) {
          const l = lim[key];
          if (l === undefined) continue;
          const p = `${path}/encodingLimits/${xmlName}`;
          this.obj(l, p);
          this.section(xmlName, () => {
            this.int('minimum', l.minimum, p, 'unsignedShort');
            this.int('maximum', l.maximum, p, 'unsignedShort');
            this.int('center', l.center, p, 'unsignedShort');
          });
        }
      });
      this.enumeration('trajectory', e.trajectory, path, TRAJECTORIES);
      if (e.trajectoryDescription !== undefined) {
        const p = `${path}/trajectoryDescription`;
        const td = this.obj(e.trajectoryDescription, p);
        this.section('trajectoryDescription', () => {
          this.str('identifier', td.identifier, p);
          this.userParams('userParameterLong', td.userParameterLong, p, 'long');
          this.userParams('userParameterDouble', td.userParameterDouble, p, 'double');
          this.userParams('userParameterString', td.userParameterString, p, 'string');
          this.optStr('comment', td.comment, p);
        });
      }
      if (e.parallelImaging !== undefined) this.parallelImaging(this.obj(e.parallelImaging, `${path}/parallelImaging`), `${path}/parallelImaging`);
      this.optInt('echoTrainLength', e.echoTrainLength, path, 'long');
    });
  }

  encodingSpace(name: string, s: EncodingSpace, path: string): void {
    const m = this.obj(s.matrixSize, `${path}/matrixSize`);
    const f = this.obj(s.fieldOfViewMm, `${path}/fieldOfView_mm`);
    this.section(name, () => {
      this.section('matrixSize', () => {
        this.int('x', m.x, `${path}/matrixSize`, 'unsignedShort');
        this.int('y', m.y, `${path}/matrixSize`, 'unsignedShort');
        this.int('z', m.z, `${path}/matrixSize`, 'unsignedShort');
      });
      this.section('fieldOfView_mm', () => {
        this.float('x', f.x, `${path}/fieldOfView_mm`);
        this.float('y', f.y, `${path}/fieldOfView_mm`);
        this.float('z', f.z, `${path}/fieldOfView_mm`);
      });
    });
  }

  parallelImaging(pi: ParallelImaging, path: string): void {
    const af = this.obj(pi.accelerationFactor, `${path}/accelerationFactor`);
    this.section('parallelImaging', () => {
      this.section('accelerationFactor', () => {
        this.int('kspace_encoding_step_1', af.kspaceEncodingStep1, `${path}/accelerationFactor`, 'unsignedShort');
        this.int('kspace_encoding_step_2', af.kspaceEncodingStep2, `${path}/accelerationFactor`, 'unsignedShort');
      });
      if (pi.calibrationMode !== undefined) this.enumeration('calibrationMode', pi.calibrationMode, path, CALIBRATION_MODES);
      this.optStr('interleavingDimension', pi.interleavingDimension, path);
      if (pi.multiband !== undefined) {
        const p = `${path}/multiband`;
        const mb = this.obj(pi.multiband, p);
        this.section('multiband', () => {
          this.list(mb.spacing, `${p}/spacing`).forEach((s, i) => {
            const sp = `${p}/spacing[${i}]`;
            const spacing = this.obj(s as { dZ: number[] }, sp);
            this.section('spacing', () => this.floats('dZ', spacing.dZ, sp));
          });
          this.float('deltaKz', mb.deltaKz, p);
          this.int('multiband_factor', mb.multibandFactor, p, 'unsignedInt');
          this.str('calibration', mb.calibration, p);
          this.int('calibration_encoding', mb.calibrationEncoding, p, 'unsignedLong');
        });
      }
    });
  }

  sequenceParameters(s: SequenceParameters, path: string): void {
    this.section('sequenceParameters', () => {
      this.floats('TR', s.TRMs, path);
      this.floats('TE', s.TEMs, path);
      this.floats('TI', s.TIMs, path);
      this.floats('flipAngle_deg', s.flipAngleDeg, path);
      this.optStr('sequence_type', s.sequenceType, path);
      this.floats('echo_spacing', s.echoSpacingMs, path);
      this.optStr('diffusionDimension', s.diffusionDimension, path);
    });
  }

  userParams(name: string, vs: unknown, path: string, kind: 'long' | 'double' | 'string' | 'base64'): void {
    this.list(vs, `${path}/${name}`).forEach((raw, i) => {
      const p = `${path}/${name}[${i}]`;
      const u = this.obj(raw as UserParameterValue, p);
      this.section(name, () => {
        this.str('name', u.name, p);
        if (kind === 'long') this.int('value', u.value, p, 'long');
        else if (kind === 'double') this.float('value', u.value, p);
        else this.str('value', u.value, p);
      });
    });
  }
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(clip(v));
  if (typeof v === 'number') return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

/**
 * Writes the header as ISMRMRD XML: `<?xml version="1.0"?>`, the ISMRMRD
 * default namespace, elements in ismrmrd.xsd order, tab-indented like
 * libismrmrd's own output. Optional parts that are undefined are left out;
 * empty userParameters are left out. Throws UhfError('BAD_ARGUMENT') naming
 * the field when a value cannot be written validly (non-finite or fractional
 * where an integer is required, out of range, unknown enumeration value,
 * measurementInformation without patientPosition, characters XML cannot hold).
 * parseIsmrmrdHeader(serializeIsmrmrdHeader(h)) deep-equals h.
 */
export function serializeIsmrmrdHeader(h: IsmrmrdHeader): string {
  return new HeaderWriter().header(h);
}

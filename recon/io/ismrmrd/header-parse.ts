/**
 * Reading the ISMRMRD XML header into `IsmrmrdHeader` (see header-xml.ts):
 * strict about values and required parts, tolerant of unknown elements.
 */
import { UhfError } from '../../../shared/errors.ts';
import type {
  AcquisitionSystemInformation,
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
  TrajectoryDescription,
  UserParameterValue,
  Vec3,
} from '../../../shared/ismrmrd.ts';
import { parseXmlDocument, XmlSyntaxError, type XmlElement } from './header-xml-tree.ts';
import { ISMRMRD_NAMESPACE, MAX_HEADER_XML_BYTES, TRAJECTORIES, CALIBRATION_MODES, LIMIT_ELEMENTS, INT_RANGE, clip, type IntKind } from './header-schema.ts';


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


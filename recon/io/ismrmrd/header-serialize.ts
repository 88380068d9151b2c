/**
 * Writing `IsmrmrdHeader` as ISMRMRD XML (see header-xml.ts): schema order,
 * every value checked before it is written.
 */
import { UhfError } from '../../../shared/errors.ts';
import type {
  AcquisitionSystemInformation,
  Encoding,
  EncodingSpace,
  IsmrmrdHeader,
  MeasurementInformation,
  ParallelImaging,
  SequenceParameters,
  StudyInformation,
  SubjectInformation,
  UserParameterValue,
} from '../../../shared/ismrmrd.ts';
import { escapeXmlText, isXmlSafe } from './header-xml-tree.ts';
import { ISMRMRD_NAMESPACE, TRAJECTORIES, CALIBRATION_MODES, LIMIT_ELEMENTS, INT_RANGE, clip, type IntKind } from './header-schema.ts';

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

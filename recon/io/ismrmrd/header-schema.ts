/**
 * What the ISMRMRD header parser and serialiser share: the namespace, the
 * enumerations and element tables of ismrmrd.xsd, and the integer kinds.
 */
import type { CalibrationMode, EncodingLimits, Trajectory } from '../../../shared/ismrmrd.ts';

export const ISMRMRD_NAMESPACE = 'http://www.ismrm.org/ISMRMRD';

/** Largest XML header accepted, in UTF-8 bytes (real headers are a few kB to ~100 kB). */
export const MAX_HEADER_XML_BYTES = 16 * 1024 * 1024;

export const TRAJECTORIES: readonly Trajectory[] = ['cartesian', 'epi', 'radial', 'goldenangle', 'spiral', 'other'];
export const CALIBRATION_MODES: readonly CalibrationMode[] = ['embedded', 'interleaved', 'separate', 'external', 'other'];

/** encodingLimits children, in schema order, with the property each maps to. */
export const LIMIT_ELEMENTS: readonly (readonly [string, keyof EncodingLimits])[] = [
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

export type IntKind = 'long' | 'unsignedShort' | 'unsignedInt' | 'unsignedLong';

export const INT_RANGE: Record<IntKind, [number, number]> = {
  long: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  unsignedShort: [0, 65535],
  unsignedInt: [0, 4294967295],
  unsignedLong: [0, Number.MAX_SAFE_INTEGER],
};

/** Shortens a value quoted in an error message. */
export function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

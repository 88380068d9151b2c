/**
 * Decode and encode one acquisition row between WASM memory and `Acquisition`.
 * All values little-endian, as ISMRMRD and WebAssembly both are.
 */
import type { Acquisition, AcquisitionHeader, EncodingCounters, Vec3 } from '../../../shared/ismrmrd.ts';
import type { AcquisitionLayout } from './acquisition-layout.ts';

const u16s = (v: DataView, o: number, n: number) => Array.from({ length: n }, (_, i) => v.getUint16(o + 2 * i, true));
const u32s = (v: DataView, o: number, n: number) => Array.from({ length: n }, (_, i) => v.getUint32(o + 4 * i, true));
const i32s = (v: DataView, o: number, n: number) => Array.from({ length: n }, (_, i) => v.getInt32(o + 4 * i, true));
const f32s = (v: DataView, o: number, n: number) => Array.from({ length: n }, (_, i) => v.getFloat32(o + 4 * i, true));
const vec3 = (v: DataView, o: number) => f32s(v, o, 3) as Vec3;

export function decodeHead(v: DataView, row: number, L: AcquisitionLayout): AcquisitionHeader {
  const h = L.head;
  const x = L.idx;
  const idx: EncodingCounters = {
    kspaceEncodeStep1: v.getUint16(row + x.kspace_encode_step_1, true),
    kspaceEncodeStep2: v.getUint16(row + x.kspace_encode_step_2, true),
    average: v.getUint16(row + x.average, true),
    slice: v.getUint16(row + x.slice, true),
    contrast: v.getUint16(row + x.contrast, true),
    phase: v.getUint16(row + x.phase, true),
    repetition: v.getUint16(row + x.repetition, true),
    set: v.getUint16(row + x.set, true),
    segment: v.getUint16(row + x.segment, true),
    user: u16s(v, row + x.user, 8),
  };
  return {
    version: v.getUint16(row + h.version, true),
    flags: v.getBigUint64(row + h.flags, true),
    measurementUid: v.getUint32(row + h.measurement_uid, true),
    scanCounter: v.getUint32(row + h.scan_counter, true),
    acquisitionTimeStamp: v.getUint32(row + h.acquisition_time_stamp, true),
    physiologyTimeStamp: u32s(v, row + h.physiology_time_stamp, 3),
    numberOfSamples: v.getUint16(row + h.number_of_samples, true),
    availableChannels: v.getUint16(row + h.available_channels, true),
    activeChannels: v.getUint16(row + h.active_channels, true),
    channelMask: Array.from({ length: 16 }, (_, i) => v.getBigUint64(row + h.channel_mask + 8 * i, true)),
    discardPre: v.getUint16(row + h.discard_pre, true),
    discardPost: v.getUint16(row + h.discard_post, true),
    centerSample: v.getUint16(row + h.center_sample, true),
    encodingSpaceRef: v.getUint16(row + h.encoding_space_ref, true),
    trajectoryDimensions: v.getUint16(row + h.trajectory_dimensions, true),
    sampleTimeUs: v.getFloat32(row + h.sample_time_us, true),
    position: vec3(v, row + h.position),
    readDir: vec3(v, row + h.read_dir),
    phaseDir: vec3(v, row + h.phase_dir),
    sliceDir: vec3(v, row + h.slice_dir),
    patientTablePosition: vec3(v, row + h.patient_table_position),
    idx,
    userInt: i32s(v, row + h.user_int, 8),
    userFloat: f32s(v, row + h.user_float, 8),
  };
}

/** The (length, pointer) of a vlen member: length counts float32 elements. */
export function vlenAt(v: DataView, at: number): { len: number; ptr: number } {
  return { len: v.getUint32(at, true), ptr: v.getUint32(at + 4, true) };
}

const put16 = (v: DataView, o: number, xs: readonly number[]) => xs.forEach((x, i) => v.setUint16(o + 2 * i, x, true));
const put32 = (v: DataView, o: number, xs: readonly number[]) => xs.forEach((x, i) => v.setUint32(o + 4 * i, x, true));
const putI32 = (v: DataView, o: number, xs: readonly number[]) => xs.forEach((x, i) => v.setInt32(o + 4 * i, x, true));
const putF32 = (v: DataView, o: number, xs: readonly number[]) => xs.forEach((x, i) => v.setFloat32(o + 4 * i, x, true));

/** Write the header fields of `a` into the row at `row` (vlen members are set by the caller). */
export function encodeHead(v: DataView, row: number, L: AcquisitionLayout, a: AcquisitionHeader): void {
  const h = L.head;
  const x = L.idx;
  v.setUint16(row + h.version, a.version, true);
  v.setBigUint64(row + h.flags, a.flags, true);
  v.setUint32(row + h.measurement_uid, a.measurementUid, true);
  v.setUint32(row + h.scan_counter, a.scanCounter, true);
  v.setUint32(row + h.acquisition_time_stamp, a.acquisitionTimeStamp, true);
  put32(v, row + h.physiology_time_stamp, a.physiologyTimeStamp);
  v.setUint16(row + h.number_of_samples, a.numberOfSamples, true);
  v.setUint16(row + h.available_channels, a.availableChannels, true);
  v.setUint16(row + h.active_channels, a.activeChannels, true);
  a.channelMask.forEach((m, i) => v.setBigUint64(row + h.channel_mask + 8 * i, m, true));
  v.setUint16(row + h.discard_pre, a.discardPre, true);
  v.setUint16(row + h.discard_post, a.discardPost, true);
  v.setUint16(row + h.center_sample, a.centerSample, true);
  v.setUint16(row + h.encoding_space_ref, a.encodingSpaceRef, true);
  v.setUint16(row + h.trajectory_dimensions, a.trajectoryDimensions, true);
  v.setFloat32(row + h.sample_time_us, a.sampleTimeUs, true);
  putF32(v, row + h.position, a.position);
  putF32(v, row + h.read_dir, a.readDir);
  putF32(v, row + h.phase_dir, a.phaseDir);
  putF32(v, row + h.slice_dir, a.sliceDir);
  putF32(v, row + h.patient_table_position, a.patientTablePosition);
  const c = a.idx;
  put16(v, row + x.kspace_encode_step_1, [c.kspaceEncodeStep1]);
  put16(v, row + x.kspace_encode_step_2, [c.kspaceEncodeStep2]);
  put16(v, row + x.average, [c.average]);
  put16(v, row + x.slice, [c.slice]);
  put16(v, row + x.contrast, [c.contrast]);
  put16(v, row + x.phase, [c.phase]);
  put16(v, row + x.repetition, [c.repetition]);
  put16(v, row + x.set, [c.set]);
  put16(v, row + x.segment, [c.segment]);
  put16(v, row + x.user, c.user);
  putI32(v, row + h.user_int, a.userInt);
  putF32(v, row + h.user_float, a.userFloat);
}

/** An all-zero header with version 1, for writers to fill. */
export function emptyAcquisitionHeader(): AcquisitionHeader {
  return {
    version: 1, flags: 0n, measurementUid: 0, scanCounter: 0, acquisitionTimeStamp: 0,
    physiologyTimeStamp: [0, 0, 0], numberOfSamples: 0, availableChannels: 0, activeChannels: 0,
    channelMask: new Array<bigint>(16).fill(0n), discardPre: 0, discardPost: 0, centerSample: 0,
    encodingSpaceRef: 0, trajectoryDimensions: 0, sampleTimeUs: 0,
    position: [0, 0, 0], readDir: [0, 0, 0], phaseDir: [0, 0, 0], sliceDir: [0, 0, 0], patientTablePosition: [0, 0, 0],
    idx: { kspaceEncodeStep1: 0, kspaceEncodeStep2: 0, average: 0, slice: 0, contrast: 0, phase: 0, repetition: 0, set: 0, segment: 0, user: new Array<number>(8).fill(0) },
    userInt: new Array<number>(8).fill(0), userFloat: new Array<number>(8).fill(0),
  };
}

export type { Acquisition };

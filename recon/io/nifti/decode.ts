/**
 * Raw voxel bytes → float32, with scl_slope/scl_inter applied in double
 * precision before the single rounding to float32.
 */
type Reader = (view: DataView, byteOffset: number, littleEndian: boolean) => number;

const READERS: Readonly<Record<string, Reader>> = {
  uint8: (v, o) => v.getUint8(o),
  int8: (v, o) => v.getInt8(o),
  int16: (v, o, le) => v.getInt16(o, le),
  uint16: (v, o, le) => v.getUint16(o, le),
  int32: (v, o, le) => v.getInt32(o, le),
  uint32: (v, o, le) => v.getUint32(o, le),
  float32: (v, o, le) => v.getFloat32(o, le),
  float64: (v, o, le) => v.getFloat64(o, le),
  int64: (v, o, le) => Number(v.getBigInt64(o, le)),
  uint64: (v, o, le) => Number(v.getBigUint64(o, le)),
};

type TypedCtor =
  | Uint8ArrayConstructor | Int8ArrayConstructor | Int16ArrayConstructor | Uint16ArrayConstructor
  | Int32ArrayConstructor | Uint32ArrayConstructor | Float32ArrayConstructor | Float64ArrayConstructor;

/** Fast path types: a typed-array view is the data itself on a little-endian host. */
const TYPED: Readonly<Record<string, TypedCtor>> = {
  uint8: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
};

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface DecodeSpec {
  datatype: string;
  bytesPerVoxel: number;
  littleEndian: boolean;
  count: number;
  /** undefined: values are used as stored. */
  scale?: { slope: number; inter: number };
}

/** `bytes` must hold at least count * bytesPerVoxel bytes (the caller checked). */
export function decodeVoxels(bytes: Uint8Array, spec: DecodeSpec): Float32Array {
  const { datatype, bytesPerVoxel: size, count } = spec;
  const out = new Float32Array(count);
  const ctor = TYPED[datatype];
  if (ctor && spec.littleEndian === HOST_LITTLE_ENDIAN) {
    // Typed arrays need an aligned offset; copy only when the view is misaligned.
    const src = bytes.byteOffset % size === 0 ? bytes : new Uint8Array(bytes.subarray(0, count * size));
    const values = new ctor(src.buffer as ArrayBuffer, src.byteOffset, count);
    fill(out, (i) => values[i]!, spec.scale);
    return out;
  }
  const read = READERS[datatype];
  if (!read) throw new Error(`decodeVoxels: no reader for ${datatype}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * size);
  const le = spec.littleEndian;
  fill(out, (i) => read(view, i * size, le), spec.scale);
  return out;
}

function fill(out: Float32Array, get: (i: number) => number, scale: DecodeSpec['scale']): void {
  const n = out.length;
  if (!scale) {
    for (let i = 0; i < n; i++) out[i] = get(i);
    return;
  }
  const { slope, inter } = scale;
  for (let i = 0; i < n; i++) out[i] = get(i) * slope + inter;
}

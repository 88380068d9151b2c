/**
 * Binary framing for the WebSocket transport: a message is one ArrayBuffer
 *   [u32 LE header length][header JSON, UTF-8][pad to 8][buffer 0][pad to 8][buffer 1]…
 * Typed arrays anywhere in the payload are lifted out into the buffers and
 * replaced in the JSON by {"$buf": index, "$type": "Float32Array"}; on the way
 * back they become views on the received buffer (no copy, no JSON numbers).
 * Electron's IPC and MessagePorts carry typed arrays natively and skip this.
 */

const TYPED = {
  Float32Array,
  Float64Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
} as const;
type TypedName = keyof typeof TYPED;
type Typed = InstanceType<(typeof TYPED)[TypedName]>;

const ALIGN = 8;
const pad = (n: number) => (n + ALIGN - 1) & ~(ALIGN - 1);

function typedName(v: unknown): TypedName | null {
  if (!ArrayBuffer.isView(v) || v instanceof DataView) return null;
  for (const name of Object.keys(TYPED) as TypedName[]) if (v instanceof TYPED[name]) return name;
  return null;
}

/** Replace typed arrays by placeholders; returns the JSON-able tree and the arrays. */
function lift(value: unknown, buffers: Typed[]): unknown {
  const name = typedName(value);
  if (name) {
    buffers.push(value as Typed);
    return { $buf: buffers.length - 1, $type: name };
  }
  if (Array.isArray(value)) return value.map((v) => lift(v, buffers));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = lift(v, buffers);
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return { $num: String(value) };
  return value;
}

function lower(value: unknown, views: Typed[]): unknown {
  if (Array.isArray(value)) return value.map((v) => lower(v, views));
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o['$buf'] === 'number' && typeof o['$type'] === 'string') {
      const view = views[o['$buf']];
      if (!view) throw new RangeError(`wire: missing buffer ${o['$buf']}`);
      return view;
    }
    if (typeof o['$num'] === 'string' && Object.keys(o).length === 1) return Number(o['$num']);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = lower(v, views);
    return out;
  }
  return value;
}

export function packMessage(message: unknown): ArrayBuffer {
  const buffers: Typed[] = [];
  const tree = lift(message, buffers);
  const header = new TextEncoder().encode(JSON.stringify({ tree, buffers: buffers.map((b) => ({ type: typedName(b), length: b.length })) }));
  let size = pad(4 + header.length);
  for (const b of buffers) size += pad(b.byteLength);
  const out = new ArrayBuffer(size);
  const bytes = new Uint8Array(out);
  new DataView(out).setUint32(0, header.length, true);
  bytes.set(header, 4);
  let offset = pad(4 + header.length);
  for (const b of buffers) {
    bytes.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), offset);
    offset += pad(b.byteLength);
  }
  return out;
}

export function unpackMessage(data: ArrayBuffer | Uint8Array): unknown {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  // Views need an 8-aligned base: copy once if the transport handed us an unaligned slice.
  const base = bytes.byteOffset % ALIGN === 0 ? bytes : bytes.slice();
  if (base.byteLength < 4) throw new RangeError('wire: message too short');
  const headerLength = new DataView(base.buffer, base.byteOffset, 4).getUint32(0, true);
  if (4 + headerLength > base.byteLength) throw new RangeError('wire: header overruns the message');
  const header = JSON.parse(new TextDecoder().decode(base.subarray(4, 4 + headerLength))) as {
    tree: unknown;
    buffers: { type: string; length: number }[];
  };
  let offset = pad(4 + headerLength);
  const views: Typed[] = [];
  for (const b of header.buffers) {
    if (!Object.hasOwn(TYPED, b.type)) throw new RangeError(`wire: unknown array type ${b.type}`);
    const Ctor = TYPED[b.type as TypedName];
    const byteLength = b.length * Ctor.BYTES_PER_ELEMENT;
    if (offset + byteLength > base.byteLength) throw new RangeError('wire: buffer overruns the message');
    views.push(new Ctor(base.buffer as ArrayBuffer, base.byteOffset + offset, b.length));
    offset += pad(byteLength);
  }
  return lower(header.tree, views);
}

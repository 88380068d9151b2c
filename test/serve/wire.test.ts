// The WebSocket framing: typed arrays travel as binary, aligned, and come back
// as views of the right type; JSON numbers that JSON cannot hold survive.
import { describe, expect, it } from 'vitest';
import { packMessage, unpackMessage } from '../../shared/api/wire.ts';

describe('wire', () => {
  it('round-trips nested typed arrays and plain values', () => {
    const f32 = Float32Array.from([1.5, -2, Number.NaN, 3e38]);
    const f64 = Float64Array.from([Math.PI, -0]);
    const u8 = Uint8Array.from([1, 2, 3]);
    const msg = { id: 3, ok: true, result: { a: f32, list: [u8, { deep: f64 }], s: 'text', n: null, inf: Infinity, ninf: -Infinity, nan: Number.NaN } };
    const back = unpackMessage(packMessage(msg)) as typeof msg;
    expect(back.id).toBe(3);
    expect(back.result.a).toBeInstanceOf(Float32Array);
    expect(Array.from(back.result.a)).toEqual(Array.from(f32));
    expect(back.result.list[0]).toBeInstanceOf(Uint8Array);
    expect(Array.from(back.result.list[0] as Uint8Array)).toEqual([1, 2, 3]);
    expect((back.result.list[1] as { deep: Float64Array }).deep).toBeInstanceOf(Float64Array);
    expect((back.result.list[1] as { deep: Float64Array }).deep[0]).toBe(Math.PI);
    expect(back.result.inf).toBe(Infinity);
    expect(back.result.ninf).toBe(-Infinity);
    expect(back.result.nan).toBeNaN();
    expect(back.result.s).toBe('text');
    expect(back.result.n).toBeNull();
  });

  it('carries subarray views without their neighbours, 8-byte aligned', () => {
    const big = Float32Array.from({ length: 100 }, (_, i) => i);
    const view = big.subarray(10, 13);
    const buf = packMessage({ v: view, w: Float64Array.from([1]) });
    const back = unpackMessage(new Uint8Array(buf)) as { v: Float32Array; w: Float64Array };
    expect(Array.from(back.v)).toEqual([10, 11, 12]);
    expect(back.w.byteOffset % 8).toBe(0);
    // An unaligned slice (as a transport may hand over) is copied once and still decodes.
    const shifted = new Uint8Array(buf.byteLength + 1);
    shifted.set(new Uint8Array(buf), 1);
    expect(Array.from((unpackMessage(shifted.subarray(1)) as { v: Float32Array }).v)).toEqual([10, 11, 12]);
  });

  it('rejects truncated or lying messages', () => {
    const buf = packMessage({ v: new Float32Array(16) });
    expect(() => unpackMessage(buf.slice(0, 20))).toThrow(RangeError);
    expect(() => unpackMessage(new Uint8Array([1, 0]))).toThrow(RangeError);
    const header = new TextEncoder().encode(JSON.stringify({ tree: { $buf: 0, $type: 'Float32Array' }, buffers: [{ type: 'Function', length: 1 }] }));
    const evil = new Uint8Array(8 + header.length);
    new DataView(evil.buffer).setUint32(0, header.length, true);
    evil.set(header, 4);
    expect(() => unpackMessage(evil)).toThrow(/unknown array type/);
  });
});

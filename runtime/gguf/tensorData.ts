import { createCipheriv, createHash } from 'node:crypto';
import { GGML_BLOCK, GgmlType, tensorByteSize } from './format.js';

/** How a tensor's values are chosen. */
export type TensorInit =
  | {
      kind: 'random';
      std: number;
      /** rows (index along the second dimension) left at zero */ zeroRows?: readonly number[];
    }
  | { kind: 'constant'; value: number }
  | { kind: 'values'; values: Float32Array };

export interface TensorSpec {
  name: string;
  /** ggml order: innermost (row length) first. */
  shape: number[];
  type: GgmlType;
  init: TensorInit;
}

const CHUNK_WEIGHTS = 1 << 20;

/**
 * A seeded byte stream per tensor: AES-128-CTR over zeros, keyed by the seed and the tensor's name.
 * OpenSSL's AES-NI path gives gigabytes a second, which a JS PRNG does not, and the key per tensor
 * makes every tensor's bytes independent of write order.
 */
function seededStream(seed: number, tensorName: string): (length: number) => Buffer {
  const key = createHash('sha256').update(`gptoss-synth:${seed}:${tensorName}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return (length) => cipher.update(Buffer.alloc(length));
}

/** IEEE half from a float; only for Q8_0 block scales (normal range, round to nearest). */
export function toHalf(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (value === 0) return sign;
  if (exponent <= 0) return sign; // underflow to zero: our scales never get there
  if (exponent >= 31) return sign | 0x7c00;
  return sign | (exponent << 10) | Math.round(mantissa / 0x2000);
}

/** Standard normals from uniform bytes (Box-Muller), deterministic for the stream. */
function normals(next: (length: number) => Buffer, count: number, std: number): Float32Array {
  const bytes = next(count * 4 + 8);
  const u = new Uint32Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.length / 4));
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const u1 = (u[i]! + 1) / 4294967297;
    const u2 = u[i + 1]! / 4294967296;
    const r = Math.sqrt(-2 * Math.log(u1)) * std;
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

function quantizeQ8_0(values: Float32Array): Buffer {
  const blocks = values.length / 32;
  const out = Buffer.alloc(blocks * 34);
  for (let b = 0; b < blocks; b++) {
    let amax = 0;
    for (let i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(values[b * 32 + i]!));
    const d = amax / 127;
    out.writeUInt16LE(toHalf(d), b * 34);
    for (let i = 0; i < 32; i++) {
      out.writeInt8(d === 0 ? 0 : Math.round(values[b * 32 + i]! / d), b * 34 + 2 + i);
    }
  }
  return out;
}

/** Uniform random int8 has a standard deviation of about 73.9 units. */
const INT8_UNIFORM_STD = 73.9;
/** ggml's MXFP4 values are doubled E2M1 codes ({0,1,2,3,4,6,8,12}); a uniform code has std 5.85. */
const MXFP4_UNIFORM_STD = 5.85;

/** E8M0 scale byte that gives random MXFP4 blocks the wanted standard deviation (ggml halves it). */
export function mxfp4ScaleByte(std: number): number {
  return Math.max(1, Math.min(254, Math.round(Math.log2(std / MXFP4_UNIFORM_STD) + 128)));
}

function randomQuantized(type: GgmlType, next: (length: number) => Buffer, weights: number, std: number): Buffer {
  const { bytes: blockBytes } = GGML_BLOCK[type];
  const blocks = weights / 32;
  const out = next(blocks * blockBytes);
  if (type === GgmlType.Q8_0) {
    const scale = toHalf(std / INT8_UNIFORM_STD);
    for (let b = 0; b < blocks; b++) out.writeUInt16LE(scale, b * blockBytes);
  } else {
    const scale = mxfp4ScaleByte(std);
    for (let b = 0; b < blocks; b++) out[b * blockBytes] = scale;
  }
  return out;
}

function zeroMxfp4(weights: number): Buffer {
  const out = Buffer.alloc((weights / 32) * 17);
  for (let b = 0; b < out.length; b += 17) out[b] = 127;
  return out;
}

function encodeFloats(type: GgmlType, values: Float32Array): Buffer {
  if (type === GgmlType.F32) return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  if (type === GgmlType.Q8_0) return quantizeQ8_0(values);
  if (type === GgmlType.MXFP4 && values.every((v) => v === 0)) return zeroMxfp4(values.length);
  throw new Error(`explicit values are not supported for ${GgmlType[type]} tensors`);
}

/**
 * The bytes of one tensor, in chunks of about a million weights, so full-size models are
 * streamed to disk and never held whole in memory.
 */
export function* tensorChunks(spec: TensorSpec, seed: number): Generator<Buffer> {
  const total = spec.shape.reduce((a, b) => a * b, 1);
  const next = seededStream(seed, spec.name);
  for (let start = 0; start < total; start += CHUNK_WEIGHTS) {
    const count = Math.min(CHUNK_WEIGHTS, total - start);
    const { init, type } = spec;
    if (init.kind === 'values') {
      yield encodeFloats(type, init.values.subarray(start, start + count));
    } else if (init.kind === 'constant') {
      yield encodeFloats(type, new Float32Array(count).fill(init.value));
    } else {
      const chunk =
        type === GgmlType.F32
          ? encodeFloats(type, normals(next, count, init.std))
          : randomQuantized(type, next, count, init.std);
      if (init.zeroRows?.length) zeroRowsInChunk(chunk, spec, start, count, init.zeroRows);
      yield chunk;
    }
  }
}

/** Zeroes the given rows where they fall inside this chunk (rows are whole blocks: row length % 32 == 0). */
function zeroRowsInChunk(chunk: Buffer, spec: TensorSpec, start: number, count: number, rows: readonly number[]) {
  const rowLength = spec.shape[0]!;
  const bytesPerWeight = chunk.length / count;
  for (const row of rows) {
    const from = Math.max(row * rowLength, start);
    const to = Math.min((row + 1) * rowLength, start + count);
    if (from < to) chunk.fill(0, (from - start) * bytesPerWeight, (to - start) * bytesPerWeight);
  }
}

export function specByteSize(spec: TensorSpec): number {
  return tensorByteSize(spec.type, spec.shape);
}

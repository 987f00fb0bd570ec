import { GgufValueType } from './format.js';

/** A typed GGUF metadata value; numbers need an explicit wire type. */
export type GgufValue =
  | { type: GgufValueType.STRING; value: string }
  | { type: GgufValueType.BOOL; value: boolean }
  | { type: NumericType; value: number }
  | { type: GgufValueType.ARRAY; itemType: NumericType | GgufValueType.STRING; value: readonly (number | string)[] };

type NumericType =
  | GgufValueType.UINT8
  | GgufValueType.INT8
  | GgufValueType.UINT16
  | GgufValueType.INT16
  | GgufValueType.UINT32
  | GgufValueType.INT32
  | GgufValueType.FLOAT32
  | GgufValueType.UINT64
  | GgufValueType.INT64
  | GgufValueType.FLOAT64;

export const gguf = {
  str: (value: string): GgufValue => ({ type: GgufValueType.STRING, value }),
  bool: (value: boolean): GgufValue => ({ type: GgufValueType.BOOL, value }),
  u16: (value: number): GgufValue => ({ type: GgufValueType.UINT16, value }),
  u32: (value: number): GgufValue => ({ type: GgufValueType.UINT32, value }),
  i32: (value: number): GgufValue => ({ type: GgufValueType.INT32, value }),
  f32: (value: number): GgufValue => ({ type: GgufValueType.FLOAT32, value }),
  strings: (value: readonly string[]): GgufValue => ({
    type: GgufValueType.ARRAY,
    itemType: GgufValueType.STRING,
    value,
  }),
  i32s: (value: readonly number[]): GgufValue => ({ type: GgufValueType.ARRAY, itemType: GgufValueType.INT32, value }),
};

const NUMERIC_SIZE: Record<NumericType, number> = {
  [GgufValueType.UINT8]: 1,
  [GgufValueType.INT8]: 1,
  [GgufValueType.UINT16]: 2,
  [GgufValueType.INT16]: 2,
  [GgufValueType.UINT32]: 4,
  [GgufValueType.INT32]: 4,
  [GgufValueType.FLOAT32]: 4,
  [GgufValueType.UINT64]: 8,
  [GgufValueType.INT64]: 8,
  [GgufValueType.FLOAT64]: 8,
};

/** Appends little-endian GGUF encodings to a growing list of buffers. */
export class GgufEncoder {
  private readonly parts: Buffer[] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  private push(buf: Buffer): void {
    this.parts.push(buf);
    this.size += buf.length;
  }

  u32(value: number): void {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32LE(value);
    this.push(b);
  }

  u64(value: number): void {
    const b = Buffer.allocUnsafe(8);
    b.writeBigUInt64LE(BigInt(value));
    this.push(b);
  }

  string(value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.u64(bytes.length);
    this.push(bytes);
  }

  zeros(count: number): void {
    if (count > 0) this.push(Buffer.alloc(count));
  }

  numeric(type: NumericType, value: number): void {
    const b = Buffer.allocUnsafe(NUMERIC_SIZE[type]);
    switch (type) {
      case GgufValueType.UINT8:
        b.writeUInt8(value);
        break;
      case GgufValueType.INT8:
        b.writeInt8(value);
        break;
      case GgufValueType.UINT16:
        b.writeUInt16LE(value);
        break;
      case GgufValueType.INT16:
        b.writeInt16LE(value);
        break;
      case GgufValueType.UINT32:
        b.writeUInt32LE(value);
        break;
      case GgufValueType.INT32:
        b.writeInt32LE(value);
        break;
      case GgufValueType.FLOAT32:
        b.writeFloatLE(value);
        break;
      case GgufValueType.UINT64:
        b.writeBigUInt64LE(BigInt(value));
        break;
      case GgufValueType.INT64:
        b.writeBigInt64LE(BigInt(value));
        break;
      case GgufValueType.FLOAT64:
        b.writeDoubleLE(value);
        break;
    }
    this.push(b);
  }

  keyValue(key: string, value: GgufValue): void {
    this.string(key);
    this.u32(value.type);
    switch (value.type) {
      case GgufValueType.STRING:
        this.string(value.value);
        return;
      case GgufValueType.BOOL:
        this.push(Buffer.from([value.value ? 1 : 0]));
        return;
      case GgufValueType.ARRAY:
        this.u32(value.itemType);
        this.u64(value.value.length);
        for (const item of value.value) {
          if (value.itemType === GgufValueType.STRING) this.string(String(item));
          else this.numeric(value.itemType, Number(item));
        }
        return;
      default:
        this.numeric(value.type, value.value);
    }
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts, this.size);
  }
}

/** GGUF v3 constants: metadata value types and the ggml tensor types we write. */

export const GGUF_MAGIC = 'GGUF';
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

export enum GgufValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

export enum GgmlType {
  F32 = 0,
  F16 = 1,
  Q8_0 = 8,
  MXFP4 = 39,
}

/** Bytes per block and weights per block for each tensor type we write. */
export const GGML_BLOCK: Record<GgmlType, { weights: number; bytes: number }> = {
  [GgmlType.F32]: { weights: 1, bytes: 4 },
  [GgmlType.F16]: { weights: 1, bytes: 2 },
  // f16 scale + 32 int8
  [GgmlType.Q8_0]: { weights: 32, bytes: 34 },
  // one E8M0 scale byte + 32 packed 4-bit E2M1 values
  [GgmlType.MXFP4]: { weights: 32, bytes: 17 },
};

export function tensorByteSize(type: GgmlType, shape: readonly number[]): number {
  const { weights, bytes } = GGML_BLOCK[type];
  const rowLength = shape[0] ?? 1;
  if (rowLength % weights !== 0) {
    throw new Error(`row length ${rowLength} is not a multiple of the ${GgmlType[type]} block size ${weights}`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  return (count / weights) * bytes;
}

export function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

import { STORAGE_SIZE } from '../api/v1alpha1/gptOssModel.js';

const SUFFIX_BYTES: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
};

/**
 * Bytes of a storage size as the CRD admits it (STORAGE_SIZE: digits, an optional fraction, a binary or decimal
 * suffix), rounded up as the API server rounds a quantity. Pure; anything else is a programming error.
 */
export function storageBytes(size: string): number {
  const match = STORAGE_SIZE.exec(size);
  if (!match) throw new Error(`not a storage size: ${JSON.stringify(size)}`);
  const suffix = match[2] ?? '';
  return Math.ceil(Number(size.slice(0, size.length - suffix.length)) * SUFFIX_BYTES[suffix]!);
}

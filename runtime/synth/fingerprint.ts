import { createHash } from 'node:crypto';
import type { GgufDocument } from '../gguf/writer.js';

/** What a synthetic file's bytes depend on besides its document. */
export interface FingerprintOptions {
  seed: number;
  shards: number;
  sparse: boolean;
}

/**
 * A digest of everything that decides a synthetic model's bytes: the metadata, each tensor's name,
 * shape, type and initialisation (explicit values byte for byte), the seed and the layout. A cached
 * file whose recorded fingerprint differs was written by other code (the scripted weights changed,
 * the vocabulary changed) and is written again, so a cache keyed by file name never serves a stale model.
 */
export function synthFingerprint(doc: GgufDocument, options: FingerprintOptions): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(options));
  hash.update(JSON.stringify(doc.metadata));
  for (const { name, shape, type, init } of doc.tensors) {
    if (init.kind === 'values') {
      hash.update(JSON.stringify({ name, shape, type, init: 'values' }));
      hash.update(new Uint8Array(init.values.buffer, init.values.byteOffset, init.values.byteLength));
    } else {
      hash.update(JSON.stringify({ name, shape, type, init }));
    }
  }
  return hash.digest('hex');
}

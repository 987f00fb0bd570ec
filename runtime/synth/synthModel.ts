import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { shardPaths, writeGguf, type WrittenGguf } from '../gguf/writer.js';
import { synthFingerprint } from './fingerprint.js';
import { synthDocument, type SynthModelOptions } from './model.js';
import { GPT_OSS_SHAPES } from './presets.js';

export interface SynthModelRequest extends SynthModelOptions {
  out: string;
  seed: number;
  shards?: number;
  sparse?: boolean;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

const shardsOf = (request: SynthModelRequest) =>
  request.shards ?? (request.arch === 'gpt-oss' ? GPT_OSS_SHAPES[request.preset].defaultShards : 1);

/** Writes a synthetic model; same options and seed give the same bytes. */
export async function synthModel(request: SynthModelRequest): Promise<WrittenGguf> {
  return writeGguf(request.out, synthDocument(request), {
    seed: request.seed,
    shards: shardsOf(request),
    sparse: request.sparse ?? false,
    onProgress: request.onProgress,
  });
}

/** Where ensureSynthModel records the fingerprint of the file it wrote. */
export const fingerprintPath = (out: string) => `${out}.fingerprint`;

const recorded = (out: string) =>
  existsSync(fingerprintPath(out)) ? readFileSync(fingerprintPath(out), 'utf8') : null;

/**
 * Writes the model unless the same model is already there: a cache keyed by file name and checked by
 * fingerprint (./fingerprint.ts), so a file written by older code is replaced. True when it wrote.
 */
export async function ensureSynthModel(request: SynthModelRequest): Promise<boolean> {
  const doc = synthDocument(request);
  const shards = shardsOf(request);
  const sparse = request.sparse ?? false;
  const fingerprint = synthFingerprint(doc, { seed: request.seed, shards, sparse });
  const present = shardPaths(request.out, shards).every((file) => existsSync(file));
  if (present && recorded(request.out) === fingerprint) return false;
  await mkdir(dirname(request.out), { recursive: true });
  await writeGguf(request.out, doc, { seed: request.seed, shards, sparse, onProgress: request.onProgress });
  // written after the model and renamed into place, so a fingerprint always describes a complete file
  const partial = `${fingerprintPath(request.out)}.partial-${process.pid}`;
  await writeFile(partial, fingerprint);
  await rename(partial, fingerprintPath(request.out));
  return true;
}

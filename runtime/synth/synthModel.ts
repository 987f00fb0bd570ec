import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeGguf, type WrittenGguf } from '../gguf/writer.js';
import { synthDocument, type SynthModelOptions } from './model.js';
import { GPT_OSS_SHAPES } from './presets.js';

export interface SynthModelRequest extends SynthModelOptions {
  out: string;
  seed: number;
  shards?: number;
  sparse?: boolean;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

/** Writes a synthetic model; same options and seed give the same bytes. */
export async function synthModel(request: SynthModelRequest): Promise<WrittenGguf> {
  const doc = synthDocument(request);
  const shards = request.shards ?? (request.arch === 'gpt-oss' ? GPT_OSS_SHAPES[request.preset].defaultShards : 1);
  return writeGguf(request.out, doc, {
    seed: request.seed,
    shards,
    sparse: request.sparse ?? false,
    onProgress: request.onProgress,
  });
}

/** Writes the model only when its file is not there yet (a cache keyed by file name); true when it wrote. */
export async function ensureSynthModel(request: SynthModelRequest): Promise<boolean> {
  if (existsSync(request.out)) return false;
  await mkdir(dirname(request.out), { recursive: true });
  await synthModel(request);
  return true;
}

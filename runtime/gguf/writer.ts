import { open, rename, rm } from 'node:fs/promises';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_VERSION, alignUp } from './format.js';
import { specByteSize, tensorChunks, type TensorSpec } from './tensorData.js';
import { GgufEncoder, gguf, type GgufValue } from './values.js';

/*
 * Written by hand because no npm package writes GGUF tensor data: @huggingface/gguf reads files and
 * edits headers only, and full-size models must be streamed to disk tensor by tensor.
 */

export interface GgufDocument {
  metadata: ReadonlyArray<readonly [string, GgufValue]>;
  tensors: readonly TensorSpec[];
}

export interface WriteGgufOptions {
  seed: number;
  /** Split into this many files named `<stem>-0000i-of-0000n.gguf`, as llama.cpp's gguf-split does. */
  shards?: number;
  /** Write headers and a sparse (hole-filled) data section: the right sizes and tensor list, no weights. */
  sparse?: boolean;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

export interface WrittenGguf {
  /** The files written, first shard first. */
  files: string[];
  totalBytes: number;
}

interface Shard {
  path: string;
  header: Buffer;
  tensors: TensorSpec[];
  dataOffsets: number[];
  size: number;
}

export function shardPaths(out: string, shards: number): string[] {
  if (shards === 1) return [out];
  const stem = out.replace(/\.gguf$/i, '');
  const width = 5;
  return Array.from(
    { length: shards },
    (_, i) => `${stem}-${String(i + 1).padStart(width, '0')}-of-${String(shards).padStart(width, '0')}.gguf`,
  );
}

function splitTensors(tensors: readonly TensorSpec[], shards: number): TensorSpec[][] {
  const total = tensors.reduce((sum, t) => sum + specByteSize(t), 0);
  const groups: TensorSpec[][] = Array.from({ length: shards }, () => []);
  let done = 0;
  for (const tensor of tensors) {
    const index = Math.min(shards - 1, Math.floor((done / total) * shards));
    groups[index]!.push(tensor);
    done += specByteSize(tensor);
  }
  if (groups.some((g) => g.length === 0))
    throw new Error(`cannot split ${tensors.length} tensors into ${shards} shards`);
  return groups;
}

function layoutShard(path: string, metadata: GgufDocument['metadata'], tensors: TensorSpec[]): Shard {
  const magic = Buffer.from(GGUF_MAGIC, 'ascii');
  const body = new GgufEncoder();
  body.u32(GGUF_VERSION);
  body.u64(tensors.length);
  body.u64(metadata.length);
  for (const [key, value] of metadata) body.keyValue(key, value);
  const dataOffsets: number[] = [];
  let offset = 0;
  for (const tensor of tensors) {
    body.string(tensor.name);
    body.u32(tensor.shape.length);
    for (const dim of tensor.shape) body.u64(dim);
    body.u32(tensor.type);
    body.u64(offset);
    dataOffsets.push(offset);
    offset = alignUp(offset + specByteSize(tensor), GGUF_DEFAULT_ALIGNMENT);
  }
  const unpadded = magic.length + body.length;
  body.zeros(alignUp(unpadded, GGUF_DEFAULT_ALIGNMENT) - unpadded);
  const headerBuf = Buffer.concat([magic, body.toBuffer()]);
  const last = tensors.at(-1)!;
  const dataSize = dataOffsets.at(-1)! + specByteSize(last);
  return { path, header: headerBuf, tensors, dataOffsets, size: headerBuf.length + dataSize };
}

/** Lays out every shard's header and size without writing anything. */
export function layoutGguf(out: string, doc: GgufDocument, shards = 1): Shard[] {
  const paths = shardPaths(out, shards);
  const groups = shards === 1 ? [[...doc.tensors]] : splitTensors(doc.tensors, shards);
  return groups.map((tensors, i) => {
    const split: Array<readonly [string, GgufValue]> =
      shards === 1
        ? []
        : [
            ['split.no', gguf.u16(i)],
            ['split.count', gguf.u16(shards)],
            ['split.tensors.count', gguf.i32(doc.tensors.length)],
          ];
    // gguf-split keeps the model's metadata in the first shard only.
    const metadata = i === 0 ? [...doc.metadata, ...split] : split;
    return layoutShard(paths[i]!, metadata, tensors);
  });
}

async function writeShard(shard: Shard, tmpPath: string, options: WriteGgufOptions, progress: (n: number) => void) {
  const handle = await open(tmpPath, 'wx');
  try {
    await handle.write(shard.header, 0, shard.header.length, 0);
    if (options.sparse) {
      await handle.truncate(shard.size);
      progress(shard.size);
      return;
    }
    for (let i = 0; i < shard.tensors.length; i++) {
      let position = shard.header.length + shard.dataOffsets[i]!;
      for (const chunk of tensorChunks(shard.tensors[i]!, options.seed)) {
        await handle.write(chunk, 0, chunk.length, position);
        position += chunk.length;
        progress(chunk.length);
      }
    }
    // alignment padding between tensors is left as a hole; make sure the file reaches its full size
    await handle.truncate(shard.size);
  } finally {
    await handle.close();
  }
}

/**
 * Writes a GGUF v3 model, streamed tensor by tensor. Every shard is written under a temporary name
 * and renamed into place only when all of them are complete, so a failure leaves no partial file.
 */
export async function writeGguf(out: string, doc: GgufDocument, options: WriteGgufOptions): Promise<WrittenGguf> {
  const shards = layoutGguf(out, doc, options.shards ?? 1);
  const totalBytes = shards.reduce((sum, s) => sum + s.size, 0);
  const tmpPaths = shards.map((s) => `${s.path}.partial-${process.pid}`);
  let done = 0;
  const progress = (n: number) => {
    done += n;
    options.onProgress?.(done, totalBytes);
  };
  try {
    for (let i = 0; i < shards.length; i++) await writeShard(shards[i]!, tmpPaths[i]!, options, progress);
    for (let i = 0; i < shards.length; i++) await rename(tmpPaths[i]!, shards[i]!.path);
  } catch (cause) {
    await Promise.all(tmpPaths.map((p) => rm(p, { force: true })));
    throw cause;
  }
  return { files: shards.map((s) => s.path), totalBytes };
}

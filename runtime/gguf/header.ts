import { readGgufFileInfo } from 'node-llama-cpp';
import { checkModelFile } from '../modelFile.js';

/** What adapters are checked against: a GGUF file's identity and its tensors' names and shapes. */
export interface GgufHeader {
  /** `general.architecture` ("gpt-oss", "llama"); empty when the file has none. */
  architecture: string;
  /** `general.name`; empty when the file has none. */
  name: string;
  /** `general.type`: "model" (or empty, in older files) for a model, "adapter" for an adapter. */
  type: string;
  /** `adapter.type` of an adapter ("lora"); empty otherwise. */
  adapterType: string;
  /** Tensor shapes in ggml order (row length first), by name; every shard's tensors for a sharded model. */
  tensors: ReadonlyMap<string, readonly number[]>;
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');

/**
 * Reads a GGUF file's header only (metadata and tensor list, no weights), with node-llama-cpp's
 * reader; the tokenizer's arrays are skipped. Throws "<what> <path>: <why>" for a missing or non-GGUF file.
 */
export async function readGgufHeader(path: string, what = 'model file'): Promise<GgufHeader> {
  await checkModelFile(path).catch((error: unknown) => {
    throw new Error((error as Error).message.replace(/^model file/, what));
  });
  const info = await readGgufFileInfo(path, {
    logWarnings: false,
    ignoreKeys: ['tokenizer.ggml.tokens', 'tokenizer.ggml.token_type', 'tokenizer.ggml.merges'],
  });
  const metadata = info.metadata as unknown as Record<string, Record<string, unknown> | undefined>;
  return {
    architecture: text(metadata.general?.architecture),
    name: text(metadata.general?.name),
    type: text(metadata.general?.type),
    adapterType: text(metadata.adapter?.type),
    tensors: new Map((info.fullTensorInfo ?? info.tensorInfo ?? []).map((t) => [t.name, t.dimensions.map(Number)])),
  };
}

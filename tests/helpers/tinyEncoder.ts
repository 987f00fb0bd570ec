import { getLlama, type Llama, type LlamaModel, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll } from 'vitest';
import { PromptEncoder } from '../../runtime/engine/promptEncoder.js';
import { modelPath } from './models.js';

/** The tiny gpt-oss model's tokenizer and the runtime's encoder on it, loaded for a test file. */
export interface TinyEncoder {
  model: LlamaModel;
  encoder: PromptEncoder;
  /** The ids of harmony's formatting tokens. */
  formattingIds: Set<Token>;
}

/** Loads the tiny model before the file's tests and frees it after; the fields are set once they run. */
export function useTinyEncoder(): TinyEncoder {
  const loaded = {} as TinyEncoder;
  let llama: Llama | undefined;
  beforeAll(async () => {
    llama = await getLlama({ gpu: false, build: 'never' });
    loaded.model = await llama.loadModel({ modelPath: modelPath('tiny') });
    loaded.encoder = PromptEncoder.for(loaded.model);
    loaded.formattingIds = new Set(loaded.encoder.formatting!.values());
  });
  afterAll(async () => {
    await loaded.model?.dispose();
    await llama?.dispose();
  });
  return loaded;
}

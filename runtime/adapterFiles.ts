import type { ServedAdapter } from '../contract/argv/serve.js';
import { readGgufHeader } from './gguf/header.js';
import { loraMismatch } from './gguf/lora.js';

/**
 * Checks every adapter against the model from the GGUF headers (no weights read), before anything
 * starts: llama.cpp would refuse a mismatch only when it creates the adapter's context, with
 * "Failed to initialize LoRA adapter" and no reason. Throws one line naming the adapter and the mismatch.
 */
export async function checkAdapterFiles(modelPath: string, adapters: readonly ServedAdapter[]): Promise<void> {
  if (adapters.length === 0) return;
  const model = await readGgufHeader(modelPath);
  for (const adapter of adapters) {
    const header = await readGgufHeader(adapter.path, `adapter ${adapter.name}: file`);
    const problem = loraMismatch(model, header);
    // the problem says all: no cause, so the CLI prints one short line
    if (problem) throw new Error(`adapter ${adapter.name} (${adapter.path}) does not fit the model: ${problem}`);
  }
}

import { basename } from 'node:path';
import { serveFlagsSchema, type ServeFlags, type ServeOptions } from '../contract/argv/serve.js';
import { parseFlags } from '../contract/flags.js';
import { defaultThreads } from './engine/threads.js';

/** `gptoss serve` settings, defaulted and validated once at start-up (the flags: contract/argv/serve.ts). */
export type ServeConfig = Omit<ServeFlags, 'model' | 'modelName' | 'threads'> & {
  modelPath: string;
  modelName: string;
  threads: number;
};

/** The served name when none is given: the file's name without .gguf and a shard suffix. */
export function modelNameFromFile(path: string): string {
  return basename(path)
    .replace(/\.gguf$/i, '')
    .replace(/-\d{5}-of-\d{5}$/, '');
}

/** From the flags as commander parsed them (or typed options): errors name the flag. */
export function loadServeConfig(flags: ServeOptions | Record<string, unknown>): ServeConfig {
  const { model, modelName, threads, ...rest } = parseFlags(serveFlagsSchema, flags);
  return {
    ...rest,
    modelPath: model,
    modelName: modelName ?? modelNameFromFile(model),
    threads: threads ?? defaultThreads(),
  };
}

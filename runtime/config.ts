import { basename } from 'node:path';
import { z } from 'zod';
import { REASONING_EFFORTS } from './api/requests.js';
import { defaultThreads } from './engine/threads.js';

/** A whole-number flag between min and max, from its string. */
export const int = (min: number, max: number) =>
  z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(min, `must be between ${min} and ${max}`).max(max, `must be between ${min} and ${max}`);

/** `gptoss serve` settings: the operator sets them from the GptOssModel's spec. */
export const serveConfigSchema = z.object({
  modelPath: z.string({ error: 'is required' }).min(1, 'is required'),
  modelName: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'must be letters, digits and . _ : / -').optional(),
  variant: z.enum(['gpt-oss-20b', 'gpt-oss-120b'], { error: 'must be gpt-oss-20b or gpt-oss-120b' }).optional(),
  listenAddress: z.string().min(1).default('127.0.0.1'),
  grpcPort: int(0, 65535).default(50051),
  httpPort: int(0, 65535).default(8080),
  parallel: int(1, 256).default(4),
  contextSize: int(1, 131072).default(4096),
  reasoningEffort: z.enum(REASONING_EFFORTS, { error: 'must be low, medium or high' }).default('medium'),
  threads: int(1, 1024).optional(),
  gpu: z.enum(['auto', 'cuda', 'vulkan', 'cpu'], { error: 'must be auto, cuda, vulkan or cpu' }).default('auto'),
  maxQueue: int(0, 100_000).default(64),
  graceSeconds: int(0, 3600).default(30),
  maxBodyBytes: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
});

export type ServeConfigInput = z.input<typeof serveConfigSchema>;
export type ServeConfig = Omit<z.output<typeof serveConfigSchema>, 'modelName' | 'threads'> & { modelName: string; threads: number };

/** The served name when none is given: the file's name without .gguf and a shard suffix. */
export function modelNameFromFile(path: string): string {
  return basename(path).replace(/\.gguf$/i, '').replace(/-\d{5}-of-\d{5}$/, '');
}

const FLAG_NAMES: Record<string, string> = {
  modelPath: '--model', modelName: '--model-name', variant: '--variant', listenAddress: '--listen-address',
  grpcPort: '--grpc-port', httpPort: '--http-port', parallel: '--parallel', contextSize: '--context-size',
  reasoningEffort: '--reasoning-effort', threads: '--threads', gpu: '--gpu', maxQueue: '--max-queue',
  graceSeconds: '--grace-seconds', maxBodyBytes: '--max-body-bytes',
};

export class ConfigError extends Error {}

/** Validates flags with `schema`; the first problem becomes a ConfigError that names the flag (`--kebab-case` of the key unless `flagNames` says otherwise). */
export function parseFlags<S extends z.ZodType>(schema: S, input: unknown, flagNames: Record<string, string> = {}): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = String(issue.path[0] ?? '');
    throw new ConfigError(`${flagNames[key] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`} ${issue.message}`);
  }
  return result.data;
}

/** Defaults and validation, once at start-up; the result is passed to everything that needs it. */
export function loadServeConfig(input: ServeConfigInput): ServeConfig {
  const c = parseFlags(serveConfigSchema, input, FLAG_NAMES);
  return { ...c, modelName: c.modelName ?? modelNameFromFile(c.modelPath), threads: c.threads ?? defaultThreads() };
}

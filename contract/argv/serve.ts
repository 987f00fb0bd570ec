import * as z from 'zod';
import { oneOf } from '../errors.js';
import { choice, flagsSchema, int, toArgv, type FlagTable } from '../flags.js';
import {
  DEFAULT_REASONING_EFFORT,
  MAX_CONTEXT_SIZE,
  MAX_PARALLEL_SLOTS,
  REASONING_EFFORTS,
  VARIANTS,
} from '../models.js';
import { RUNTIME_GRPC_PORT, RUNTIME_HTTP_PORT } from '../names.js';

/**
 * The contract between the operator and `gptoss serve`: the operator writes the runtime
 * container's arguments with serveArgs and the command parses them with the same table, so both
 * agree on every flag, bound and default. Pure.
 */

export const GPU_CHOICES = ['auto', 'cuda', 'vulkan', 'cpu'] as const;
export type GpuChoice = (typeof GPU_CHOICES)[number];

/**
 * The system message's `Current date:` line: `today` (UTC, at each request, as OpenAI's chat
 * template writes it), a fixed YYYY-MM-DD, or `none` (the line left out, as the harmony reference
 * does without a date). Shared by `gptoss serve` and `gptoss render`.
 */
export const currentDateSchema = z
  .string()
  .refine(
    (value) =>
      value === 'today' ||
      value === 'none' ||
      (/^\d{4}-\d{2}-\d{2}$/.test(value) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value)),
    'must be today, none or a date YYYY-MM-DD',
  )
  .default('today');
export type CurrentDate = z.output<typeof currentDateSchema>;

/** A LoRA adapter served beside the model, under the id `<model-name>:<name>`. */
export interface ServedAdapter {
  name: string;
  /** The adapter's GGUF file. */
  path: string;
  /** How much of the adapter llama.cpp applies: 0 is the base model, 1 the adapter as trained. */
  scale: number;
}

export const MAX_ADAPTERS = 16;
export const MAX_ADAPTER_SCALE = 10;
/** An adapter's name: the text after `<model-name>:` in its id. */
export const ADAPTER_NAME_PATTERN = '[A-Za-z0-9][A-Za-z0-9._-]*';
export const ADAPTER_NAME = new RegExp(`^${ADAPTER_NAME_PATTERN}$`);
export const MAX_ADAPTER_NAME_LENGTH = 63;
const SCALE_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** `--adapter`'s text: NAME=PATH, then :SCALE when the text after the last colon is a number. */
export const adapterArg = (a: ServedAdapter) => `${a.name}=${a.path}:${a.scale}`;

/** One `--adapter` value, or why it is not one. Pure. */
export function parseAdapterArg(text: string): ServedAdapter | string {
  const equals = text.indexOf('=');
  if (equals < 0) return `${JSON.stringify(text)} must be NAME=PATH[:SCALE]`;
  const name = text.slice(0, equals);
  const rest = text.slice(equals + 1);
  if (!ADAPTER_NAME.test(name)) return `name ${JSON.stringify(name)} must be letters, digits and . _ - (not first)`;
  const colon = rest.lastIndexOf(':');
  const scaled = colon >= 0 && SCALE_TEXT.test(rest.slice(colon + 1));
  const path = scaled ? rest.slice(0, colon) : rest;
  const scale = scaled ? Number(rest.slice(colon + 1)) : 1;
  if (!path) return `${name} needs a file path: NAME=PATH[:SCALE]`;
  if (!(scale >= 0 && scale <= MAX_ADAPTER_SCALE))
    return `${name}: scale ${scale} must be between 0 and ${MAX_ADAPTER_SCALE}`;
  return { name, path, scale };
}

const adapterObject = z.object({ name: z.string(), path: z.string(), scale: z.number() });

/** Text from the command line, or typed adapters from a caller (checked the same way, through their text). */
const adaptersSchema = z
  .array(z.union([z.string(), adapterObject]), { error: 'must be NAME=PATH[:SCALE] values' })
  .max(MAX_ADAPTERS, `may be given at most ${MAX_ADAPTERS} times`)
  .default([])
  .transform((values, ctx): ServedAdapter[] => {
    const adapters: ServedAdapter[] = [];
    for (const value of values) {
      const parsed = parseAdapterArg(typeof value === 'string' ? value : adapterArg(value));
      if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
      else if (adapters.some((a) => a.name === parsed.name)) {
        ctx.addIssue({ code: 'custom', message: `name ${parsed.name} is given twice` });
      } else adapters.push(parsed);
    }
    return adapters;
  });

/** `gptoss serve`'s flags, keyed as commander names them. */
export const SERVE_FLAGS = {
  model: {
    flag: '--model <file>',
    help: 'GGUF model file (the first shard of a sharded model is enough)',
    schema: z.string({ error: 'is required' }).min(1, 'is required'),
  },
  modelName: {
    flag: '--model-name <name>',
    help: 'served model id (default: the file name without .gguf)',
    schema: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'must be letters, digits and . _ : / -')
      .optional(),
  },
  variant: {
    flag: '--variant <variant>',
    help: `declared variant, reported by GetModelInfo: ${oneOf(VARIANTS)}`,
    schema: choice(VARIANTS).optional(),
  },
  listenAddress: {
    flag: '--listen-address <addr>',
    help: 'address both servers listen on (pods use 0.0.0.0)',
    schema: z.string().min(1).default('127.0.0.1'),
  },
  grpcPort: {
    flag: '--grpc-port <port>',
    help: 'gRPC port (0 picks a free one)',
    schema: int(0, 65535).default(RUNTIME_GRPC_PORT),
  },
  httpPort: {
    flag: '--http-port <port>',
    help: 'HTTP port: OpenAI API, /metrics, /healthz, /readyz (0 picks a free one)',
    schema: int(0, 65535).default(RUNTIME_HTTP_PORT),
  },
  parallel: {
    flag: '--parallel <n>',
    help: 'parallel slots: requests decoded together',
    schema: int(1, MAX_PARALLEL_SLOTS).default(4),
  },
  contextSize: {
    flag: '--context-size <n>',
    help: 'tokens per request (per slot)',
    schema: int(1, MAX_CONTEXT_SIZE).default(4096),
  },
  reasoningEffort: {
    flag: '--reasoning-effort <effort>',
    help: `default reasoning effort: ${oneOf(REASONING_EFFORTS)}`,
    schema: choice(REASONING_EFFORTS).default(DEFAULT_REASONING_EFFORT),
  },
  currentDate: {
    flag: '--current-date <date>',
    help: "the system message's Current date: today (UTC, the default), none, or YYYY-MM-DD",
    schema: currentDateSchema,
  },
  gpu: { flag: '--gpu <gpu>', help: oneOf(GPU_CHOICES), schema: choice(GPU_CHOICES).default('auto') },
  threads: {
    flag: '--threads <n>',
    help: 'CPU threads for llama.cpp (default: CPU budget from the cgroup quota, minus one)',
    schema: int(1, 1024).optional(),
  },
  maxQueue: {
    flag: '--max-queue <n>',
    help: 'requests that may wait for a slot before RESOURCE_EXHAUSTED / 429',
    schema: int(0, 100_000).default(64),
  },
  graceSeconds: {
    flag: '--grace-seconds <n>',
    help: 'on SIGTERM, how long in-flight streams may finish',
    schema: int(0, 3600).default(30),
  },
  maxBodyBytes: {
    flag: '--max-body-bytes <n>',
    help: 'largest request body',
    schema: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
  },
  adapter: {
    flag: '--adapter <name=path[:scale]>',
    help:
      'a LoRA adapter (GGUF) served beside the model as <model-name>:<name>, at scale 0 to ' +
      `${MAX_ADAPTER_SCALE} (default 1), in its own context with --parallel slots; repeat for more`,
    repeat: true,
    schema: adaptersSchema,
  },
} satisfies FlagTable;

export const serveFlagsSchema = flagsSchema(SERVE_FLAGS);

/** Parsed flags: every default applied. */
export type ServeFlags = z.output<typeof serveFlagsSchema>;
/** What a caller sets; what it leaves out the command defaults. Strings pass through (`$(POD_IP)`). */
export type ServeOptions = Partial<ServeFlags> & Pick<ServeFlags, 'model'>;

/** `gptoss serve` arguments (after the executable). */
export const serveArgs = (options: ServeOptions): string[] => [
  'serve',
  ...toArgv(SERVE_FLAGS, { ...options, adapter: options.adapter?.map(adapterArg) }),
];

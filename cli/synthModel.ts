import type { Command } from 'commander';
import * as z from 'zod';
import { ConfigError, oneOf } from '../contract/errors.js';
import { choice, flagsSchema, int, parseFlags, type FlagTable } from '../contract/flags.js';
import { invalidCombination } from '../runtime/synth/model.js';
import { ARCHES, PRESETS } from '../runtime/synth/presets.js';
import { fail } from './fail.js';
import { addFlags } from './flags.js';

const SYNTH_FLAGS = {
  arch: { flag: '--arch <arch>', help: `architecture: ${oneOf(ARCHES)}`, schema: choice(ARCHES) },
  preset: { flag: '--preset <preset>', help: `size: ${oneOf(PRESETS)}`, schema: choice(PRESETS) },
  out: {
    flag: '--out <file>',
    help: 'output file (sharded models get -0000i-of-0000n suffixes)',
    schema: z.string({ error: 'is required' }).min(1, 'is required'),
  },
  seed: {
    flag: '--seed <n>',
    help: 'random seed: same seed, same bytes',
    schema: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(0, 'must be at least 0')
      .max(2 ** 32 - 1, 'must fit in 32 bits')
      .default(1),
  },
  shards: {
    flag: '--shards <n>',
    help: 'split into n files like gguf-split (default: 3 for gpt-oss-120b, else 1)',
    schema: int(1, 99).optional(),
  },
  sparse: {
    flag: '--sparse',
    help: 'headers and a sparse data section only: real tensor list and sizes, no weights',
    schema: z.boolean().optional(),
  },
  scripted: {
    flag: '--scripted',
    help: 'shape the weights so the model answers with a fixed harmony script (tiny, small)',
    schema: z.boolean().optional(),
  },
} satisfies FlagTable;

/** Flags of the adapter mode (`--adapter-for`): it also takes --out and --seed, and none of the model's others. */
const ADAPTER_FLAGS = {
  adapterFor: {
    flag: '--adapter-for <file>',
    help: 'write a LoRA adapter for this synthetic model instead of a model (with --rank)',
    schema: z.string().min(1, 'must name a file'),
  },
  rank: {
    flag: '--rank <n>',
    help: 'LoRA rank of the adapter: at least 1, at most the smallest projection dimension',
    schema: z
      .string({ error: 'is required with --adapter-for' })
      .pipe(
        z.coerce
          .number<string>({ error: 'must be a number' })
          .int('must be a whole number')
          .min(1, 'must be at least 1')
          .max(65_536, 'must be at most 65536'),
      ),
  },
  alpha: {
    flag: '--alpha <a>',
    help: 'LoRA alpha: llama.cpp scales the adapter by alpha / rank (default: the rank)',
    schema: z.coerce.number({ error: 'must be a number' }).positive('must be more than 0').optional(),
  },
} satisfies FlagTable;

const adapterSchema = flagsSchema({ ...ADAPTER_FLAGS, out: SYNTH_FLAGS.out, seed: SYNTH_FLAGS.seed });
const MODEL_ONLY = ['arch', 'preset', 'shards', 'sparse', 'scripted'] as const;

/** The flags as the command given: a model's (the default) or an adapter's (with --adapter-for). */
export function parseSynthFlags(raw: Record<string, unknown>) {
  if (raw.adapterFor === undefined) {
    const stray = (['rank', 'alpha'] as const).find((key) => raw[key] !== undefined);
    if (stray) throw new ConfigError(`--${stray} needs --adapter-for`);
    const flags = parseFlags(flagsSchema(SYNTH_FLAGS), raw);
    const problem = invalidCombination(flags);
    if (problem) throw new ConfigError(problem);
    return { kind: 'model' as const, flags };
  }
  const stray = MODEL_ONLY.find((key) => raw[key] !== undefined);
  if (stray)
    throw new ConfigError(`--${stray} does not go with --adapter-for (an adapter takes its shape from the model)`);
  return { kind: 'adapter' as const, flags: parseFlags(adapterSchema, raw, { adapterFor: '--adapter-for' }) };
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

export function configure(command: Command): void {
  addFlags(command, { ...SYNTH_FLAGS, ...ADAPTER_FLAGS }).action(async (raw: Record<string, unknown>) => {
    let parsed;
    try {
      parsed = parseSynthFlags(raw);
    } catch (error) {
      fail('synth-model', error);
    }
    if (parsed.kind === 'adapter') return writeAdapter(parsed.flags);
    const { flags } = parsed;
    const { synthModel } = await import('../runtime/synth/synthModel.js');
    let lastReport = 0;
    try {
      const written = await synthModel({
        ...flags,
        onProgress: (done, total) => {
          const now = Date.now();
          if (now - lastReport < 1000 && done < total) return;
          lastReport = now;
          process.stderr.write(`wrote ${gib(done)} of ${gib(total)} (${Math.floor((done / total) * 100)}%)\n`);
        },
      });
      for (const file of written.files) process.stdout.write(`${file}\n`);
    } catch (error) {
      fail('synth-model', new Error(`cannot write ${flags.out}`, { cause: error }));
    }
  });
}

async function writeAdapter(flags: z.output<typeof adapterSchema>): Promise<void> {
  const { synthAdapter } = await import('../runtime/synth/adapter.js');
  try {
    const written = await synthAdapter(flags);
    for (const file of written.files) process.stdout.write(`${file}\n`);
  } catch (error) {
    // a base that is not a synthetic model is the caller's mistake (2); a failed write is not (1)
    fail(
      'synth-model',
      error instanceof ConfigError ? error : new Error(`cannot write ${flags.out}`, { cause: error }),
    );
  }
}

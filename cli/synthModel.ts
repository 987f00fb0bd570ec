import type { Command } from 'commander';
import { z } from 'zod';
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

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

export function configure(command: Command): void {
  addFlags(command, SYNTH_FLAGS).action(async (raw: Record<string, unknown>) => {
    let flags;
    try {
      flags = parseFlags(flagsSchema(SYNTH_FLAGS), raw);
      const problem = invalidCombination(flags);
      if (problem) throw new ConfigError(problem);
    } catch (error) {
      fail('synth-model', error);
    }
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

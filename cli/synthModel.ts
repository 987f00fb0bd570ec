import { Option, type Command } from 'commander';
import { z } from 'zod';
import { ConfigError } from '../runtime/config.js';
import { invalidCombination } from '../runtime/synth/model.js';
import { ARCHES, PRESETS } from '../runtime/synth/presets.js';
import { fail } from './fail.js';

const flagsSchema = z.object({
  arch: z.enum(ARCHES),
  preset: z.enum(PRESETS),
  out: z.string().min(1),
  seed: z.coerce.number({ error: '--seed must be a number' }).int('--seed must be a whole number').min(0, '--seed must be at least 0').max(2 ** 32 - 1, '--seed must fit in 32 bits'),
  shards: z.coerce.number({ error: '--shards must be a number' }).int('--shards must be a whole number').min(1, '--shards must be between 1 and 99').max(99, '--shards must be between 1 and 99').optional(),
  sparse: z.boolean().optional(),
  scripted: z.boolean().optional(),
});

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

export function registerSynthModel(program: Command): void {
  program
    .command('synth-model')
    .description('write a synthetic GGUF model with seeded random weights (real architectures and shapes)')
    .addOption(new Option('--arch <arch>', 'architecture').choices(ARCHES).makeOptionMandatory())
    .addOption(new Option('--preset <preset>', 'size').choices(PRESETS).makeOptionMandatory())
    .requiredOption('--out <file>', 'output file (sharded models get -0000i-of-0000n suffixes)')
    .option('--seed <n>', 'random seed: same seed, same bytes', '1')
    .option('--shards <n>', 'split into n files like gguf-split (default: 3 for gpt-oss-120b, else 1)')
    .option('--sparse', 'headers and a sparse data section only: real tensor list and sizes, no weights')
    .option('--scripted', 'shape the weights so the model answers with a fixed harmony script (tiny, small)')
    .action(async (raw: Record<string, unknown>) => {
      const parsed = flagsSchema.safeParse(raw);
      if (!parsed.success) fail('synth-model', new ConfigError(parsed.error.issues[0]!.message));
      const flags = parsed.data;
      const problem = invalidCombination(flags);
      if (problem) fail('synth-model', new ConfigError(problem));
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

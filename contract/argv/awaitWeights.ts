import * as z from 'zod';
import { flagsSchema, int, parseFlags, toArgv, type FlagTable } from '../flags.js';

/**
 * The contract between the operator and `gptoss await-weights`, the init container of a runtime pod
 * on a shared weight cache: the operator writes its arguments with awaitWeightsArgs and the command
 * parses them with the same table. It waits for the cache's completion mark (COMPLETE_MARKER in
 * fetch.ts) to hold the model's weightsDigest. Pure.
 */

/** `gptoss await-weights`' flags, keyed as commander names them. */
export const AWAIT_WEIGHTS_FLAGS = {
  dir: {
    flag: '--dir <dir>',
    help: 'the shared cache folder (read only: nothing is written)',
    schema: z.string({ error: 'is required' }).min(1, 'is required'),
  },
  digest: {
    flag: '--digest <hex>',
    help: "the files' digest the completion mark must hold (16 lower-case hex, as weightsDigest gives)",
    schema: z
      .string({ error: 'is required' })
      .regex(/^[0-9a-f]{16}$/, 'must be 16 lower-case hex characters (weightsDigest of the files)'),
  },
  poll: {
    flag: '--poll <seconds>',
    help: 'look for the completion mark this often',
    schema: int(1, 60).default(2),
  },
  logEvery: {
    flag: '--log-every <seconds>',
    help: 'log what was found (no mark, or a mark of another digest) this often while waiting',
    schema: int(1, 3600).default(30),
  },
} satisfies FlagTable;

const awaitWeightsFlagsSchema = flagsSchema(AWAIT_WEIGHTS_FLAGS);

/** `gptoss await-weights` arguments (after the executable) that wait for `digest` in `dir`. */
export function awaitWeightsArgs(dir: string, digest: string): string[] {
  return ['await-weights', ...toArgv(AWAIT_WEIGHTS_FLAGS, { dir, digest })];
}

export interface AwaitWeightsConfig {
  dir: string;
  digest: string;
  pollSeconds: number;
  logEverySeconds: number;
}

/** Defaults and validation, once at start-up. */
export function loadAwaitWeightsConfig(flags: unknown): AwaitWeightsConfig {
  const { dir, digest, poll, logEvery } = parseFlags(awaitWeightsFlagsSchema, flags);
  return { dir, digest, pollSeconds: poll, logEverySeconds: logEvery };
}

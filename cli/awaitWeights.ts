import { constants } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import type { Command } from 'commander';
import { AWAIT_WEIGHTS_FLAGS, loadAwaitWeightsConfig, type AwaitWeightsConfig } from '../contract/argv/awaitWeights.js';
import { systemClock } from '../contract/clock.js';
import type { Logger } from '../contract/log.js';
import { fail } from './fail.js';
import { flagCommand } from './flags.js';

export type AwaitWeightsRunner = (config: AwaitWeightsConfig, log: Logger) => Promise<void>;

/** `gptoss await-weights`; `run` is injected by the test that parses awaitWeightsArgs back. */
export function configure(
  command: Command,
  logLevel: () => string,
  _name = 'await-weights',
  run: AwaitWeightsRunner = runAwaitWeights,
): void {
  flagCommand(command, AWAIT_WEIGHTS_FLAGS, logLevel, loadAwaitWeightsConfig, run);
}

const sleep = (seconds: number, stop: AbortSignal) =>
  delay(seconds * 1000, undefined, { signal: stop }).catch(() => undefined);

/**
 * Exits 0 once the weights are complete. SIGTERM or SIGINT stops the wait at once (node as a
 * container's PID 1 would otherwise ignore SIGTERM until the grace period's SIGKILL) with 128 + the
 * signal's number, as a process the signal ended: an init container that exited 0 would count as
 * having found the weights.
 */
async function runAwaitWeights(config: AwaitWeightsConfig, log: Logger): Promise<void> {
  const { awaitWeights } = await import('../runtime/fetch/awaitWeights.js');
  const stop = new AbortController();
  let signalNumber = 0;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      signalNumber = constants.signals[signal];
      stop.abort();
    });
  }
  let outcome;
  try {
    outcome = await awaitWeights(config, { clock: systemClock, sleep, log }, stop.signal);
  } catch (error) {
    fail('await-weights', error);
  }
  process.exit(outcome === 'found' ? 0 : 128 + signalNumber);
}

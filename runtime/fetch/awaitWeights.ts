import type { AwaitWeightsConfig } from '../../contract/argv/awaitWeights.js';
import type { Clock } from '../../contract/clock.js';
import { describeError } from '../../contract/errors.js';
import type { Logger } from '../../contract/log.js';
import { readCompleteMark } from './completeMark.js';

export interface AwaitWeightsDeps {
  clock: Clock;
  /** Resolves after `seconds`, or as soon as `stop` aborts. */
  sleep: (seconds: number, stop: AbortSignal) => Promise<void>;
  log: Logger;
}

/** What a look at the cache found, as its log line shows it. */
export type MarkFinding =
  | { found: 'complete' }
  | { found: 'no mark' }
  | { found: 'another digest'; mark: string }
  | { found: 'unreadable mark'; error: string };

/**
 * Looks at `<dir>/.gptoss-complete` once. An error (a permission, a folder or FIFO where the mark
 * should be, a stale NFS handle) is a finding, not a failure: the fetch Job may still put it right,
 * and the log line says what it is.
 */
export async function inspectMark(dir: string, digest: string): Promise<MarkFinding> {
  let mark: string | null;
  try {
    mark = await readCompleteMark(dir);
  } catch (error) {
    return { found: 'unreadable mark', error: describeError(error) };
  }
  if (mark === null) return { found: 'no mark' };
  return mark === digest ? { found: 'complete' } : { found: 'another digest', mark };
}

/**
 * Waits until the cache's completion mark holds exactly `digest`: 'found', or 'stopped' once `stop`
 * aborts (the pod is going away). Reads only. Logs 'Waiting for weights' when it starts to wait and
 * every logEverySeconds after, with what it found.
 */
export async function awaitWeights(
  config: AwaitWeightsConfig,
  { clock, sleep, log }: AwaitWeightsDeps,
  stop: AbortSignal,
): Promise<'found' | 'stopped'> {
  const { dir, digest } = config;
  const started = clock.now();
  const seconds = () => +(clock.now() - started).toFixed(3);
  let finding = await inspectMark(dir, digest);
  let nextLog = started;
  while (finding.found !== 'complete') {
    if (clock.now() >= nextLog) {
      const level = finding.found === 'unreadable mark' ? 'warn' : 'info';
      log[level]({ dir, digest, ...finding, seconds: seconds() }, 'Waiting for weights');
      nextLog = clock.now() + config.logEverySeconds;
    }
    await sleep(config.pollSeconds, stop);
    if (stop.aborted) {
      log.info({ dir, digest, seconds: seconds() }, 'Stopped waiting for weights');
      return 'stopped';
    }
    finding = await inspectMark(dir, digest);
  }
  log.info({ dir, digest, seconds: seconds() }, 'Found complete weights');
  return 'found';
}

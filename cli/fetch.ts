import type { Command } from 'commander';
import { FETCH_FLAGS, loadFetchConfig, type FetchConfig } from '../contract/argv/fetch.js';
import { systemClock } from '../contract/clock.js';
import { describeError } from '../contract/errors.js';
import type { Logger } from '../contract/log.js';
import { fail } from './fail.js';
import { flagCommand } from './flags.js';

export type FetchRunner = (config: FetchConfig, log: Logger) => Promise<void>;

/** `gptoss fetch`; `run` is injected by the test that parses fetchArgs back. */
export function configure(
  command: Command,
  logLevel: () => string,
  _name = 'fetch',
  run: FetchRunner = runFetch,
): void {
  flagCommand(command, FETCH_FLAGS, logLevel, loadFetchConfig, run);
}

const sleep = (seconds: number) => new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000));

/** Serves /progress (HTTP= on stdout once listening), fetches, exits 0 once every file is verified. */
async function runFetch(config: FetchConfig, log: Logger): Promise<void> {
  const { FetchProgress } = await import('../runtime/fetch/progress.js');
  const { startProgressServer } = await import('../runtime/fetch/server.js');
  const { fetchAll } = await import('../runtime/fetch/fetchAll.js');
  const progress = new FetchProgress(config.files.map((f) => f.name));
  let server;
  try {
    server = await startProgressServer(progress, config.listenAddress, config.port);
  } catch (error) {
    fail('fetch', error);
  }
  process.stdout.write(`HTTP=${server.url}\n`);
  let failure: { error: unknown } | undefined;
  try {
    await fetchAll(config, progress, { clock: systemClock, sleep, log });
  } catch (error) {
    failure = { error };
    progress.fail(describeError(error));
  }
  await sleep(config.lingerSeconds);
  await server.close();
  if (failure) fail('fetch', failure.error);
  process.exit(0);
}

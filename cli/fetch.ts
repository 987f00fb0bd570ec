import type { Command } from 'commander';
import { systemClock } from '../runtime/engine/types.js';
import { loadFetchConfig, type FetchConfig, type FetchFlags } from '../runtime/fetch/config.js';
import { createLogger, type Logger } from '../runtime/log.js';
import { describeError, fail } from './fail.js';

export type FetchRunner = (config: FetchConfig, log: Logger) => Promise<void>;

const collect = (value: string, previous: string[]) => [...previous, value];

/** `gptoss fetch`; `run` is injected by the test that parses fetchArgs back. */
export function registerFetch(program: Command, run: FetchRunner = runFetch): void {
  program
    .command('fetch')
    .description('download model files into a folder, resuming and checking each SHA-256 (the init container of url sources)')
    .requiredOption('--dest <dir>', 'folder the files are saved in, each under the last segment of its URL')
    .option('--file <url=sha256>', 'a file and its SHA-256 (64 hex); repeat for every shard, first shard first', collect, [])
    .option('--listen-address <addr>', 'address of the progress server (pods use 0.0.0.0)', '127.0.0.1')
    .option('--port <port>', 'port of the progress server: GET /progress, /healthz (0 picks a free one)', '8080')
    .option('--retries <n>', 'failed attempts in a row per file before giving up (an attempt that gets further than any before resets the count)', '5')
    .option('--timeout <seconds>', 'abandon and retry an attempt after this long without a response or data', '60')
    .option('--linger <seconds>', 'keep answering /progress this long after the end, so a poller sees done or failed', '0')
    .action(async (flags: FetchFlags) => {
      const log = createLogger(program.opts().logLevel as string);
      let config: FetchConfig;
      try {
        config = loadFetchConfig(flags);
      } catch (error) {
        fail('fetch', error);
      }
      await run(config, log);
    });
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

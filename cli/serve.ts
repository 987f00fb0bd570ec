import type { Command } from 'commander';
import { SERVE_FLAGS } from '../contract/argv/serve.js';
import { createLogger, type Logger } from '../contract/log.js';
import type { ServeConfig } from '../runtime/config.js';
import { fail } from './fail.js';
import { addFlags } from './flags.js';

export type ServeRunner = (config: ServeConfig, log: Logger) => Promise<void>;

/** `gptoss serve`; `run` is injected by the test that parses serveArgs back. */
export function configure(
  command: Command,
  logLevel: () => string,
  _name = 'serve',
  run: ServeRunner = serveInForeground,
): void {
  addFlags(command, SERVE_FLAGS).action(async (flags: Record<string, unknown>) => {
    const log = createLogger(logLevel());
    const { loadServeConfig } = await import('../runtime/config.js');
    let config: ServeConfig;
    try {
      config = loadServeConfig(flags);
    } catch (error) {
      fail('serve', error);
    }
    await run(config, log);
  });
}

/** Serves until SIGTERM or SIGINT, printing GRPC= and HTTP= on stdout once the model is loaded. */
async function serveInForeground(config: ServeConfig, log: Logger) {
  const { startRuntime } = await import('../runtime/serve.js');
  let runtime;
  try {
    runtime = await startRuntime(config, log);
  } catch (error) {
    fail('serve', error);
  }
  process.stdout.write(`GRPC=${runtime.grpcAddress}\nHTTP=${runtime.httpUrl}\n`);
  const stop = () => {
    runtime.shutdown().then(
      () => process.exit(0),
      (error: unknown) => fail('serve', error),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

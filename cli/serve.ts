import type { Command } from 'commander';
import { SERVE_FLAGS } from '../contract/argv/serve.js';
import type { Logger } from '../contract/log.js';
import type { ServeConfig } from '../runtime/config.js';
import { fail } from './fail.js';
import { flagCommand } from './flags.js';

export type ServeRunner = (config: ServeConfig, log: Logger) => Promise<void>;

/** `gptoss serve`; `run` is injected by the test that parses serveArgs back. */
export function configure(
  command: Command,
  logLevel: () => string,
  _name = 'serve',
  run: ServeRunner = serveInForeground,
): void {
  flagCommand(
    command,
    SERVE_FLAGS,
    logLevel,
    async (flags: Record<string, unknown>) => (await import('../runtime/config.js')).loadServeConfig(flags),
    run,
  );
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

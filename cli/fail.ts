import { ConfigError, describeError } from '../contract/errors.js';

/** Ends the process with one clear line on stderr: 2 for bad arguments, 1 for everything else. */
export function fail(command: string, error: unknown): never {
  process.stderr.write(`gptoss ${command}: ${describeError(error)}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
}

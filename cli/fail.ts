import { ConfigError } from '../runtime/config.js';
import { describeError } from '../runtime/describeError.js';

export { describeError };

/** Ends the process with one clear line on stderr: 2 for bad arguments, 1 for everything else. */
export function fail(command: string, error: unknown): never {
  const message = describeError(error);
  process.stderr.write(`gptoss ${command}: ${message}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
}

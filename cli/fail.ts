import { ConfigError, describeError } from '../contract/errors.js';

/** Each image holds only its own component: a command whose code was left out says so, not a stack. */
function notInThisImage(error: unknown): unknown {
  if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') return error;
  return new Error('not part of this image', { cause: new Error((error as Error).message.split(' imported from')[0]) });
}

/** Ends the process with one clear line on stderr: 2 for bad arguments, 1 for everything else. */
export function fail(command: string, error: unknown): never {
  process.stderr.write(`gptoss ${command}: ${describeError(notInThisImage(error))}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
}

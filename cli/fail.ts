import { ConfigError } from '../runtime/config.js';

/** "what we were doing: why", following the causes, on one line. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e !== undefined && parts.length < 4; e = e instanceof Error ? e.cause : undefined) {
    parts.push((e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim());
  }
  return parts.join(': ');
}

/** Ends the process with one clear line on stderr: 2 for bad arguments, 1 for everything else. */
export function fail(command: string, error: unknown): never {
  const message = describeError(error);
  process.stderr.write(`gptoss ${command}: ${message}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
}

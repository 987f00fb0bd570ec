/** A bad flag, setting or file: the process prints one line and exits 2 (usage), not 1. */
export class ConfigError extends Error {}

/** "a, b or c", for messages that list what is allowed. */
export const oneOf = (values: readonly string[]) =>
  values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;

/** "what we were doing: why", following the causes, on one line. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e !== undefined && parts.length < 4; e = e instanceof Error ? e.cause : undefined) {
    parts.push((e instanceof Error ? e.message : typeof e === 'string' ? e : JSON.stringify(e)).split('\n')[0]!.trim());
  }
  return parts.join(': ');
}

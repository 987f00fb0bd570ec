/** "what we were doing: why", following the causes, on one line. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e !== undefined && parts.length < 4; e = e instanceof Error ? e.cause : undefined) {
    parts.push((e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim());
  }
  return parts.join(': ');
}

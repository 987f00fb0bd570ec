/**
 * Garbage collection once a process has started, when Node.js runs with `--expose-gc` (the operator image does;
 * elsewhere this does nothing). Start-up (modules' initialisation, the configuration, the caches' first lists)
 * leaves garbage in the old generation that an idle process keeps until its next major collection, which an
 * operator with nothing to do may not reach for hours (docs/benchmarks.md). Two collections: the first frees the
 * garbage, the second gives the pages it emptied back to the system (a collection releases only pages already
 * swept when it starts).
 */
export function collectStartupGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
}

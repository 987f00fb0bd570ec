/** What `gc()` takes on V8 12 and later (Node.js 22+): a major collection now, reducing memory as idle V8 would. */
interface ReducingCollection {
  type: 'major';
  execution: 'sync';
  flavor: 'last-resort';
}

type ExposedGc = (options?: ReducingCollection) => void;

/** `gc()` takes a flavour from V8 12 on; V8 11 (Node.js 20) reads any options object it does not know as "minor". */
const REDUCING_COLLECTION_SINCE_V8 = 12;

const REDUCING_COLLECTION: ReducingCollection = { type: 'major', execution: 'sync', flavor: 'last-resort' };

/**
 * Garbage collection once a process has started, when Node.js runs with `--expose-gc` (the operator image does;
 * elsewhere this does nothing). Start-up (modules' initialisation, the configuration, the caches' first lists)
 * leaves garbage in the old generation that an idle process keeps until its next major collection, which an
 * operator with nothing to do may not reach for hours (docs/benchmarks.md). Two collections: the first frees the
 * garbage; the second gives the pages it emptied back to the system (a collection releases only pages already swept
 * when it starts). Where V8 offers it (Node.js 22 and later, the image's 24), the second is memory-reducing, as V8's
 * own memory reducer runs once a process has been quiet for 8 s: it also compacts the old generation's sparse pages,
 * shrinks the young generation and unmaps the pages V8 pooled for reuse (6 MiB of the operator's 72 on Node.js 24).
 * `v8Version` is process.versions.v8 but in tests.
 */
export function collectStartupGarbage(v8Version = process.versions.v8): void {
  const gc = (globalThis as { gc?: ExposedGc }).gc;
  if (!gc) return;
  gc();
  if (Number.parseInt(v8Version, 10) >= REDUCING_COLLECTION_SINCE_V8) gc(REDUCING_COLLECTION);
  else gc();
}

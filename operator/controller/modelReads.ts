import type { KubernetesObject, ObjectCache } from '@kubernetes/client-node';
import type { GptOssModel } from '../api/v1alpha1/gptOssModel.js';

type Model = GptOssModel & KubernetesObject;

/**
 * Whether the cache's copy (at resourceVersion `cached`) already holds a write that returned `written`. The API
 * server's resourceVersions are etcd revisions, whole numbers that only grow, which controllers may not assume in
 * general; where one is not a whole number, only the write's own version counts as caught up (its watch event).
 */
export function caughtUp(cached: string | undefined, written: string): boolean {
  if (cached === written) return true;
  const whole = /^\d+$/;
  return cached !== undefined && whole.test(cached) && whole.test(written) && BigInt(cached) >= BigInt(written);
}

/** What the event of a status write would tell the watches that the reconcile did not already know. */
const metadataOfInterest = (m: Model) =>
  JSON.stringify([
    m.metadata?.generation,
    m.metadata?.labels ?? {},
    m.metadata?.annotations ?? {},
    m.metadata?.deletionTimestamp ?? null,
  ]);

/**
 * The model as a reconcile reads it: from the informer's cache, as controller-runtime does, except right after this
 * process wrote its status. Until the watch delivers that write, the cache holds the model as it was before it, and
 * a reconcile computing status from there would find it changed, write it again and record its Events twice (the
 * conditions' lastTransitionTime would move, too). So the object the status write returned stands in for the cached
 * one until the cache has caught up with it. The watch event of the write itself is recognised as its echo: it wakes
 * no reconcile, unless the model's generation, labels or annotations moved between the read and the write.
 */
export class ModelReads {
  /** By namespace/name: what the last status write returned, and the versions of writes whose echo is no news. */
  private readonly written = new Map<string, { model: Model; echoes: Set<string> }>();

  constructor(private readonly cache: Pick<ObjectCache<Model>, 'get'>) {}

  /** A copy (the reconcile may set fields of it) of the freshest model known, or null when it is gone. */
  read(namespace: string, name: string): GptOssModel | null {
    const cached = this.cache.get(name, namespace);
    const mine = this.written.get(`${namespace}/${name}`)?.model;
    if (!cached) return null;
    const freshest = mine && !caughtUp(cached.metadata?.resourceVersion, mine.metadata?.resourceVersion ?? '');
    return { ...(freshest ? mine : cached) };
  }

  /** This process wrote the status of `read`; `returned` is the model as the API server answered the write. */
  wroteStatus(read: GptOssModel, returned: GptOssModel): void {
    const model = returned as Model;
    const version = model.metadata?.resourceVersion;
    if (!version) return;
    delete model.metadata.managedFields;
    const key = `${model.metadata.namespace}/${model.metadata.name}`;
    const echoes = this.written.get(key)?.echoes ?? new Set<string>();
    if (metadataOfInterest(read) === metadataOfInterest(model)) echoes.add(version);
    this.written.set(key, { model, echoes });
  }

  /**
   * A watch event of a model: forgets what the cache now holds; true when the event is news to the reconciler (not
   * only the echo of this process's own status write).
   */
  observed(o: Model, gone = false): boolean {
    const key = `${o.metadata?.namespace}/${o.metadata?.name}`;
    const mine = this.written.get(key);
    if (!mine) return true;
    if (gone) {
      this.written.delete(key);
      return true;
    }
    const version = o.metadata?.resourceVersion ?? '';
    const echo = mine.echoes.delete(version);
    if (caughtUp(version, mine.model.metadata?.resourceVersion ?? '')) this.written.delete(key);
    return !echo;
  }

  /** Models whose status write the cache has not shown yet. */
  get pending(): number {
    return this.written.size;
  }
}

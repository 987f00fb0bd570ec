import type { ErrorCallback, Informer, KubernetesObject, ObjectCache, ObjectCallback } from '@kubernetes/client-node';
import { ApiException, type KubeClient } from './client.js';
import { namespacedName, objectKey } from './objectKey.js';

type ObjectVerb = 'add' | 'update' | 'delete';
type Verb = ObjectVerb | 'change' | 'error' | 'connect';

/** A list as the API server sends it (client-node's generated V1ListMeta calls `continue` `_continue`). */
interface ListPage<T> {
  metadata?: { resourceVersion?: string; continue?: string };
  items: T[];
}

interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T & { code?: number };
}

export interface ListWatchOptions<T> {
  labelSelector?: string;
  /**
   * What is kept of each object, cached and handed to the handlers (controller-runtime's cache transform): the object
   * trimmed, or a smaller one. It keeps the name, namespace and resourceVersion, by which the cache knows objects.
   */
  transform?: (object: T) => T;
  /** The watch's timeoutSeconds: client-go's reflector picks 5 to 10 minutes at random, not all renewed at once. */
  watchSeconds?: () => number;
  /** Objects a list asks for at a time (its `limit`); LIST_PAGE_SIZE unless said. */
  pageSize?: number;
}

/**
 * A list is read in pages of this many objects, as client-go's reflector reads one (500 there): a list in one response
 * is parsed whole, and the heap it grew to stays with the process after the objects are trimmed (a client listing 1.2
 * MB of nodes idled 2.1 MiB smaller in pages of 100; docs/benchmarks.md).
 */
export const LIST_PAGE_SIZE = 100;

/** A watch that ends sooner than this with no event is a failure (client-go's reflector: "very short watch"). */
const SHORT_WATCH_MS = 1000;

const gone = (error: unknown) => error instanceof ApiException && error.code === 410;

/**
 * An informer on our KubeClient, a drop-in for client-node's makeInformer (same handlers, same cache, same way of
 * failing: an error other than 410 Gone stops it and goes to the 'error' handlers, for the InformerSupervisor to
 * restart it). Unlike it, the watch asks for bookmarks (a resumed watch starts from a recent resourceVersion, not
 * from the list's) and ends after a few minutes (the connection is renewed as client-go renews it), and a transform
 * trims each object before it is kept.
 */
export class ListWatch<T extends KubernetesObject> implements Informer<T>, ObjectCache<T> {
  /** By namespace ('' for cluster-scoped objects), then name. */
  private readonly objects = new Map<string, Map<string, T>>();
  private readonly handlers = { add: [], update: [], delete: [], error: [], connect: [] } as {
    add: ObjectCallback<T>[];
    update: ObjectCallback<T>[];
    delete: ObjectCallback<T>[];
    error: ErrorCallback[];
    connect: ErrorCallback[];
  };
  private resourceVersion = '';
  private abort: AbortController | null = null;

  constructor(
    private readonly client: KubeClient,
    private readonly path: string,
    private readonly options: ListWatchOptions<T> = {},
  ) {}

  on(verb: ObjectVerb | 'change', callback: ObjectCallback<T>): void;
  on(verb: 'error' | 'connect', callback: ErrorCallback): void;
  on(verb: Verb, callback: ObjectCallback<T> | ErrorCallback): void {
    for (const v of verb === 'change' ? (['add', 'update', 'delete'] as const) : [verb])
      (this.handlers[v] as unknown[]).push(callback);
  }

  off(verb: ObjectVerb | 'change', callback: ObjectCallback<T>): void;
  off(verb: 'error' | 'connect', callback: ErrorCallback): void;
  off(verb: Verb, callback: ObjectCallback<T> | ErrorCallback): void {
    for (const v of verb === 'change' ? (['add', 'update', 'delete'] as const) : [verb]) {
      const list = this.handlers[v] as unknown[];
      const at = list.indexOf(callback);
      if (at >= 0) list.splice(at, 1);
    }
  }

  get(name: string, namespace?: string): T | undefined {
    return this.objects.get(namespace ?? '')?.get(name);
  }

  list(namespace?: string): ReadonlyArray<T> {
    if (namespace) return [...(this.objects.get(namespace)?.values() ?? [])];
    return [...this.objects.values()].flatMap((named) => [...named.values()]);
  }

  /** Lists (unless a watch can resume) and starts watching; resolves once the cache holds the list or it failed. */
  async start(): Promise<void> {
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    try {
      for (const handler of this.handlers.connect) handler();
      if (!this.resourceVersion) await this.relist(abort.signal);
    } catch (error) {
      this.failed(error, abort);
      return;
    }
    void this.watch(abort);
  }

  stop(): Promise<void> {
    this.abort?.abort();
    this.abort = null;
    return Promise.resolve();
  }

  private query(extra: Record<string, string>): string {
    const { labelSelector } = this.options;
    const params = new URLSearchParams({ ...(labelSelector ? { labelSelector } : {}), ...extra });
    return `${this.path}?${params.toString()}`;
  }

  /**
   * Lists in pages into the cache, and forgets what the list no longer has. A continue token the server no longer
   * knows (410 Expired: the list took longer than etcd keeps its revision) makes it list again in one response, as
   * client-go's pager does (FullListIfExpired).
   */
  private async relist(signal: AbortSignal): Promise<void> {
    const listed = new Set<string>();
    let resourceVersion: string;
    try {
      resourceVersion = await this.listPages(listed, this.options.pageSize ?? LIST_PAGE_SIZE, signal);
    } catch (error) {
      if (!gone(error)) throw error;
      listed.clear();
      resourceVersion = await this.listPages(listed, 0, signal);
    }
    for (const [namespace, named] of this.objects) {
      for (const [name, object] of named) {
        if (listed.has(namespacedName(namespace, name))) continue;
        named.delete(name);
        for (const handler of this.handlers.delete) handler(object);
      }
    }
    this.resourceVersion = resourceVersion;
  }

  /** Each page's objects into the cache and their keys into `listed`; the list's resourceVersion. 0: one page. */
  private async listPages(listed: Set<string>, limit: number, signal: AbortSignal): Promise<string> {
    for (let next = ''; ;) {
      const paging = limit ? { limit: String(limit), ...(next ? { continue: next } : {}) } : {};
      const page = await this.client.request<ListPage<T>>('GET', this.query(paging), { signal });
      for (const object of page.items) {
        listed.add(objectKey(object));
        this.upsert(object);
      }
      next = page.metadata?.continue ?? '';
      if (!next) return page.metadata?.resourceVersion ?? '';
    }
  }

  /**
   * Watches until the server ends the stream, then watches again from where it was (listing first when the server
   * said 410 Gone), until something fails. A watch that ends at once without an event is a failure, as client-go's
   * reflector counts it: watching again at once would only hammer the API server.
   */
  private async watch(abort: AbortController): Promise<void> {
    for (let again = false; !abort.signal.aborted; again = true) {
      try {
        if (again) for (const handler of this.handlers.connect) handler();
        if (!this.resourceVersion) await this.relist(abort.signal);
        const seconds = this.options.watchSeconds?.() ?? 300 + Math.floor(Math.random() * 300);
        const path = this.query({
          watch: 'true',
          allowWatchBookmarks: 'true',
          resourceVersion: this.resourceVersion,
          timeoutSeconds: String(seconds),
        });
        const began = performance.now();
        let events = 0;
        const apply = (event: unknown) => {
          events += 1;
          this.apply(event as WatchEvent<T>);
        };
        await this.client.stream(path, apply, abort.signal);
        if (events === 0 && performance.now() - began < SHORT_WATCH_MS)
          throw new Error('the watch ended at once, without an event');
      } catch (error) {
        if (abort.signal.aborted) return;
        if (gone(error)) {
          this.resourceVersion = '';
          continue;
        }
        this.failed(error, abort);
        return;
      }
    }
  }

  private apply({ type, object }: WatchEvent<T>): void {
    if (type === 'ERROR') {
      // 410: the resourceVersion is too old to resume from; the server ends the stream and the cache lists afresh
      if (object.code === 410) this.resourceVersion = '';
      return;
    }
    if (type === 'DELETED') {
      this.objects.get(object.metadata?.namespace ?? '')?.delete(object.metadata?.name ?? '');
      const kept = this.options.transform?.(object) ?? object;
      for (const handler of this.handlers.delete) handler(kept);
    } else if (type !== 'BOOKMARK') {
      this.upsert(object);
    }
    this.resourceVersion = object.metadata?.resourceVersion ?? this.resourceVersion;
  }

  private upsert(object: T): void {
    const namespace = object.metadata?.namespace ?? '';
    let named = this.objects.get(namespace);
    if (!named) this.objects.set(namespace, (named = new Map<string, T>()));
    const known = named.get(object.metadata?.name ?? '');
    const version = object.metadata?.resourceVersion;
    if (known && version !== undefined && known.metadata?.resourceVersion === version) return;
    const kept = this.options.transform?.(object) ?? object;
    named.set(object.metadata?.name ?? '', kept);
    for (const handler of known ? this.handlers.update : this.handlers.add) handler(kept);
  }

  private failed(error: unknown, abort: AbortController): void {
    if (abort.signal.aborted) return;
    abort.abort();
    if (this.abort === abort) this.abort = null;
    if (gone(error)) this.resourceVersion = '';
    for (const handler of this.handlers.error) handler(error);
  }
}

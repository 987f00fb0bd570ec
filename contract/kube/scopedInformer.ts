import type { Informer, KubernetesObject, ObjectCache, ObjectCallback } from '@kubernetes/client-node';

type Verb = 'add' | 'update' | 'delete';

/**
 * Watches one resource where its process may (the operator, the gateway): everywhere, or one
 * informer per watched namespace (what the chart's namespaced Roles allow: a cluster-wide list would
 * be forbidden). Seen from outside as one cache with one set of handlers.
 */
export class ScopedInformer<T extends KubernetesObject> implements ObjectCache<T> {
  readonly informers: Array<Informer<T> & ObjectCache<T>>;
  private readonly byNamespace = new Map<string, Informer<T> & ObjectCache<T>>();

  constructor(
    namespaces: readonly string[],
    /** An informer cluster-wide (no namespace) or in one namespace. */
    make: (namespace?: string) => Informer<T> & ObjectCache<T>,
  ) {
    if (namespaces.length === 0) {
      this.informers = [make()];
    } else {
      this.informers = namespaces.map((ns) => {
        const informer = make(ns);
        this.byNamespace.set(ns, informer);
        return informer;
      });
    }
  }

  on(verb: Verb, callback: ObjectCallback<T>): void {
    for (const informer of this.informers) informer.on(verb, callback);
  }

  list(namespace?: string): ReadonlyArray<T> {
    if (namespace === undefined) return this.informers.flatMap((i) => [...i.list()]);
    const scoped = this.byNamespace.get(namespace) ?? (this.byNamespace.size === 0 ? this.informers[0] : undefined);
    return scoped?.list(namespace) ?? [];
  }

  get(name: string, namespace?: string): T | undefined {
    for (const informer of namespace && this.byNamespace.has(namespace)
      ? [this.byNamespace.get(namespace)!]
      : this.informers) {
      const found = informer.get(name, namespace);
      if (found) return found;
    }
    return undefined;
  }
}

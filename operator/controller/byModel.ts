import type { KubernetesObject, ObjectCallback } from '@kubernetes/client-node';
import { MODEL_LABEL } from '../../contract/names.js';

/** What ByModel follows: an informer (or ScopedInformer) of objects carrying the model label. */
export interface Watched<T extends KubernetesObject> {
  on(verb: 'add' | 'update' | 'delete', callback: ObjectCallback<T>): void;
}

/**
 * An index of an informer's objects by their model (namespace and the gptoss.io/model label), kept by its events:
 * a reconcile reads its own model's pods, not every pod of the namespace (at 1000 models, filtering all of them on
 * every reconcile cost about as much as the rest of the reads together).
 */
export class ByModel<T extends KubernetesObject> {
  private readonly objects = new Map<string, Map<string, T>>();
  /** Where each object (namespace/name) is filed, so that a label change moves it. */
  private readonly filed = new Map<string, string>();

  /** `existing`: what the informer holds already (one started before this). */
  constructor(informer: Watched<T>, existing: readonly T[] = []) {
    for (const o of existing) this.put(o);
    informer.on('add', (o) => this.put(o));
    informer.on('update', (o) => this.put(o));
    informer.on('delete', (o) => this.remove(o));
  }

  /** The objects of a model, as the informer last delivered them. */
  of(namespace: string, model: string): T[] {
    return [...(this.objects.get(`${namespace}/${model}`)?.values() ?? [])];
  }

  private put(o: T): void {
    this.remove(o);
    const model = o.metadata?.labels?.[MODEL_LABEL];
    if (model === undefined) return;
    const key = `${o.metadata?.namespace}/${model}`;
    const name = o.metadata?.name ?? '';
    let objects = this.objects.get(key);
    if (!objects) this.objects.set(key, (objects = new Map<string, T>()));
    objects.set(name, o);
    this.filed.set(`${o.metadata?.namespace}/${name}`, key);
  }

  private remove(o: T): void {
    const name = o.metadata?.name ?? '';
    const id = `${o.metadata?.namespace}/${name}`;
    const key = this.filed.get(id);
    if (key === undefined) return;
    this.filed.delete(id);
    const objects = this.objects.get(key);
    objects?.delete(name);
    if (objects?.size === 0) this.objects.delete(key);
  }
}

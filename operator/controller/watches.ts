import type { KubernetesObject, V1Deployment, V1Node } from '@kubernetes/client-node';
import { MODEL_LABEL } from '../../contract/names.js';
import type { OperatorCaches } from './caches.js';

export interface WatchTargets {
  /** Reconcile this model ("namespace/name"). */
  enqueue(key: string): void;
  /** A child may have changed behind our back: apply it again next time. */
  forgetChild(child: { kind: string; namespace: string; name: string }): void;
  /** Namespaces this operator reconciles. */
  watched(namespace: string | undefined): boolean;
}

const keyOf = (o: KubernetesObject) => `${o.metadata?.namespace}/${o.metadata?.name}`;
/** What placement reads of a node: a change to anything else (heartbeats, conditions) is no news. */
const nodeFingerprint = (n: V1Node) => JSON.stringify([n.metadata?.labels ?? {}, n.status?.allocatable ?? {}]);

/**
 * Which event enqueues which model, in one place:
 * - a GptOssModel: itself;
 * - a runtime pod: its model (from the model label);
 * - a runtime Deployment: its model, and when its spec changed (generation) or it went, the
 *   executor forgets having applied it, so the next reconcile applies it again, whoever changed it;
 * - a node: every model, but only when what placement reads of it (labels, allocatable) changed.
 */
export function declareWatches(caches: OperatorCaches, targets: WatchTargets): void {
  const enqueueModel = (o: KubernetesObject) => {
    if (targets.watched(o.metadata?.namespace)) targets.enqueue(keyOf(o));
  };
  const enqueueOwner = (o: KubernetesObject) => {
    const model = o.metadata?.labels?.[MODEL_LABEL];
    if (model && targets.watched(o.metadata?.namespace)) targets.enqueue(`${o.metadata?.namespace}/${model}`);
  };
  for (const verb of ['add', 'update', 'delete'] as const) {
    caches.models.on(verb, enqueueModel);
    caches.pods.on(verb, enqueueOwner);
  }

  const generations = new Map<string, number>();
  const deploymentChanged = (d: V1Deployment, gone = false) => {
    const key = keyOf(d);
    const generation = d.metadata?.generation ?? 0;
    const respecified = generations.has(key) && generations.get(key) !== generation;
    if (gone || respecified)
      targets.forgetChild({ kind: 'Deployment', namespace: d.metadata!.namespace!, name: d.metadata!.name! });
    if (gone) generations.delete(key);
    else generations.set(key, generation);
    enqueueOwner(d);
  };
  caches.deployments.on('add', (d) => deploymentChanged(d));
  caches.deployments.on('update', (d) => deploymentChanged(d));
  caches.deployments.on('delete', (d) => deploymentChanged(d, true));

  const fingerprints = new Map<string, string>();
  const nodeChanged = (n: V1Node, gone = false) => {
    const name = n.metadata?.name ?? '';
    const before = fingerprints.get(name);
    if (gone) fingerprints.delete(name);
    else fingerprints.set(name, nodeFingerprint(n));
    if (gone || before !== fingerprints.get(name)) for (const m of caches.models.list()) enqueueModel(m);
  };
  caches.nodes.on('add', (n) => nodeChanged(n));
  caches.nodes.on('update', (n) => nodeChanged(n));
  caches.nodes.on('delete', (n) => nodeChanged(n, true));
}

/** Every model in the caches, as the resync and a new leader enqueue them. */
export function enqueueAll(caches: OperatorCaches, targets: Pick<WatchTargets, 'enqueue' | 'watched'>): void {
  for (const m of caches.models.list()) if (targets.watched(m.metadata?.namespace)) targets.enqueue(keyOf(m));
}

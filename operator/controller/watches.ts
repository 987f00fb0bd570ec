import type { KubernetesObject, V1Deployment, V1Node, V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import { MODEL_LABEL, RUNTIME_APP_LABELS } from '../../contract/names.js';
import { objectKey } from '../../contract/kube/objectKey.js';
import type { ModelObject, OperatorCaches } from './caches.js';
import { deploymentSignal, nodeSignal, podSignal, QUIET_POD, SignalMemory } from './wakeSignals.js';

export interface WatchTargets {
  /** Reconcile this model ("namespace/name"). */
  enqueue(key: string): void;
  /** A child may have changed behind our back: apply it again next time. */
  forgetChild(child: { kind: string; namespace: string; name: string }): void;
  /** Namespaces this operator reconciles. */
  watched(namespace: string | undefined): boolean;
  /** False for a model event that is only the echo of this operator's own status write (ModelReads.observed). */
  modelNews?(model: ModelObject, gone: boolean): boolean;
}

const RUNTIME_NAME = RUNTIME_APP_LABELS['app.kubernetes.io/name'];

/**
 * Which event enqueues which model, in one place (what each kind says that a reconcile reads: wakeSignals.ts):
 * - a GptOssModel: itself, unless the event is the echo of our own status write;
 * - a runtime pod: its model (from the model label), only when what status reads of it changed:
 *   unschedulable, a failing container, a download starting or ending (readiness comes through the Deployment);
 * - a weight cache's claim, download Job or its pod: its model, on every change;
 * - a StorageClass: every model with a weight cache (its class may have come or gone);
 * - a runtime Deployment: its model when what status reads of it changed (replicas, ready, updated, observed
 *   generation, ReplicaFailure) or its generation moved; when its spec changed (generation) or it went, the
 *   executor forgets having applied it, so the next reconcile applies it again, whoever changed it;
 * - a runtime PodDisruptionBudget: its model when it came, went or its spec changed (a budget the model no longer
 *   wants is pruned, one it wants is applied again), not on the disruption controller's status updates;
 * - a node: every model, but only when what placement reads of it (labels, allocatable) changed.
 */
export function declareWatches(caches: OperatorCaches, targets: WatchTargets): void {
  const enqueueModel = (o: KubernetesObject) => {
    if (targets.watched(o.metadata?.namespace)) targets.enqueue(objectKey(o));
  };
  const enqueueOwner = (o: KubernetesObject) => {
    const model = o.metadata?.labels?.[MODEL_LABEL];
    if (model && targets.watched(o.metadata?.namespace)) targets.enqueue(`${o.metadata?.namespace}/${model}`);
  };
  const enqueueCached = () => {
    for (const m of caches.models.list()) if (m.spec?.source?.url?.cache) enqueueModel(m);
  };
  const modelChanged = (m: ModelObject, gone = false) => {
    if (targets.modelNews?.(m, gone) ?? true) enqueueModel(m);
  };
  caches.models.on('add', (m) => modelChanged(m));
  caches.models.on('update', (m) => modelChanged(m));
  caches.models.on('delete', (m) => modelChanged(m, true));

  const runtimePods = new SignalMemory(podSignal, QUIET_POD);
  const podChanged = (p: V1Pod, gone = false) => {
    const runtime = p.metadata?.labels?.['app.kubernetes.io/name'] === RUNTIME_NAME;
    if (!runtime || runtimePods.changed(p, gone)) enqueueOwner(p);
  };
  caches.pods.on('add', (p) => podChanged(p));
  caches.pods.on('update', (p) => podChanged(p));
  caches.pods.on('delete', (p) => podChanged(p, true));

  for (const verb of ['add', 'update', 'delete'] as const) {
    caches.jobs.on(verb, enqueueOwner);
    caches.claims.on(verb, enqueueOwner);
    caches.storageClasses.on(verb, enqueueCached);
  }
  // a download Job or claim deleted by hand (to try a failed download again) is applied again at the next reconcile
  const cacheChildGone = (kind: 'Job' | 'PersistentVolumeClaim') => (o: KubernetesObject) =>
    targets.forgetChild({ kind, namespace: o.metadata!.namespace!, name: o.metadata!.name! });
  caches.jobs.on('delete', cacheChildGone('Job'));
  caches.claims.on('delete', cacheChildGone('PersistentVolumeClaim'));

  const deploymentSpecs = new SpecMemory('Deployment', targets);
  const deploymentSignals = new SignalMemory(deploymentSignal);
  const deploymentChanged = (d: V1Deployment, gone = false) => {
    deploymentSpecs.changed(d, gone);
    if (deploymentSignals.changed(d, gone) || gone) enqueueOwner(d);
  };
  caches.deployments.on('add', (d) => deploymentChanged(d));
  caches.deployments.on('update', (d) => deploymentChanged(d));
  caches.deployments.on('delete', (d) => deploymentChanged(d, true));

  const budgetSpecs = new SpecMemory('PodDisruptionBudget', targets);
  const budgetChanged = (b: V1PodDisruptionBudget, gone = false) => {
    if (budgetSpecs.changed(b, gone)) enqueueOwner(b);
  };
  caches.disruptionBudgets.on('add', (b) => budgetChanged(b));
  caches.disruptionBudgets.on('update', (b) => budgetChanged(b));
  caches.disruptionBudgets.on('delete', (b) => budgetChanged(b, true));

  const nodeSignals = new SignalMemory(nodeSignal);
  const nodeChanged = (n: V1Node, gone = false) => {
    if (nodeSignals.changed(n, gone) || gone) for (const m of caches.models.list()) enqueueModel(m);
  };
  caches.nodes.on('add', (n) => nodeChanged(n));
  caches.nodes.on('update', (n) => nodeChanged(n));
  caches.nodes.on('delete', (n) => nodeChanged(n, true));
}

/**
 * Each child's generation: when its spec changed (someone else wrote it) or it went, the executor forgets having
 * applied it, so the next reconcile applies it again.
 */
class SpecMemory {
  private readonly generations = new SignalMemory<KubernetesObject>((o) => String(o.metadata?.generation ?? 0));

  constructor(
    private readonly kind: string,
    private readonly targets: Pick<WatchTargets, 'forgetChild'>,
  ) {}

  /** True when the child came, went or its spec changed. */
  changed(o: KubernetesObject, gone: boolean): boolean {
    const known = this.generations.knows(o);
    const changed = this.generations.changed(o, gone) || gone;
    if (gone || (known && changed))
      this.targets.forgetChild({ kind: this.kind, namespace: o.metadata!.namespace!, name: o.metadata!.name! });
    return changed;
  }
}

/** Every model in the caches, as the resync and a new leader enqueue them. */
export function enqueueAll(caches: OperatorCaches, targets: Pick<WatchTargets, 'enqueue' | 'watched'>): void {
  for (const m of caches.models.list()) if (targets.watched(m.metadata?.namespace)) targets.enqueue(objectKey(m));
}

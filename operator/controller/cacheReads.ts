import type {
  Informer,
  ObjectCache,
  V1Deployment,
  V1Job,
  V1Node,
  V1PersistentVolumeClaim,
  V1Pod,
  V1PodDisruptionBudget,
  V1StorageClass,
} from '@kubernetes/client-node';
import type { ChildRef, StorageClassInfo } from '../planner/children.js';
import type { GptOssModel } from '../api/v1alpha1/gptOssModel.js';
import type { NodeInfo } from '../planner/gpuClasses.js';
import { FETCH_PORT, MODEL_LABEL, WEIGHTS_APP_LABELS } from '../../contract/names.js';
import type { ObservedDeployment, ObservedPods } from '../planner/status.js';
import type { Logger } from '../../contract/log.js';
import { ByModel, type Watched } from './byModel.js';
import type { ModelReads } from './modelReads.js';
import { nodeSignal, SignalMemory } from './wakeSignals.js';
import {
  nodeInfo,
  observedDeployment,
  observePods,
  ownedChild,
  storageClassInfo,
  type FoundWeightCache,
  type ReportUnreadable,
  type WorldReads,
} from './reads.js';

/** The weight caches' objects and the StorageClasses they are made of; the children the plan may prune. */
export interface ChildCaches {
  jobs: ObjectCache<V1Job>;
  claims: ObjectCache<V1PersistentVolumeClaim>;
  storageClasses: ObjectCache<V1StorageClass>;
  disruptionBudgets: ObjectCache<V1PodDisruptionBudget>;
}

/** Objects carrying every one of these labels. */
export const hasLabels = (labels: Record<string, string>) => (o: { metadata?: { labels?: Record<string, string> } }) =>
  Object.entries(labels).every(([k, v]) => o.metadata?.labels?.[k] === v);

/**
 * Reads from the operator's informer caches, as controller-runtime's client does: a reconcile
 * costs the API server its writes only, however many nodes and pods there are (the model as
 * ModelReads gives it: the cache's, or what this process's last status write returned).
 */
export class CacheReads implements WorldReads {
  private readonly report: ReportUnreadable;
  /** The nodes as placement reads them, one array until a node's labels or allocatable change (classesOfPool). */
  private nodeInfos: NodeInfo[] | null = null;
  private readonly podsByModel: ByModel<V1Pod>;

  constructor(
    private readonly models: ModelReads,
    private readonly nodes: Informer<V1Node> & ObjectCache<V1Node>,
    private readonly deployments: ObjectCache<V1Deployment>,
    pods: ObjectCache<V1Pod> & Watched<V1Pod>,
    log: Logger,
    private readonly children: ChildCaches,
  ) {
    this.report = (pod, endpoint, problem) =>
      log.warn(
        { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, endpoint, problem },
        'Failed to read weights download progress',
      );
    this.podsByModel = new ByModel(pods, pods.list());
    const signals = new SignalMemory(nodeSignal);
    for (const n of nodes.list()) signals.changed(n);
    const changed = (n: V1Node, gone = false) => {
      if (signals.changed(n, gone)) this.nodeInfos = null;
    };
    nodes.on('add', (n) => changed(n));
    nodes.on('update', (n) => changed(n));
    nodes.on('delete', (n) => changed(n, true));
  }

  async readModel(namespace: string, name: string): Promise<GptOssModel | null> {
    return this.models.read(namespace, name);
  }

  wroteStatus(read: GptOssModel, returned: GptOssModel): void {
    this.models.wroteStatus(read, returned);
  }

  async listNodes(): Promise<NodeInfo[]> {
    return (this.nodeInfos ??= this.nodes.list().map(nodeInfo));
  }

  async observeDeployment(namespace: string, name: string): Promise<ObservedDeployment | null> {
    const d = this.deployments.get(name, namespace);
    return d ? observedDeployment(d) : null;
  }

  observePods(namespace: string, labels: Record<string, string>): Promise<ObservedPods> {
    const model = labels[MODEL_LABEL] ?? '';
    return observePods(this.podsByModel.of(namespace, model).filter(hasLabels(labels)), FETCH_PORT, this.report);
  }

  async listStorageClasses(): Promise<StorageClassInfo[]> {
    return this.children.storageClasses.list().map(storageClassInfo);
  }

  async findWeightCache(namespace: string, model: string): Promise<FoundWeightCache> {
    const ofModel = hasLabels({ [MODEL_LABEL]: model });
    const { jobs, claims } = this.children;
    return {
      claims: claims.list(namespace).filter(ofModel),
      jobs: jobs.list(namespace).filter(ofModel),
      pods: this.podsByModel.of(namespace, model).filter(hasLabels(WEIGHTS_APP_LABELS)),
    };
  }

  async findOwnedChild(ref: ChildRef, owner: string | undefined): Promise<ChildRef | null> {
    // the plan prunes PodDisruptionBudgets only (the weight cache's stale objects come from findWeightCache)
    if (ref.kind !== 'PodDisruptionBudget') throw new Error(`no cache of ${ref.kind} to find ${ref.name} in`);
    return ownedChild(ref, this.children.disruptionBudgets.get(ref.name, ref.namespace), owner);
  }
}

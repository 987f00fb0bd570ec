import type {
  Informer,
  KubernetesObject,
  ObjectCache,
  V1Deployment,
  V1Job,
  V1Node,
  V1PersistentVolumeClaim,
  V1Pod,
  V1PodDisruptionBudget,
  V1StorageClass,
} from '@kubernetes/client-node';
import type { KubeClient } from '../../contract/kube/client.js';
import { ListWatch } from '../../contract/kube/listWatch.js';
import { RUNTIME_APP_LABELS, WEIGHTS_APP_LABELS } from '../../contract/names.js';
import { GROUP, PLURAL, VERSION, type GptOssModel } from '../api/v1alpha1/gptOssModel.js';
import { selectorText } from '../planner/children.js';
import { ScopedInformer } from '../../contract/kube/scopedInformer.js';
import { nodeInfo } from './reads.js';

export type ModelObject = GptOssModel & KubernetesObject;

const RUNTIME_SELECTOR = selectorText(RUNTIME_APP_LABELS);
const WEIGHTS_SELECTOR = selectorText(WEIGHTS_APP_LABELS);
/** Runtime pods, and the weight caches' download pods (their progress and failures are the model's status). */
const APP_NAME = 'app.kubernetes.io/name';
const POD_SELECTOR = `${APP_NAME} in (${RUNTIME_APP_LABELS[APP_NAME]},${WEIGHTS_APP_LABELS[APP_NAME]})`;

/**
 * An informer transform, as controller-runtime's cache.TransformStripManagedFields: nothing the operator reads is in
 * managedFields, often the larger part of an object (a Deployment's is about 3 KiB of its 7).
 */
export function dropManagedFields<T extends KubernetesObject>(o: T): T {
  if (o.metadata) delete o.metadata.managedFields;
  return o;
}

/**
 * The nodes' transform: of a node the operator reads only what placement reads (`nodeInfo`: name, labels,
 * allocatable). The rest of a GPU node is large and changes often: the status lists every image pulled to it, its
 * conditions (a heartbeat each), addresses and versions, and node feature discovery writes its annotations: tens of
 * KiB a node, for every node of the cluster, where placement reads a few hundred bytes.
 */
export function keepPlacementFields(node: V1Node): V1Node {
  const { name, labels, allocatable } = nodeInfo(node);
  const { uid, resourceVersion } = node.metadata ?? {};
  return { metadata: { name, uid, resourceVersion, labels }, status: { allocatable } };
}

/**
 * What the operator watches and reads from: GptOssModels, the runtime Deployments, PodDisruptionBudgets and pods, the
 * weight caches' claims, Jobs and pods (by their labels), in the watched namespaces (all when none are named), every
 * node and every StorageClass.
 */
export class OperatorCaches {
  readonly models: ScopedInformer<ModelObject>;
  readonly deployments: ScopedInformer<V1Deployment>;
  readonly pods: ScopedInformer<V1Pod>;
  /** Read before pruning one: a model that never had a budget costs the API server no delete. */
  readonly disruptionBudgets: ScopedInformer<V1PodDisruptionBudget>;
  readonly nodes: Informer<V1Node> & ObjectCache<V1Node>;
  readonly jobs: ScopedInformer<V1Job>;
  readonly claims: ScopedInformer<V1PersistentVolumeClaim>;
  readonly storageClasses: Informer<V1StorageClass> & ObjectCache<V1StorageClass>;

  constructor(client: KubeClient, namespaces: readonly string[]) {
    const within = (ns?: string) => (ns ? `/namespaces/${ns}` : '');
    // each object is kept as dropManagedFields leaves it, unless its kind keeps less
    const watch = <T extends KubernetesObject>(
      path: string,
      labelSelector?: string,
      transform: (o: T) => T = dropManagedFields,
    ) => new ListWatch<T>(client, path, { labelSelector, transform });
    const scoped = <T extends KubernetesObject>(path: (ns?: string) => string, labelSelector?: string) =>
      new ScopedInformer<T>(namespaces, (ns) => watch<T>(path(ns), labelSelector));
    this.models = scoped<ModelObject>((ns) => `/apis/${GROUP}/${VERSION}${within(ns)}/${PLURAL}`);
    this.deployments = scoped<V1Deployment>((ns) => `/apis/apps/v1${within(ns)}/deployments`, RUNTIME_SELECTOR);
    this.pods = scoped<V1Pod>((ns) => `/api/v1${within(ns)}/pods`, POD_SELECTOR);
    this.disruptionBudgets = scoped<V1PodDisruptionBudget>(
      (ns) => `/apis/policy/v1${within(ns)}/poddisruptionbudgets`,
      RUNTIME_SELECTOR,
    );
    this.nodes = watch<V1Node>('/api/v1/nodes', undefined, keepPlacementFields);
    this.jobs = scoped<V1Job>((ns) => `/apis/batch/v1${within(ns)}/jobs`, WEIGHTS_SELECTOR);
    this.claims = scoped<V1PersistentVolumeClaim>(
      (ns) => `/api/v1${within(ns)}/persistentvolumeclaims`,
      WEIGHTS_SELECTOR,
    );
    this.storageClasses = watch<V1StorageClass>('/apis/storage.k8s.io/v1/storageclasses');
  }

  /** Every informer by the resource it watches (one per watched namespace for namespaced ones), for the supervisors. */
  informers(): Array<[string, Informer<KubernetesObject>]> {
    const named = <T extends KubernetesObject>(name: string, informers: ReadonlyArray<Informer<T>>) =>
      informers.map((i) => [name, i as unknown as Informer<KubernetesObject>] as [string, Informer<KubernetesObject>]);
    return [
      ...named('gptossmodels', this.models.informers),
      ...named('deployments', this.deployments.informers),
      ...named('pods', this.pods.informers),
      ...named('poddisruptionbudgets', this.disruptionBudgets.informers),
      ...named('nodes', [this.nodes]),
      ...named('jobs', this.jobs.informers),
      ...named('persistentvolumeclaims', this.claims.informers),
      ...named('storageclasses', [this.storageClasses]),
    ];
  }
}

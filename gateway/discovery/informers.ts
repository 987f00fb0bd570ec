import {
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  makeInformer,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1EndpointSlice,
  type V1Pod,
} from '@kubernetes/client-node';
import { ScopedInformer } from '../../contract/kube/scopedInformer.js';
import { RUNTIME_APP_LABELS } from '../../contract/names.js';
import type { ReplicaSource } from '../config.js';
import { replicasFromEndpointSlices } from './endpointSlices.js';
import { replicasFromPods } from './pods.js';
import type { KeyedReplica } from './served.js';

/** The GptOssModel resource, read as plain objects: the gateway knows its metadata, not its types. */
export const GPTOSSMODELS = { group: 'gptoss.io', version: 'v1alpha1', plural: 'gptossmodels' } as const;

/** Runtime Services carry these labels, and the EndpointSlice controller copies them to their slices. */
const RUNTIME_SELECTOR = Object.entries(RUNTIME_APP_LABELS)
  .map(([key, value]) => `${key}=${value}`)
  .join(',');

export interface DiscoveryInformers {
  models: ScopedInformer<KubernetesObject>;
  replicas: ScopedInformer<KubernetesObject>;
  /** The Ready replicas in what the replica informer holds. */
  readReplicas(objects: Iterable<KubernetesObject>): KeyedReplica[];
  /** Every informer by the resource it watches (one per watched namespace), for the supervisors. */
  all(): Array<[string, Informer<KubernetesObject>]>;
}

const within = (ns?: string) => (ns ? `/namespaces/${ns}` : '');
type List<T extends KubernetesObject> = Promise<KubernetesListObject<T>>;

/** One client-node informer per watched namespace (or one for all), seen as one. */
function scopedInformer(
  kc: KubeConfig,
  namespaces: readonly string[],
  path: (namespace?: string) => string,
  list: (namespace?: string) => List<KubernetesObject>,
  labelSelector?: string,
): ScopedInformer<KubernetesObject> {
  return new ScopedInformer(namespaces, (ns) => makeInformer(kc, path(ns), () => list(ns), labelSelector));
}

/**
 * Informers on GptOssModels and on the replica source (runtime EndpointSlices, or runtime pods),
 * in the watched namespaces (all when none are named), both restricted to what discovery reads.
 */
export function discoveryInformers(
  kc: KubeConfig,
  namespaces: readonly string[],
  source: ReplicaSource,
): DiscoveryInformers {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const { group, version, plural } = GPTOSSMODELS;
  const models = scopedInformer(
    kc,
    namespaces,
    (ns) => `/apis/${group}/${version}${within(ns)}/${plural}`,
    (ns) =>
      (ns
        ? custom.listNamespacedCustomObject({ group, version, namespace: ns, plural })
        : custom.listClusterCustomObject({ group, version, plural })) as List<KubernetesObject>,
  );
  const replicas = source === 'pods' ? podInformer(kc, namespaces) : sliceInformer(kc, namespaces);
  const read =
    source === 'pods'
      ? (objects: Iterable<KubernetesObject>) => replicasFromPods(objects as Iterable<V1Pod>)
      : (objects: Iterable<KubernetesObject>) => replicasFromEndpointSlices(objects as Iterable<V1EndpointSlice>);
  const named = (name: string, informers: ReadonlyArray<Informer<KubernetesObject>>) =>
    informers.map((informer): [string, Informer<KubernetesObject>] => [name, informer]);
  return {
    models,
    replicas,
    readReplicas: read,
    all: () => [...named(plural, models.informers), ...named(source, replicas.informers)],
  };
}

function sliceInformer(kc: KubeConfig, namespaces: readonly string[]): ScopedInformer<KubernetesObject> {
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  return scopedInformer(
    kc,
    namespaces,
    (ns) => `/apis/discovery.k8s.io/v1${within(ns)}/endpointslices`,
    (ns) =>
      ns
        ? discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: RUNTIME_SELECTOR })
        : discovery.listEndpointSliceForAllNamespaces({ labelSelector: RUNTIME_SELECTOR }),
    RUNTIME_SELECTOR,
  );
}

function podInformer(kc: KubeConfig, namespaces: readonly string[]): ScopedInformer<KubernetesObject> {
  const core = kc.makeApiClient(CoreV1Api);
  return scopedInformer(
    kc,
    namespaces,
    (ns) => `/api/v1${within(ns)}/pods`,
    (ns) =>
      ns
        ? core.listNamespacedPod({ namespace: ns, labelSelector: RUNTIME_SELECTOR })
        : core.listPodForAllNamespaces({ labelSelector: RUNTIME_SELECTOR }),
    RUNTIME_SELECTOR,
  );
}

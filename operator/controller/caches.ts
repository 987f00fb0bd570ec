import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  StorageV1Api,
  CustomObjectsApi,
  makeInformer,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
  type V1Deployment,
  type V1Job,
  type V1Node,
  type V1PersistentVolumeClaim,
  type V1Pod,
  type V1StorageClass,
} from '@kubernetes/client-node';
import { RUNTIME_APP_LABELS, WEIGHTS_APP_LABELS } from '../../contract/names.js';
import { GROUP, PLURAL, VERSION, type GptOssModel } from '../api/v1alpha1/gptOssModel.js';
import { selectorText } from '../planner/children.js';
import { ScopedInformer } from '../../contract/kube/scopedInformer.js';

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
export function dropManagedFields(o: KubernetesObject): void {
  if (o.metadata) delete o.metadata.managedFields;
}

/**
 * What the operator watches and reads from: GptOssModels, the runtime Deployments and pods, the weight caches'
 * claims, Jobs and pods (by their labels), in the watched namespaces (all when none are named), every node and every
 * StorageClass.
 */
export class OperatorCaches {
  readonly models: ScopedInformer<ModelObject>;
  readonly deployments: ScopedInformer<V1Deployment>;
  readonly pods: ScopedInformer<V1Pod>;
  readonly nodes: Informer<V1Node> & ObjectCache<V1Node>;
  readonly jobs: ScopedInformer<V1Job>;
  readonly claims: ScopedInformer<V1PersistentVolumeClaim>;
  readonly storageClasses: Informer<V1StorageClass> & ObjectCache<V1StorageClass>;

  constructor(kc: KubeConfig, namespaces: readonly string[]) {
    const custom = kc.makeApiClient(CustomObjectsApi);
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    const batch = kc.makeApiClient(BatchV1Api);
    const storage = kc.makeApiClient(StorageV1Api);
    const scoped = <T extends KubernetesObject>(
      path: (ns?: string) => string,
      list: (ns?: string) => Promise<KubernetesListObject<T>>,
      selector?: string,
    ) => new ScopedInformer<T>(kc, namespaces, path, list, selector);
    const within = (ns?: string) => (ns ? `/namespaces/${ns}` : '');
    this.models = scoped<ModelObject>(
      (ns) => `/apis/${GROUP}/${VERSION}${within(ns)}/${PLURAL}`,
      (ns) =>
        (ns
          ? custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL })
          : custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })) as Promise<
          KubernetesListObject<ModelObject>
        >,
    );
    this.deployments = scoped<V1Deployment>(
      (ns) => `/apis/apps/v1${within(ns)}/deployments`,
      (ns) =>
        ns
          ? apps.listNamespacedDeployment({ namespace: ns, labelSelector: RUNTIME_SELECTOR })
          : apps.listDeploymentForAllNamespaces({ labelSelector: RUNTIME_SELECTOR }),
      RUNTIME_SELECTOR,
    );
    this.pods = scoped<V1Pod>(
      (ns) => `/api/v1${within(ns)}/pods`,
      (ns) =>
        ns
          ? core.listNamespacedPod({ namespace: ns, labelSelector: POD_SELECTOR })
          : core.listPodForAllNamespaces({ labelSelector: POD_SELECTOR }),
      POD_SELECTOR,
    );
    this.nodes = makeInformer<V1Node>(kc, '/api/v1/nodes', () => core.listNode());
    this.jobs = scoped<V1Job>(
      (ns) => `/apis/batch/v1${within(ns)}/jobs`,
      (ns) =>
        ns
          ? batch.listNamespacedJob({ namespace: ns, labelSelector: WEIGHTS_SELECTOR })
          : batch.listJobForAllNamespaces({ labelSelector: WEIGHTS_SELECTOR }),
      WEIGHTS_SELECTOR,
    );
    this.claims = scoped<V1PersistentVolumeClaim>(
      (ns) => `/api/v1${within(ns)}/persistentvolumeclaims`,
      (ns) =>
        ns
          ? core.listNamespacedPersistentVolumeClaim({ namespace: ns, labelSelector: WEIGHTS_SELECTOR })
          : core.listPersistentVolumeClaimForAllNamespaces({ labelSelector: WEIGHTS_SELECTOR }),
      WEIGHTS_SELECTOR,
    );
    this.storageClasses = makeInformer<V1StorageClass>(kc, '/apis/storage.k8s.io/v1/storageclasses', () =>
      storage.listStorageClass(),
    );
    // before any other handler: the caches hold objects as this leaves them
    for (const [, informer] of this.informers()) {
      informer.on('add', dropManagedFields);
      informer.on('update', dropManagedFields);
    }
  }

  /** Every informer by the resource it watches (one per watched namespace for namespaced ones), for the supervisors. */
  informers(): Array<[string, Informer<KubernetesObject>]> {
    const named = <T extends KubernetesObject>(name: string, informers: ReadonlyArray<Informer<T>>) =>
      informers.map((i) => [name, i as unknown as Informer<KubernetesObject>] as [string, Informer<KubernetesObject>]);
    return [
      ...named('gptossmodels', this.models.informers),
      ...named('deployments', this.deployments.informers),
      ...named('pods', this.pods.informers),
      ...named('nodes', [this.nodes]),
      ...named('jobs', this.jobs.informers),
      ...named('persistentvolumeclaims', this.claims.informers),
      ...named('storageclasses', [this.storageClasses]),
    ];
  }
}

import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  makeInformer,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
  type V1Deployment,
  type V1Node,
  type V1Pod,
} from '@kubernetes/client-node';
import { RUNTIME_APP_LABELS } from '../../contract/names.js';
import { GROUP, PLURAL, VERSION, type GptOssModel } from '../api/v1alpha1/gptOssModel.js';
import { selectorText } from '../planner/children.js';
import { ScopedInformer } from '../../contract/kube/scopedInformer.js';

export type ModelObject = GptOssModel & KubernetesObject;

const RUNTIME_SELECTOR = selectorText(RUNTIME_APP_LABELS);

/**
 * What the operator watches and reads from: GptOssModels, the runtime Deployments and pods (by
 * their label), in the watched namespaces (all when none are named), and every node.
 */
export class OperatorCaches {
  readonly models: ScopedInformer<ModelObject>;
  readonly deployments: ScopedInformer<V1Deployment>;
  readonly pods: ScopedInformer<V1Pod>;
  readonly nodes: Informer<V1Node> & ObjectCache<V1Node>;

  constructor(kc: KubeConfig, namespaces: readonly string[]) {
    const custom = kc.makeApiClient(CustomObjectsApi);
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
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
          ? core.listNamespacedPod({ namespace: ns, labelSelector: RUNTIME_SELECTOR })
          : core.listPodForAllNamespaces({ labelSelector: RUNTIME_SELECTOR }),
      RUNTIME_SELECTOR,
    );
    this.nodes = makeInformer<V1Node>(kc, '/api/v1/nodes', () => core.listNode());
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
    ];
  }
}

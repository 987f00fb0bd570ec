import type { ObjectCache, V1Deployment, V1Node, V1Pod } from '@kubernetes/client-node';
import type { GptOssModel } from '../api/v1alpha1/gptOssModel.js';
import type { NodeInfo } from '../planner/gpuClasses.js';
import { FETCH_PORT } from '../../contract/names.js';
import type { ObservedDeployment, ObservedPods } from '../planner/status.js';
import type { Logger } from '../../contract/log.js';
import { nodeInfo, observedDeployment, observePods, type ReportUnreadable, type WorldReads } from './reads.js';

/** Pods carrying every one of these labels. */
export const hasLabels = (labels: Record<string, string>) => (pod: V1Pod) =>
  Object.entries(labels).every(([k, v]) => pod.metadata?.labels?.[k] === v);

/**
 * Reads from the operator's informer caches, as controller-runtime's client does: a reconcile
 * costs the API server its writes and one fresh read of the model, however many nodes and pods
 * there are.
 */
export class CacheReads implements WorldReads {
  private readonly report: ReportUnreadable;

  constructor(
    private readonly fresh: Pick<WorldReads, 'readModel'>,
    private readonly nodes: ObjectCache<V1Node>,
    private readonly deployments: ObjectCache<V1Deployment>,
    private readonly pods: ObjectCache<V1Pod>,
    log: Logger,
  ) {
    this.report = (pod, endpoint, problem) =>
      log.warn(
        { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, endpoint, problem },
        'Failed to read weights download progress',
      );
  }

  readModel(namespace: string, name: string): Promise<GptOssModel | null> {
    return this.fresh.readModel(namespace, name);
  }

  async listNodes(): Promise<NodeInfo[]> {
    return this.nodes.list().map(nodeInfo);
  }

  async observeDeployment(namespace: string, name: string): Promise<ObservedDeployment | null> {
    const d = this.deployments.get(name, namespace);
    return d ? observedDeployment(d) : null;
  }

  observePods(namespace: string, labels: Record<string, string>): Promise<ObservedPods> {
    return observePods(this.pods.list(namespace).filter(hasLabels(labels)), FETCH_PORT, this.report);
  }
}

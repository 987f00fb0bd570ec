import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import type { Logger } from '../../contract/log.js';
import { apiErrorText } from './apiErrors.js';

export const AGENT_COMPONENT = 'gptoss-dev-agent';

export type PodEvent = (pod: V1Pod, type: 'Normal' | 'Warning', reason: string, message: string) => void;

/**
 * Events on pods, as kubelet records them (kubectl describe pod shows them); a failed write is logged, never thrown.
 */
export function podEventRecorder(core: CoreV1Api, nodeName: string, log: Logger, now: () => Date): PodEvent {
  return (pod, type, reason, message) => {
    const { namespace, name, uid } = pod.metadata!;
    const at = now();
    core
      .createNamespacedEvent({
        namespace: namespace!,
        body: {
          metadata: { namespace, generateName: `${name}.` },
          involvedObject: { apiVersion: 'v1', kind: 'Pod', name, namespace, uid },
          type,
          reason,
          message: message.slice(0, 1000),
          count: 1,
          firstTimestamp: at,
          lastTimestamp: at,
          source: { component: AGENT_COMPONENT, host: nodeName },
          reportingComponent: AGENT_COMPONENT,
          reportingInstance: nodeName,
        },
      })
      .catch((error: unknown) =>
        log.warn({ kind: 'Pod', namespace, name, reason, err: apiErrorText(error) }, 'Failed to record event'),
      );
  };
}

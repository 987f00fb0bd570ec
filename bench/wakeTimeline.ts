import { Watch, type KubeConfig, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { probeCheck } from '../cluster/agent/probes.js';
import { MODEL_LABEL } from '../contract/names.js';

/**
 * When each step of a model's way from zero to a Ready pod was first seen (Date.now(), milliseconds),
 * read from watches on the namespace's Deployments and the model's pods as the events arrive:
 * Kubernetes' own timestamps are whole seconds, too coarse for steps of milliseconds. Once the pod
 * runs, its own startup probe is also checked every 20 ms (as the agent checks it every 2 s): when the
 * runtime was serving, which tells the runtime's start apart from the probe's period.
 */

export const WAKE_STEPS = [
  'Deployment scaled to 1 (the operator reconciled)',
  'pod created (the ReplicaSet controller)',
  'pod scheduled',
  'runtime started (the agent ran gptoss serve)',
  'runtime serving (its startup probe passes, checked every 20 ms)',
  'pod Ready (startup and readiness probes passed)',
] as const;
export type WakeStep = (typeof WAKE_STEPS)[number];

const PROBE_POLL_MS = 20;

const isReady = (pod: V1Pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/** The steps a pod's state shows it has reached. */
function podSteps(pod: V1Pod): WakeStep[] {
  if (pod.metadata?.deletionTimestamp) return [];
  const steps: WakeStep[] = ['pod created (the ReplicaSet controller)'];
  if (pod.spec?.nodeName) steps.push('pod scheduled');
  if (pod.status?.containerStatuses?.some((c) => c.state?.running))
    steps.push('runtime started (the agent ran gptoss serve)');
  if (isReady(pod)) steps.push('pod Ready (startup and readiness probes passed)');
  return steps;
}

export interface WakeTimeline {
  /** Forgets what was seen: the next wake is timed from here. */
  reset(): void;
  /** Each step's first sighting since the last reset. */
  marks(): ReadonlyMap<WakeStep, number>;
  stop(): void;
}

/** Watches the namespace (one model in it) until stopped; a watch the server ends is opened again. */
export async function watchWake(kc: KubeConfig, namespace: string, model: string): Promise<WakeTimeline> {
  let seen = new Map<WakeStep, number>();
  let stopped = false;
  const mark = (step: WakeStep) => {
    if (!seen.has(step)) seen.set(step, Date.now());
  };
  /** The pod whose startup probe is being polled (one at a time: the model has at most one replica). */
  let polling: string | undefined;
  const pollStartup = async (pod: V1Pod) => {
    const container = pod.spec!.containers[0]!;
    const check = probeCheck(container.startupProbe!, pod.status!.podIP!, container.ports ?? []);
    const marks = seen;
    polling = pod.metadata!.name;
    while (!stopped && marks === seen && polling === pod.metadata!.name) {
      if ((await check!()).ok) {
        mark('runtime serving (its startup probe passes, checked every 20 ms)');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, PROBE_POLL_MS));
    }
    if (polling === pod.metadata!.name) polling = undefined;
  };
  const onPod = (pod: V1Pod) => {
    const steps = podSteps(pod);
    steps.forEach(mark);
    const running = steps.includes('runtime started (the agent ran gptoss serve)') && pod.status?.podIP;
    if (running && !seen.has('runtime serving (its startup probe passes, checked every 20 ms)') && !polling)
      void pollStartup(pod);
  };
  const watches: AbortController[] = [];
  const open = async (path: string, query: Record<string, string>, onObject: (object: unknown) => void) => {
    const reopen = () => {
      if (!stopped) void open(path, query, onObject);
    };
    watches.push(await new Watch(kc).watch(path, query, (_phase, object) => onObject(object), reopen));
  };
  await open(`/apis/apps/v1/namespaces/${namespace}/deployments`, {}, (object) => {
    if (((object as V1Deployment).spec?.replicas ?? 0) > 0) mark('Deployment scaled to 1 (the operator reconciled)');
  });
  await open(`/api/v1/namespaces/${namespace}/pods`, { labelSelector: `${MODEL_LABEL}=${model}` }, (object) =>
    onPod(object as V1Pod),
  );
  return {
    reset: () => {
      seen = new Map();
    },
    marks: () => seen,
    stop: () => {
      stopped = true;
      for (const watch of watches) watch.abort();
    },
  };
}

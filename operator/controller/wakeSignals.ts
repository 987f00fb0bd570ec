import type { KubernetesObject, V1Deployment, V1Node, V1Pod } from '@kubernetes/client-node';
import { firstFailing, firstUnschedulable, observedDeployment } from './reads.js';
import { objectKey } from '../../contract/kube/objectKey.js';

/**
 * What a reconcile reads of each kind of object, as a string: an event whose object says the same as the last one
 * seen of it is no news, and wakes no reconcile (controller-runtime's predicates, written once per kind).
 */

/** What placement reads of a node: labels and allocatable (not heartbeats, conditions or images). */
export const nodeSignal = (n: V1Node) => JSON.stringify([n.metadata?.labels ?? {}, n.status?.allocatable ?? {}]);

/** What status reads of a Deployment (observedDeployment), and its spec generation (drift: apply it again). */
export const deploymentSignal = (d: V1Deployment) =>
  JSON.stringify([d.metadata?.generation ?? 0, observedDeployment(d)]);

/**
 * What status reads of a pod (observePods): the scheduler's Unschedulable message, a container that keeps failing,
 * and whether its weights download runs (with the IP its progress is read from; while it runs the reconcile polls
 * on its own). Readiness is not here: the Deployment's readyReplicas carries it, with its own event.
 */
export const podSignal = (p: V1Pod) => {
  const containers = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])];
  const fetching = containers.some((c) => c.name === 'fetch' && c.state?.running);
  return JSON.stringify([firstUnschedulable([p]), firstFailing([p]), fetching ? (p.status?.podIP ?? null) : null]);
};

/** A pod that says nothing yet: scheduled or waiting to be, no container failing, no download. */
export const QUIET_POD = podSignal({});

/**
 * The last signal seen of each object (namespace/name), and whether an event changes it. An object seen for the
 * first time is compared with `initial` (null: always news, as a node or Deployment; QUIET_POD: a pod only when it
 * already says something); a deleted one is news when its last signal differed from `initial`.
 */
export class SignalMemory<T extends KubernetesObject> {
  private readonly last = new Map<string, string>();

  constructor(
    private readonly signal: (o: T) => string,
    private readonly initial: string | null = null,
  ) {}

  /** Records the object's signal; true when it differs from the last one seen (or, gone, when that said something). */
  changed(o: T, gone = false): boolean {
    const key = objectKey(o);
    const before = this.last.has(key) ? this.last.get(key)! : this.initial;
    if (gone) {
      this.last.delete(key);
      return before !== this.initial;
    }
    const now = this.signal(o);
    this.last.set(key, now);
    return now !== before;
  }

  /** Whether an object of this one's namespace and name was seen (and has not gone). */
  knows(o: T): boolean {
    return this.last.has(objectKey(o));
  }

  get size(): number {
    return this.last.size;
  }
}

import type { V1Pod, V1PodCondition } from '@kubernetes/client-node';

/**
 * A pod's status as kubelet writes it, from what the agent knows of its containers (pure): phase,
 * IPs, conditions with stable transition times, and container statuses.
 */

export interface Terminated {
  exitCode: number;
  /** The signal's number, as the API wants it. */
  signal: number | null;
  reason: string;
  message?: string;
  startedAt: Date;
  finishedAt: Date;
  containerID: string;
}

export type ContainerState =
  | { kind: 'waiting'; reason: string; message?: string }
  | { kind: 'running'; startedAt: Date; containerID: string }
  | ({ kind: 'terminated' } & Terminated);

export interface ContainerRecord {
  name: string;
  image: string;
  imageID: string;
  restartCount: number;
  state: ContainerState;
  lastTerminated: Terminated | null;
  ready: boolean;
  started: boolean;
}

export interface PodSnapshot {
  podIP: string;
  hostIP: string;
  startTime: Date;
  init: ContainerRecord[];
  main: ContainerRecord[];
}

/** RFC 3339 to the second, as the API server stores times. */
export const rfc3339 = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

type Json = Record<string, unknown>;

function terminatedJson(t: Terminated): Json {
  return {
    exitCode: t.exitCode,
    reason: t.reason,
    ...(t.signal ? { signal: t.signal } : {}),
    ...(t.message ? { message: t.message } : {}),
    startedAt: rfc3339(t.startedAt),
    finishedAt: rfc3339(t.finishedAt),
    ...(t.containerID ? { containerID: t.containerID } : {}),
  };
}

function stateJson(state: ContainerState): Json {
  if (state.kind === 'waiting')
    return { waiting: { reason: state.reason, ...(state.message ? { message: state.message } : {}) } };
  if (state.kind === 'running') return { running: { startedAt: rfc3339(state.startedAt) } };
  return { terminated: terminatedJson(state) };
}

function containerStatusJson(r: ContainerRecord): Json {
  const containerID = r.state.kind === 'waiting' ? r.lastTerminated?.containerID : r.state.containerID;
  return {
    name: r.name,
    image: r.image,
    imageID: r.imageID,
    ...(containerID ? { containerID } : {}),
    state: stateJson(r.state),
    lastState: r.lastTerminated ? { terminated: terminatedJson(r.lastTerminated) } : {},
    ready: r.ready,
    restartCount: r.restartCount,
    started: r.started,
  };
}

const succeeded = (r: ContainerRecord) => r.state.kind === 'terminated' && r.state.exitCode === 0;

/** kubelet's getPhase, for the containers after initialisation. */
function mainPhase(main: ContainerRecord[], restartPolicy: string): string {
  const running = main.filter((r) => r.state.kind === 'running').length;
  // a container waiting to be restarted counts as stopped, one never started as waiting
  const waiting = main.filter((r) => r.state.kind === 'waiting' && !r.lastTerminated).length;
  const stopped = main.length - running - waiting;
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped === 0) return 'Pending';
  if (restartPolicy === 'Always') return 'Running';
  if (main.every(succeeded)) return 'Succeeded';
  return restartPolicy === 'Never' ? 'Failed' : 'Running';
}

export function podPhase(snapshot: PodSnapshot, restartPolicy: string): string {
  const failedInit = snapshot.init.some((r) => r.state.kind === 'terminated' && r.state.exitCode !== 0);
  if (failedInit && restartPolicy === 'Never') return 'Failed';
  if (!snapshot.init.every(succeeded)) return 'Pending';
  return mainPhase(snapshot.main, restartPolicy);
}

function condition(
  type: string,
  ok: boolean,
  previous: V1PodCondition[],
  now: Date,
  reason?: string,
  message?: string,
): Json {
  const status = ok ? 'True' : 'False';
  const before = previous.find((c) => c.type === type);
  const since =
    before?.status === status && before.lastTransitionTime
      ? rfc3339(new Date(before.lastTransitionTime))
      : rfc3339(now);
  return { type, status, lastProbeTime: null, lastTransitionTime: since, ...(ok ? {} : { reason, message }) };
}

export function podStatus(pod: V1Pod, snapshot: PodSnapshot, now: Date): Json {
  const previous = pod.status?.conditions ?? [];
  const restartPolicy = pod.spec?.restartPolicy ?? 'Always';
  const uninitialised = snapshot.init.filter((r) => !succeeded(r)).map((r) => r.name);
  const unready = snapshot.main.filter((r) => !r.ready).map((r) => r.name);
  const scheduled = previous.find((c) => c.type === 'PodScheduled');
  const notReady = (what: string, names: string[]) => `containers with ${what} status: [${names.join(' ')}]`;
  return {
    phase: podPhase(snapshot, restartPolicy),
    conditions: [
      condition('PodReadyToStartContainers', true, previous, now),
      condition(
        'Initialized',
        uninitialised.length === 0,
        previous,
        now,
        'ContainersNotInitialized',
        notReady('incomplete', uninitialised),
      ),
      condition('Ready', unready.length === 0, previous, now, 'ContainersNotReady', notReady('unready', unready)),
      condition(
        'ContainersReady',
        unready.length === 0,
        previous,
        now,
        'ContainersNotReady',
        notReady('unready', unready),
      ),
      scheduled
        ? {
            ...scheduled,
            lastTransitionTime: scheduled.lastTransitionTime && rfc3339(new Date(scheduled.lastTransitionTime)),
            lastProbeTime: null,
          }
        : condition('PodScheduled', true, previous, now),
    ],
    hostIP: snapshot.hostIP,
    hostIPs: [{ ip: snapshot.hostIP }],
    podIP: snapshot.podIP,
    podIPs: [{ ip: snapshot.podIP }],
    startTime: rfc3339(snapshot.startTime),
    ...(snapshot.init.length ? { initContainerStatuses: snapshot.init.map(containerStatusJson) } : {}),
    containerStatuses: snapshot.main.map(containerStatusJson),
  };
}

import type { V1Container, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { describeError } from '../../contract/errors.js';
import { Container, type ContainerDeps } from './container.js';
import {
  isNotRunnable,
  localProcess,
  notRunnable,
  type ContainerContext,
  type LocalProcessSpec,
  type NotRunnable,
} from './containerSpec.js';
import type { PodSnapshot } from './podStatus.js';
import type { ExitStatus } from './process.js';

/**
 * One pod's life on the node: init containers in order, then the main containers side by side,
 * each restarted in place per restartPolicy with a CrashLoopBackOff-like delay; and termination.
 * A pod the agent cannot run (image, command, probe, volume or env it does not support) starts
 * nothing: its containers wait with the reason.
 */

export interface BackOffPolicy {
  initialMs: number;
  maxMs: number;
  resetMs: number;
}

export interface PodWorkerDeps extends Omit<ContainerDeps, 'graceMs' | 'event'> {
  hostIP: string;
  context: Omit<ContainerContext, 'pod' | 'podIP' | 'hostIP'>;
  backOff: BackOffPolicy;
  event: (type: 'Normal' | 'Warning', reason: string, message: string) => void;
}

/** What a container asks for that the agent cannot do, checked before anything starts. */
function unsupported(c: V1Container): NotRunnable | null {
  if ([c.startupProbe, c.readinessProbe, c.livenessProbe].some((p) => p?.exec)) {
    return notRunnable(
      'ProbeNotSupportedByDevAgent',
      `container ${c.name}: exec probes are not supported by the dev agent (grpc, httpGet and tcpSocket are)`,
    );
  }
  if (c.restartPolicy === 'Always') {
    return notRunnable(
      'SidecarNotSupportedByDevAgent',
      `init container ${c.name}: sidecar init containers (restartPolicy: Always) are not supported by the dev agent`,
    );
  }
  return null;
}

/** Delays that terminate() can cut short. */
class Sleeper {
  private readonly pending = new Set<() => void>();

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.pending.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.pending.add(wake);
    });
  }

  cancel(): void {
    for (const wake of [...this.pending]) wake();
  }
}

export class PodWorker {
  readonly init: Container[];
  readonly main: Container[];
  readonly startTime: Date;
  private readonly processes = new Map<Container, LocalProcessSpec>();
  private readonly sleeper = new Sleeper();
  private terminating = false;
  private done: Promise<void> = Promise.resolve();

  constructor(
    public pod: V1Pod,
    readonly podIP: string,
    private readonly deps: PodWorkerDeps,
  ) {
    this.startTime = deps.now();
    const spec = pod.spec!;
    const graceMs = (spec.terminationGracePeriodSeconds ?? 30) * 1000;
    const make = (c: V1Container, waiting: string, previous: V1ContainerStatus[] | undefined) =>
      new Container(
        c,
        { ...deps, graceMs },
        waiting,
        previous?.find((s) => s.name === c.name),
      );
    this.init = (spec.initContainers ?? []).map((c) => make(c, 'PodInitializing', pod.status?.initContainerStatuses));
    this.main = spec.containers.map((c) =>
      make(c, spec.initContainers?.length ? 'PodInitializing' : 'ContainerCreating', pod.status?.containerStatuses),
    );
  }

  /** Resolves every container's process; a pod with one it cannot run starts nothing. */
  start(volumeProblem: NotRunnable | null): void {
    const context: ContainerContext = {
      ...this.deps.context,
      pod: this.pod,
      podIP: this.podIP,
      hostIP: this.deps.hostIP,
    };
    const problems: Array<[Container, NotRunnable]> = [];
    for (const c of [...this.init, ...this.main]) {
      const resolved = volumeProblem ?? unsupported(c.spec) ?? localProcess(c.spec, context);
      if (isNotRunnable(resolved)) problems.push([c, resolved]);
      else this.processes.set(c, resolved);
    }
    if (problems.length > 0) {
      for (const [c, problem] of problems) {
        c.wait(problem.reason, problem.message);
        this.deps.event('Warning', 'Failed', `Error: ${problem.reason}: ${problem.message}`);
      }
      return;
    }
    // run() handles every container's failures itself: a rejection here is a bug, shown on the pod
    this.done = this.run().catch((error: unknown) =>
      this.deps.event('Warning', 'Failed', `Error: ${describeError(error)}`),
    );
  }

  snapshot(): PodSnapshot {
    return {
      podIP: this.podIP,
      hostIP: this.deps.hostIP,
      startTime: this.startTime,
      init: this.init.map((c) => c.record),
      main: this.main.map((c) => c.record),
    };
  }

  /** pids of the running container processes. */
  pids(): number[] {
    return [...this.init, ...this.main].map((c) => c.pid).filter((p) => p !== null);
  }

  get isTerminating(): boolean {
    return this.terminating;
  }

  /** Stops every container (SIGTERM, SIGKILL after graceMs) and waits for the worker to finish. */
  async terminate(graceMs: number): Promise<void> {
    this.terminating = true;
    this.sleeper.cancel();
    for (const c of [...this.init, ...this.main])
      if (c.pid !== null) this.deps.event('Normal', 'Killing', `Stopping container ${c.spec.name}`);
    await Promise.all([...this.init, ...this.main].map((c) => c.shutDown(graceMs)));
    await this.done;
  }

  private restarts(exit: ExitStatus): boolean {
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    return policy === 'Always' || (policy === 'OnFailure' && exit.exitCode !== 0);
  }

  private async run(): Promise<void> {
    for (const c of this.init) {
      if (!(await this.supervise(c, true))) return;
    }
    await Promise.all(this.main.map((c) => this.supervise(c, false)));
  }

  /** Runs a container until it is done for good; true when it ended well (an init container that completed). */
  private async supervise(c: Container, isInit: boolean): Promise<boolean> {
    let failures = 0;
    for (;;) {
      if (this.terminating) return false;
      const started = this.deps.now().getTime();
      const exit = await c.run(this.processes.get(c)!, isInit);
      if (this.terminating) return false;
      if (isInit && exit.exitCode === 0) return true;
      // an init container that failed is retried unless the policy is Never
      if (isInit ? this.pod.spec?.restartPolicy === 'Never' : !this.restarts(exit)) return false;
      if (this.deps.now().getTime() - started >= this.deps.backOff.resetMs) failures = 0;
      const { initialMs, maxMs } = this.deps.backOff;
      const delay = failures === 0 ? 0 : Math.min(maxMs, initialMs * 2 ** (failures - 1));
      failures++;
      if (delay > 0) {
        const { name, namespace } = this.pod.metadata!;
        const pod = `${name}_${namespace}(${this.pod.metadata!.uid})`;
        const message = `back-off ${delay / 1000}s restarting failed container=${c.spec.name} pod=${pod}`;
        c.wait('CrashLoopBackOff', message);
        this.deps.event('Warning', 'BackOff', message);
        await this.sleeper.sleep(delay);
        if (this.terminating) return false;
      }
      c.record.restartCount++;
    }
  }
}

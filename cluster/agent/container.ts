import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Container, V1ContainerStatus, V1Probe } from '@kubernetes/client-node';
import { describeError } from '../../contract/errors.js';
import type { LocalProcessSpec } from './containerSpec.js';
import type { ContainerRecord } from './podStatus.js';
import { ProbeLoop, probeCheck, type ProbeResult } from './probes.js';
import { startProcess, type ContainerProcess, type ExitStatus } from './process.js';

/**
 * One container of a pod: its record (what status shows) and at most one running instance, with
 * its probes. A failing startup or liveness probe stops the instance; the pod worker decides
 * whether it comes back.
 */

export interface ContainerDeps {
  podIP: string;
  cwd: string;
  /** <logs>/<namespace>_<pod>_<uid>: each instance writes <container>/<restartCount>.log under it. */
  logDir: string;
  pidDir: string;
  imageID: string;
  /** How long a container killed for a failed probe gets to stop. */
  graceMs: number;
  now: () => Date;
  onChange: () => void;
  event: (type: 'Normal' | 'Warning', reason: string, message: string) => void;
}

export class Container {
  readonly record: ContainerRecord;
  private instance: ContainerProcess | null = null;
  private probes: ProbeLoop[] = [];
  /** Set by shutDown(): an instance that was still starting then is stopped as soon as it runs. */
  private shutDownGraceMs: number | null = null;

  /**
   * `previous`: the container's status before this agent took the pod over; an instance that ran then counts as a
   * restart.
   */
  constructor(
    readonly spec: V1Container,
    private readonly deps: ContainerDeps,
    waitingReason: string,
    previous?: V1ContainerStatus,
  ) {
    this.record = {
      name: spec.name,
      image: spec.image ?? '',
      imageID: deps.imageID,
      restartCount: previous?.containerID ? previous.restartCount + 1 : 0,
      state: { kind: 'waiting', reason: waitingReason },
      lastTerminated: null,
      ready: false,
      started: false,
    };
  }

  get pid(): number | null {
    return this.instance?.pid ?? null;
  }

  get logFile(): string {
    return join(this.deps.logDir, this.spec.name, `${this.record.restartCount}.log`);
  }

  /** Waiting (e.g. CrashLoopBackOff); a terminated state becomes the last state. */
  wait(reason: string, message?: string): void {
    if (this.record.state.kind === 'terminated') this.record.lastTerminated = this.record.state;
    this.record.state = { kind: 'waiting', reason, ...(message ? { message } : {}) };
    this.deps.onChange();
  }

  /** Starts an instance and resolves with its exit, whatever ended it. */
  async run(process: LocalProcessSpec, isInit: boolean): Promise<ExitStatus> {
    if (this.record.state.kind === 'terminated') this.record.lastTerminated = this.record.state;
    const startedAt = this.deps.now();
    let instance: ContainerProcess;
    try {
      instance = await startProcess({
        ...process,
        cwd: this.deps.cwd,
        logFile: this.logFile,
        pidDir: this.deps.pidDir,
      });
    } catch (error) {
      // as kubelet reports a container its runtime could not start: terminated, StartError, 128
      const message = describeError(error);
      this.record.state = {
        kind: 'terminated',
        exitCode: 128,
        signal: null,
        reason: 'StartError',
        message,
        startedAt,
        finishedAt: this.deps.now(),
        containerID: '',
      };
      this.deps.event('Warning', 'Failed', `Error: ${message}`);
      this.deps.onChange();
      return { exitCode: 128, signal: null };
    }
    this.instance = instance;
    if (this.shutDownGraceMs !== null) void instance.stop(this.shutDownGraceMs);
    const containerID = `devagent://${instance.pid}`;
    this.record.state = { kind: 'running', startedAt, containerID };
    this.record.ready = false;
    this.record.started = isInit || !this.spec.startupProbe;
    this.deps.event('Normal', 'Started', `Started container ${this.spec.name} (pid ${instance.pid})`);
    if (!isInit) this.startProbes();
    this.deps.onChange();

    const exit = await instance.exited;
    this.stopProbes();
    this.instance = null;
    const message = this.terminationMessage(exit.exitCode);
    this.record.state = {
      kind: 'terminated',
      exitCode: exit.exitCode,
      signal: exit.signal,
      reason: exit.exitCode === 0 ? 'Completed' : 'Error',
      startedAt,
      finishedAt: this.deps.now(),
      containerID,
      ...(message ? { message } : {}),
    };
    // a finished init container counts as ready, as kubelet reports it
    this.record.ready = isInit && exit.exitCode === 0;
    this.record.started = false;
    this.deps.onChange();
    return exit;
  }

  /**
   * terminationMessagePolicy FallbackToLogsOnError, as kubelet does it: a failed container's message is
   * the tail of its log (80 lines, 2048 bytes at most). There is no termination-log file to read here.
   */
  private terminationMessage(exitCode: number): string | undefined {
    if (exitCode === 0 || this.spec.terminationMessagePolicy !== 'FallbackToLogsOnError') return undefined;
    let log: string;
    try {
      log = readFileSync(this.logFile, 'utf8');
    } catch {
      return undefined;
    }
    const tail = log.trimEnd().split('\n').slice(-80).join('\n');
    return tail.length > 2048 ? tail.slice(-2048) : tail || undefined;
  }

  /** Stops the running instance, if any (SIGTERM, SIGKILL after graceMs). */
  private async kill(graceMs: number): Promise<void> {
    this.stopProbes();
    await this.instance?.stop(graceMs);
  }

  /** The pod is going: stops the running instance, and one still starting once it runs. */
  async shutDown(graceMs: number): Promise<void> {
    this.shutDownGraceMs = graceMs;
    await this.kill(graceMs);
  }

  private startProbes(): void {
    const { startupProbe, readinessProbe, livenessProbe } = this.spec;
    const loop = (
      kind: string,
      probe: V1Probe,
      initial: ProbeResult | null,
      onResult: (result: ProbeResult) => void,
    ) => {
      const unhealthy = (message: string) =>
        this.deps.event('Warning', 'Unhealthy', `${kind} probe failed: ${message}`);
      const created = new ProbeLoop(
        probe,
        probeCheck(probe, this.deps.podIP, this.spec.ports ?? [])!,
        initial,
        onResult,
        unhealthy,
      );
      this.probes.push(created);
      created.start();
      return created;
    };
    const afterStartup = () => {
      if (readinessProbe) {
        loop('Readiness', readinessProbe, 'failure', (result) => {
          this.record.ready = result === 'success';
          this.deps.onChange();
        });
      } else {
        this.record.ready = true;
      }
      if (livenessProbe)
        loop('Liveness', livenessProbe, 'success', (result) => {
          if (result === 'failure') this.restartForProbe('liveness');
        });
      this.deps.onChange();
    };
    if (!startupProbe) {
      afterStartup();
      return;
    }
    const startup = loop('Startup', startupProbe, null, (result) => {
      if (result === 'failure') {
        this.restartForProbe('startup');
        return;
      }
      startup.stop();
      this.record.started = true;
      afterStartup();
    });
  }

  private stopProbes(): void {
    for (const loop of this.probes) loop.stop();
    this.probes = [];
  }

  private restartForProbe(kind: string): void {
    this.deps.event('Normal', 'Killing', `Container ${this.spec.name} failed ${kind} probe, will be restarted`);
    void this.kill(this.deps.graceMs);
  }
}

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import type { Logger } from '../../contract/log.js';
import { apiErrorText, hasCode } from './apiErrors.js';
import type { AgentConfig } from './config.js';
import { isNotRunnable } from './containerSpec.js';
import type { PodEvent } from './events.js';
import { HOST_IP } from './node.js';
import { PodIpAllocator } from './podIps.js';
import { PodWorker } from './podWorker.js';
import { pidDir } from './process.js';
import { StatusWriter } from './statusWriter.js';
import { podDir, prepareVolumes, removePodDir } from './volumes.js';

export interface PodsDeps {
  config: AgentConfig;
  core: CoreV1Api;
  log: Logger;
  now: () => Date;
  recordEvent: PodEvent;
  /** argv of the `gptoss` entrypoint the project's images stand for. */
  gptoss: string[];
  imageID: string;
}

/**
 * The pods bound to the node, as the informer reports them: a worker per pod uid, started on
 * first sight, terminated gracefully when the pod gets a deletionTimestamp (then the object is
 * deleted, as kubelet does), forgotten when the object is gone.
 */
export class Pods {
  private readonly workers = new Map<string, PodWorker>();
  private readonly ips: PodIpAllocator;
  private readonly status: StatusWriter;

  constructor(private readonly deps: PodsDeps) {
    this.ips = new PodIpAllocator(deps.config.podSubnet);
    this.status = new StatusWriter(deps.core, deps.log, deps.now);
  }

  /** An added or updated pod. */
  sync(pod: V1Pod): void {
    const worker = this.workers.get(pod.metadata!.uid!);
    if (!worker) {
      const finished = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
      // nothing runs for it here: a deleted pod can go at once; one that finished before this agent started stays as it
      // is
      if (pod.metadata?.deletionTimestamp) void this.deleteObject(pod);
      else if (!finished) this.start(pod);
      return;
    }
    worker.pod = pod;
    if (pod.metadata?.deletionTimestamp && !worker.isTerminating) void this.terminate(worker);
  }

  /** The pod object is gone: stop anything left at once, free its IP and folder. */
  async forget(pod: V1Pod): Promise<void> {
    const uid = pod.metadata!.uid!;
    const worker = this.workers.get(uid);
    if (!worker) return;
    this.workers.delete(uid);
    this.status.forget(uid);
    await worker.terminate(0);
    this.ips.release(worker.podIP);
    removePodDir(this.deps.config.stateDir, uid);
    this.deps.log.info({ kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name }, 'Removed pod');
  }

  /** Stops every container (each pod's grace period); with `report`, their statuses are written before it returns. */
  async stopAll(report: boolean): Promise<void> {
    await Promise.all(
      [...this.workers.values()].map((w) => w.terminate((w.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000)),
    );
    if (report) await this.status.flush();
  }

  pids(namespace: string, name: string): number[] {
    return [...this.workers.values()]
      .filter((w) => w.pod.metadata?.namespace === namespace && w.pod.metadata?.name === name)
      .flatMap((w) => w.pids());
  }

  private start(pod: V1Pod): void {
    const { config } = this.deps;
    const { uid, namespace, name } = pod.metadata!;
    const volumes = prepareVolumes(pod, config.stateDir);
    mkdirSync(podDir(config.stateDir, uid!), { recursive: true });
    const podIP = this.ips.allocate(pod.status?.podIP);
    const worker: PodWorker = new PodWorker(pod, podIP, {
      podIP,
      hostIP: HOST_IP,
      cwd: podDir(config.stateDir, uid!),
      pidDir: pidDir(config.stateDir),
      imageID: this.deps.imageID,
      now: this.deps.now,
      logDir: join(config.stateDir, 'logs', `${namespace}_${name}_${uid}`),
      context: {
        volumeDirs: isNotRunnable(volumes) ? new Map() : volumes.dirs,
        runnableImages: config.runnableImages,
        gptoss: this.deps.gptoss,
        baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/' },
      },
      backOff: { initialMs: config.backOffInitialMs, maxMs: config.backOffMaxMs, resetMs: config.backOffResetMs },
      onChange: () => this.status.schedule(worker),
      event: (type, reason, message) => this.deps.recordEvent(worker.pod, type, reason, message),
    });
    this.workers.set(uid!, worker);
    this.deps.log.info({ kind: 'Pod', namespace, name, podIP }, 'Started pod');
    worker.start(isNotRunnable(volumes) ? volumes : null);
    this.status.schedule(worker);
  }

  /** Graceful deletion: the containers stop within the grace period, then the object goes. */
  private async terminate(worker: PodWorker): Promise<void> {
    const graceSeconds =
      worker.pod.metadata?.deletionGracePeriodSeconds ?? worker.pod.spec?.terminationGracePeriodSeconds ?? 30;
    await worker.terminate(graceSeconds * 1000);
    await this.status.flush();
    await this.deleteObject(worker.pod);
  }

  /** Deletes the pod with grace period 0 and a uid precondition, as kubelet does once nothing of it runs. */
  private async deleteObject(pod: V1Pod): Promise<void> {
    const { namespace, name, uid } = pod.metadata!;
    try {
      await this.deps.core.deleteNamespacedPod({
        namespace: namespace!,
        name: name!,
        gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid } },
      });
      this.deps.log.info({ kind: 'Pod', namespace, name }, 'Deleted pod after its containers stopped');
    } catch (error) {
      // gone already, or a new pod of that name: nothing of ours to delete
      if (!hasCode(error, 404, 409))
        this.deps.log.error({ kind: 'Pod', namespace, name, err: apiErrorText(error) }, 'Failed to delete pod');
    }
  }
}

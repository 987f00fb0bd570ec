import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, ListWatch, Watch, type V1Pod } from '@kubernetes/client-node';
import { createLogger, type Logger } from '../../runtime/log.js';
import { PACKAGE_ROOT } from '../../runtime/paths.js';
import { runs } from '../processes.js';
import { apiErrorText, hasCode } from './apiErrors.js';
import { loadAgentConfig, type AgentConfig, type AgentConfigInput } from './config.js';
import { isNotRunnable } from './containerSpec.js';
import { podEventRecorder, type PodEvent } from './events.js';
import { HOST_IP, NodeRegistration } from './node.js';
import { PodIpAllocator } from './podIps.js';
import { PodWorker } from './podWorker.js';
import { killOrphans } from './process.js';
import { StatusWriter } from './statusWriter.js';
import { prepareVolumes, removePodDir, podDir } from './volumes.js';

/**
 * The development agent: a minimal kubelet for one local node. It registers a fake GPU Node,
 * watches the pods bound to it and runs them as local processes on pod IPs of their own in
 * 127.0.0.0/8 (see docs/dev-agent.md for what it approximates).
 */

export interface AgentOptions extends AgentConfigInput {
  /** A kubeconfig file, or one already loaded. */
  kubeconfig: string | KubeConfig;
  log?: Logger;
  now?: () => Date;
}

export interface RunningAgent {
  nodeName: string;
  stateDir: string;
  /** pids of a pod's running container processes (tests and debugging). */
  pids(namespace: string, name: string): number[];
  /** Stops every container process, then the heartbeats; the Node is deleted or left NotReady (config.deleteNodeOnStop). */
  stop(): Promise<void>;
}

const INFORMER_RESTART_MS = 2000;
const IMAGE_ID = `devagent://${join(PACKAGE_ROOT, 'dist', 'cli', 'gptoss.js')}`;

/** One agent per state folder: a second one would take the first one's processes for orphans. */
function lockStateDir(stateDir: string): string {
  const lock = join(stateDir, 'agent.pid');
  const holder = (() => {
    try {
      return Number(readFileSync(lock, 'utf8'));
    } catch {
      return null;
    }
  })();
  if (holder !== null && runs(holder, process.execPath)) throw new Error(`another dev agent (pid ${holder}) uses ${stateDir}`);
  writeFileSync(lock, String(process.pid));
  return lock;
}

export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const { kubeconfig, log: givenLog, now = () => new Date(), ...input } = options;
  const config: AgentConfig = loadAgentConfig(input);
  const log = givenLog ?? createLogger();
  const kc = typeof kubeconfig === 'string' ? (() => { const k = new KubeConfig(); k.loadFromFile(kubeconfig); return k; })() : kubeconfig;
  mkdirSync(config.stateDir, { recursive: true });
  const lock = lockStateDir(config.stateDir);
  const pidDir = join(config.stateDir, 'pids');
  const orphans = killOrphans(pidDir);
  if (orphans > 0) log.warn({ count: orphans, stateDir: config.stateDir }, 'Killed processes a previous agent left running');

  const core = kc.makeApiClient(CoreV1Api);
  const node = new NodeRegistration(kc, config, log, now);
  try {
    await node.register();
  } catch (error) {
    rmSync(lock, { force: true });
    throw error;
  }
  const ips = new PodIpAllocator(config.podSubnet);
  const status = new StatusWriter(core, log, now);
  const recordEvent: PodEvent = podEventRecorder(core, config.nodeName, log, now);
  const workers = new Map<string, PodWorker>();
  const keyOf = (pod: V1Pod) => `${pod.metadata?.namespace}/${pod.metadata?.name}`;

  const startWorker = (pod: V1Pod): PodWorker => {
    const uid = pod.metadata!.uid!;
    const podIP = ips.allocate(pod.status?.podIP);
    const volumes = prepareVolumes(pod, config.stateDir);
    const worker: PodWorker = new PodWorker(pod, podIP, {
      podIP, hostIP: HOST_IP, cwd: podDir(config.stateDir, uid), pidDir, imageID: IMAGE_ID, now,
      logDir: join(config.stateDir, 'logs', `${pod.metadata!.namespace}_${pod.metadata!.name}_${uid}`),
      context: {
        volumeDirs: isNotRunnable(volumes) ? new Map() : volumes.dirs, runnableImages: config.runnableImages,
        gptoss: [process.execPath, config.gptossCli ?? join(PACKAGE_ROOT, 'dist', 'cli', 'gptoss.js')],
        baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/' },
      },
      backOff: { initialMs: config.backOffInitialMs, maxMs: config.backOffMaxMs, resetMs: config.backOffResetMs },
      onChange: () => status.schedule(worker),
      event: (type, reason, message) => recordEvent(worker.pod, type, reason, message),
    });
    workers.set(uid, worker);
    mkdirSync(podDir(config.stateDir, uid), { recursive: true });
    log.info({ kind: 'Pod', namespace: pod.metadata!.namespace, name: pod.metadata!.name, podIP }, 'Started pod');
    worker.start(isNotRunnable(volumes) ? volumes : null);
    status.schedule(worker);
    return worker;
  };

  /** Graceful deletion: stop the containers within the grace period, then remove the object as kubelet does. */
  const terminate = async (worker: PodWorker) => {
    const { namespace, name, uid, deletionGracePeriodSeconds } = worker.pod.metadata!;
    const graceSeconds = deletionGracePeriodSeconds ?? worker.pod.spec?.terminationGracePeriodSeconds ?? 30;
    await worker.terminate(graceSeconds * 1000);
    await status.flush();
    try {
      await core.deleteNamespacedPod({ namespace: namespace!, name: name!, gracePeriodSeconds: 0, body: { gracePeriodSeconds: 0, preconditions: { uid } } });
      log.info({ kind: 'Pod', namespace, name }, 'Deleted pod after its containers stopped');
    } catch (error) {
      if (!hasCode(error, 404, 409)) {
        log.error({ kind: 'Pod', namespace, name, err: apiErrorText(error) }, 'Failed to delete pod');
      }
    }
  };

  /** The pod is gone from the API: stop anything left at once and free its IP and folder. */
  const forget = async (pod: V1Pod) => {
    const uid = pod.metadata!.uid!;
    const worker = workers.get(uid);
    if (!worker) return;
    workers.delete(uid);
    status.forget(uid);
    await worker.terminate(0);
    ips.release(worker.podIP);
    removePodDir(config.stateDir, uid);
    log.info({ kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name }, 'Removed pod');
  };

  const sync = (pod: V1Pod) => {
    const uid = pod.metadata!.uid!;
    let worker = workers.get(uid);
    if (!worker) {
      // a pod that finished before this agent started has nothing left to run
      const finished = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
      if (finished && !pod.metadata?.deletionTimestamp) return;
      worker = startWorker(pod);
    }
    worker.pod = pod;
    if (pod.metadata?.deletionTimestamp && !worker.isTerminating) {
      terminate(worker).catch((error: unknown) => log.error({ kind: 'Pod', key: keyOf(pod), err: apiErrorText(error) }, 'Failed to terminate pod'));
    }
  };
  const guarded = (what: string, fn: (pod: V1Pod) => void | Promise<void>) => (pod: V1Pod) => {
    Promise.resolve().then(() => fn(pod)).catch((error: unknown) =>
      log.error({ kind: 'Pod', key: keyOf(pod), err: apiErrorText(error) }, `Failed to ${what} pod`));
  };

  const fieldSelector = `spec.nodeName=${config.nodeName}`;
  const pods = new ListWatch<V1Pod>('/api/v1/pods', new Watch(kc), () => core.listPodForAllNamespaces({ fieldSelector }), false, undefined, fieldSelector);
  pods.on('add', guarded('sync', sync));
  pods.on('update', guarded('sync', sync));
  pods.on('delete', guarded('remove', forget));
  let stopping = false;
  // an informer stops on errors other than 410: restart it ourselves
  pods.on('error', (error: unknown) => {
    if (stopping) return;
    log.warn({ informer: 'pods', err: apiErrorText(error) }, 'Restarted informer after an error');
    setTimeout(() => void pods.start().catch(() => undefined), INFORMER_RESTART_MS);
  });
  await pods.start();
  log.info({ kind: 'Node', name: config.nodeName, stateDir: config.stateDir, podSubnet: config.podSubnet }, 'Started dev agent');

  return {
    nodeName: config.nodeName,
    stateDir: config.stateDir,
    pids(namespace, name) {
      return [...workers.values()].filter((w) => w.pod.metadata?.namespace === namespace && w.pod.metadata?.name === name).flatMap((w) => w.pids());
    },
    async stop() {
      stopping = true;
      await pods.stop();
      await Promise.all([...workers.values()].map((w) => w.terminate((w.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000)));
      // the pods' statuses show their containers stopped before the node goes
      if (!config.deleteNodeOnStop) await status.flush();
      await node.stop();
      rmSync(lock, { force: true });
      log.info({ kind: 'Node', name: config.nodeName }, 'Stopped dev agent');
    },
  };
}

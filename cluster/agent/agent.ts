import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, ListWatch, Watch, type V1Pod } from '@kubernetes/client-node';
import { createLogger, type Logger } from '../../contract/log.js';
import { PACKAGE_ROOT } from '../../contract/paths.js';
import { runs } from '../processes.js';
import { apiErrorText } from './apiErrors.js';
import { loadAgentConfig, type AgentConfig, type AgentConfigInput } from './config.js';
import { podEventRecorder } from './events.js';
import { NodeRegistration } from './node.js';
import { Pods } from './pods.js';
import { startProvisioner, type RunningProvisioner } from './provisioner.js';
import { killOrphans, pidDir } from './process.js';

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
  /**
   * Stops every container process, then the heartbeats; the Node is deleted or left NotReady (config.deleteNodeOnStop).
   */
  stop(): Promise<void>;
}

const INFORMER_RESTART_MS = 2000;
const GPTOSS_CLI = join(PACKAGE_ROOT, 'dist', 'cli', 'gptoss.js');

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
  if (holder !== null && runs(holder, process.execPath))
    throw new Error(`another dev agent (pid ${holder}) uses ${stateDir}`);
  writeFileSync(lock, String(process.pid));
  return lock;
}

export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const { kubeconfig, log: givenLog, now = () => new Date(), ...input } = options;
  const config: AgentConfig = loadAgentConfig(input);
  const log = givenLog ?? createLogger();
  const kc =
    typeof kubeconfig === 'string'
      ? (() => {
          const k = new KubeConfig();
          k.loadFromFile(kubeconfig);
          return k;
        })()
      : kubeconfig;
  mkdirSync(config.stateDir, { recursive: true });
  const lock = lockStateDir(config.stateDir);
  const orphans = killOrphans(pidDir(config.stateDir));
  if (orphans > 0)
    log.warn({ count: orphans, stateDir: config.stateDir }, 'Killed processes a previous agent left running');

  const core = kc.makeApiClient(CoreV1Api);
  const node = new NodeRegistration(kc, config, log, now);
  const cli = config.gptossCli ?? GPTOSS_CLI;
  const pods = new Pods({
    config,
    core,
    log,
    now,
    recordEvent: podEventRecorder(core, config.nodeName, log, now),
    gptoss: [process.execPath, cli],
    imageID: `devagent://${cli}`,
  });
  const keyOf = (pod: V1Pod) => `${pod.metadata?.namespace}/${pod.metadata?.name}`;
  const guarded = (what: string, fn: (pod: V1Pod) => void | Promise<void>) => (pod: V1Pod) => {
    Promise.resolve()
      .then(() => fn(pod))
      .catch((error: unknown) =>
        log.error({ kind: 'Pod', key: keyOf(pod), err: apiErrorText(error) }, `Failed to ${what} pod`),
      );
  };
  const fieldSelector = `spec.nodeName=${config.nodeName}`;
  const informer = new ListWatch<V1Pod>(
    '/api/v1/pods',
    new Watch(kc),
    () => core.listPodForAllNamespaces({ fieldSelector }),
    false,
    undefined,
    fieldSelector,
  );
  informer.on(
    'add',
    guarded('sync', (pod) => pods.sync(pod)),
  );
  informer.on(
    'update',
    guarded('sync', (pod) => pods.sync(pod)),
  );
  informer.on(
    'delete',
    guarded('remove', (pod) => pods.forget(pod)),
  );
  let stopping = false;
  // an informer stops on errors other than 410: restart it ourselves
  informer.on('error', (error: unknown) => {
    if (stopping) return;
    log.warn({ informer: 'pods', err: apiErrorText(error) }, 'Restarted informer after an error');
    setTimeout(() => void informer.start().catch(() => undefined), INFORMER_RESTART_MS);
  });

  let provisioner: RunningProvisioner | null = null;
  try {
    await node.register();
    try {
      // claims first: the shared folders are linked before this node's pods mount them
      provisioner = await startProvisioner({ kc, stateDir: config.stateDir, nodeName: config.nodeName, log, now });
      await informer.start();
    } catch (cause) {
      stopping = true;
      await provisioner?.stop().catch(() => undefined);
      await node.stop().catch(() => undefined);
      throw new Error(`watching the pods and claims of Node ${config.nodeName}`, { cause });
    }
  } catch (error) {
    rmSync(lock, { force: true });
    throw error;
  }
  log.info(
    { kind: 'Node', name: config.nodeName, stateDir: config.stateDir, podSubnet: config.podSubnet },
    'Started dev agent',
  );

  return {
    nodeName: config.nodeName,
    stateDir: config.stateDir,
    pids: (namespace, name) => pods.pids(namespace, name),
    async stop() {
      stopping = true;
      await informer.stop();
      await provisioner?.stop();
      // a node that stays shows its pods' containers stopped
      await pods.stopAll(!config.deleteNodeOnStop);
      await node.stop();
      rmSync(lock, { force: true });
      log.info({ kind: 'Node', name: config.nodeName }, 'Stopped dev agent');
    },
  };
}

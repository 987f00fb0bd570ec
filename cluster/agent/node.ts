import { readFileSync } from 'node:fs';
import { release, version } from 'node:os';
import {
  CoordinationV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  type KubeConfig,
  type V1NodeStatus,
} from '@kubernetes/client-node';
import type { Logger } from '../../contract/log.js';
import { apiErrorText, hasCode } from './apiErrors.js';
import type { AgentConfig } from './config.js';

/**
 * The agent's Node: registered with GPU Feature Discovery labels and GPU capacity, its status
 * (Ready with a heartbeat) posted every nodeStatusUpdateSeconds and its Lease in kube-node-lease
 * renewed every leaseRenewSeconds, so the node lifecycle controller keeps it Ready. Outside kwok's
 * selector (type=kwok): nothing else writes this node's status.
 */

export const DEV_AGENT_LABEL = 'gptoss.io/dev-agent';
export const HOST_IP = '127.0.0.1';
const LEASE_NAMESPACE = 'kube-node-lease';
const CONTROLLER_TAINT_PREFIX = 'node.kubernetes.io/';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const isNotFound = (error: unknown) => hasCode(error, 404);

export function nodeLabels(config: AgentConfig): Record<string, string> {
  const { gpu } = config;
  return {
    'kubernetes.io/hostname': config.nodeName,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
    'node.kubernetes.io/instance-type': 'gptoss-dev-agent',
    [DEV_AGENT_LABEL]: 'true',
    ...(gpu.count > 0
      ? {
          'nvidia.com/gpu.present': 'true',
          'nvidia.com/gpu.product': gpu.product,
          'nvidia.com/gpu.memory': String(gpu.memoryMiB),
          'nvidia.com/gpu.count': String(gpu.count),
          'nvidia.com/gpu.family': gpu.family,
        }
      : {}),
  };
}

function machineId(): string {
  try {
    return readFileSync('/etc/machine-id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** status as kubelet posts it; `ready` false with a reason when the agent stops. */
export function nodeStatus(
  config: AgentConfig,
  now: Date,
  readySince: Date,
  ready: { ok: boolean; reason: string; message: string },
): V1NodeStatus {
  const resources = {
    cpu: config.cpu,
    memory: config.memory,
    pods: String(config.maxPods),
    'ephemeral-storage': '100Gi',
    'nvidia.com/gpu': String(config.gpu.count),
  };
  const fine = (type: string, reason: string, message: string) => ({
    type,
    status: 'False',
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: readySince,
  });
  return {
    capacity: resources,
    allocatable: resources,
    conditions: [
      fine('MemoryPressure', 'KubeletHasSufficientMemory', 'dev agent has sufficient memory available'),
      fine('DiskPressure', 'KubeletHasNoDiskPressure', 'dev agent has no disk pressure'),
      fine('PIDPressure', 'KubeletHasSufficientPID', 'dev agent has sufficient PID available'),
      {
        type: 'Ready',
        status: ready.ok ? 'True' : 'False',
        reason: ready.reason,
        message: ready.message,
        lastHeartbeatTime: now,
        lastTransitionTime: readySince,
      },
    ],
    addresses: [
      { type: 'InternalIP', address: HOST_IP },
      { type: 'Hostname', address: config.nodeName },
    ],
    nodeInfo: {
      machineID: machineId(),
      systemUUID: config.nodeName,
      bootID: String(process.pid),
      kernelVersion: release(),
      osImage: version(),
      containerRuntimeVersion: 'devagent://0.1.0',
      kubeletVersion: 'v1.34.4-gptoss-dev-agent',
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: process.arch === 'x64' ? 'amd64' : process.arch,
    },
  };
}

const READY = { ok: true, reason: 'KubeletReady', message: 'gptoss dev agent is posting ready status' };

export class NodeRegistration {
  private readonly core: CoreV1Api;
  private readonly coordination: CoordinationV1Api;
  /** The next heartbeat of each kind. */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private readySince: Date;
  private uid = '';
  private stopped = false;

  constructor(
    kc: KubeConfig,
    private readonly config: AgentConfig,
    private readonly log: Logger,
    private readonly now: () => Date,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
    this.readySince = now();
  }

  /** Creates the Node (or takes over one a previous agent left), posts Ready and the Lease, then keeps both fresh. */
  async register(): Promise<void> {
    const name = this.config.nodeName;
    const existing = await this.core.readNode({ name }).catch((error: unknown) => {
      if (isNotFound(error)) return null;
      throw new Error(`reading Node ${name}`, { cause: error });
    });
    if (existing && existing.metadata?.labels?.[DEV_AGENT_LABEL] !== 'true') {
      throw new Error(
        `Node ${name} already exists and is not a dev-agent node (no label ${DEV_AGENT_LABEL}=true): ` +
          'choose another node name',
      );
    }
    const status = nodeStatus(this.config, this.now(), this.readySince, READY);
    try {
      if (!existing) {
        const created = await this.core.createNode({
          body: { metadata: { name, labels: nodeLabels(this.config) }, spec: { taints: this.config.taints }, status },
        });
        this.uid = created.metadata!.uid!;
      } else {
        // the node lifecycle controller's taints stay; ours are set anew
        const controllerTaints = (existing.spec?.taints ?? []).filter((t) => t.key.startsWith(CONTROLLER_TAINT_PREFIX));
        await this.core.patchNode(
          {
            name,
            body: {
              metadata: { labels: nodeLabels(this.config) },
              spec: { taints: [...this.config.taints, ...controllerTaints] },
            },
          },
          mergePatch,
        );
        await this.core.patchNodeStatus({ name, body: { status } }, mergePatch);
        this.uid = existing.metadata!.uid!;
      }
    } catch (cause) {
      throw new Error(`registering Node ${name}`, { cause });
    }
    await this.renewLease();
    this.log.info({ kind: 'Node', name, uid: this.uid, taken_over: existing !== null }, 'Registered node');
    this.every(this.config.nodeStatusUpdateSeconds, () => this.postStatus(READY), 'post node status');
    this.every(this.config.leaseRenewSeconds, () => this.renewLease(), 'renew node lease');
  }

  /** Stops the heartbeats; then deletes the Node or marks it NotReady, as configured. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    // a heartbeat still in flight would land after, and undo, the last word below
    await Promise.all(this.inFlight);
    const name = this.config.nodeName;
    try {
      if (this.config.deleteNodeOnStop) {
        await this.core.deleteNode({ name }).catch((error: unknown) => {
          if (!isNotFound(error)) throw error;
        });
        this.log.info({ kind: 'Node', name }, 'Deleted node');
      } else {
        this.readySince = this.now();
        await this.postStatus({ ok: false, reason: 'AgentStopped', message: 'the gptoss dev agent stopped' });
        this.log.info({ kind: 'Node', name }, 'Marked node NotReady');
      }
    } catch (cause) {
      throw new Error(`stopping Node ${name}`, { cause });
    }
  }

  private every(seconds: number, task: () => Promise<void>, what: string): void {
    const tick = () => {
      if (this.stopped) return;
      const running = task()
        .catch((error: unknown) => {
          // a write that was in flight when the agent stopped (and perhaps deleted the node) is no news
          if (!this.stopped)
            this.log.warn({ kind: 'Node', name: this.config.nodeName, err: apiErrorText(error) }, `Failed to ${what}`);
        })
        .finally(() => {
          this.inFlight.delete(running);
          if (!this.stopped) this.timers.set(what, setTimeout(tick, seconds * 1000));
        });
      this.inFlight.add(running);
    };
    this.timers.set(what, setTimeout(tick, seconds * 1000));
  }

  private async postStatus(ready: typeof READY): Promise<void> {
    const name = this.config.nodeName;
    try {
      await this.core.patchNodeStatus(
        { name, body: { status: nodeStatus(this.config, this.now(), this.readySince, ready) } },
        mergePatch,
      );
    } catch (cause) {
      throw new Error(`posting the status of Node ${name}`, { cause });
    }
  }

  private async renewLease(): Promise<void> {
    const name = this.config.nodeName;
    const spec = {
      holderIdentity: name,
      leaseDurationSeconds: this.config.leaseDurationSeconds,
      renewTime: new V1MicroTime(this.now()),
    };
    try {
      const lease = await this.coordination
        .readNamespacedLease({ namespace: LEASE_NAMESPACE, name })
        .catch((error: unknown) => {
          if (isNotFound(error)) return null;
          throw error;
        });
      if (lease) {
        await this.coordination.replaceNamespacedLease({
          namespace: LEASE_NAMESPACE,
          name,
          body: { ...lease, spec: { ...lease.spec, ...spec } },
        });
      } else {
        const owner = { apiVersion: 'v1', kind: 'Node', name, uid: this.uid };
        await this.coordination.createNamespacedLease({
          namespace: LEASE_NAMESPACE,
          body: { metadata: { name, namespace: LEASE_NAMESPACE, ownerReferences: [owner] }, spec },
        });
      }
    } catch (cause) {
      throw new Error(`renewing Lease ${LEASE_NAMESPACE}/${name}`, { cause });
    }
  }
}

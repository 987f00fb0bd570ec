import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { startAgent } from '../../../cluster/agent/agent.js';
import { createLogger } from '../../../contract/log.js';
import { core, useAgent } from '../../helpers/agent.js';
import { clusterAccess, kubectl, waitFor } from '../../helpers/cluster.js';

const readyStatus = async (name: string) =>
  (await core().readNode({ name })).status?.conditions?.find((c) => c.type === 'Ready');
const quiet = createLogger('silent');

describe('dev agent Node (real control plane)', () => {
  const handle = useAgent('agent-node', {
    leaseRenewSeconds: 1,
    nodeStatusUpdateSeconds: 1,
    gpu: { product: 'NVIDIA-L4', memoryMiB: 23034, count: 4, family: 'ada-lovelace' },
  });

  it("registers a fake GPU node outside kwok's selector, Ready, with heartbeats and a renewed Lease", async () => {
    const name = handle.nodeName;
    const node = await core().readNode({ name });
    expect(node.metadata?.labels).toMatchObject({
      'gptoss.io/dev-agent': 'true',
      'kubernetes.io/hostname': name,
      'kubernetes.io/os': 'linux',
      'nvidia.com/gpu.product': 'NVIDIA-L4',
      'nvidia.com/gpu.memory': '23034',
      'nvidia.com/gpu.count': '4',
    });
    expect(node.metadata?.labels?.type).toBeUndefined();
    expect(node.status?.capacity).toMatchObject({ 'nvidia.com/gpu': '4', cpu: '16', memory: '64Gi', pods: '32' });
    expect(node.status?.allocatable).toEqual(node.status?.capacity);
    expect(node.status?.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });
    expect(node.spec?.taints).toContainEqual(
      expect.objectContaining({ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }),
    );
    // only pods that ask for the dev agent land here, never the rest of a shared cluster's
    expect(node.spec?.taints).toContainEqual(
      expect.objectContaining({ key: 'gptoss.io/dev-agent', value: 'true', effect: 'NoSchedule' }),
    );

    // the node lifecycle controller agrees: no not-ready taint, and kubectl shows it Ready
    await waitFor(
      async () => !(await core().readNode({ name })).spec?.taints?.some((t) => t.key.startsWith('node.kubernetes.io/')),
      20_000,
      'no not-ready taint',
    );
    expect(kubectl(['get', 'node', name, '--no-headers'])).toMatch(new RegExp(`^${name}\\s+Ready\\s`));

    const coordination = clusterAccess().kc.makeApiClient(CoordinationV1Api);
    const lease = await coordination.readNamespacedLease({ namespace: 'kube-node-lease', name });
    expect(lease.spec?.holderIdentity).toBe(name);
    expect(lease.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Node', name, uid: node.metadata?.uid });
    const renewed = new Date(lease.spec!.renewTime!).getTime();
    const heartbeat = new Date((await readyStatus(name))!.lastHeartbeatTime!).getTime();
    await waitFor(
      async () =>
        new Date(
          (await coordination.readNamespacedLease({ namespace: 'kube-node-lease', name })).spec!.renewTime!,
        ).getTime() > renewed,
      10_000,
      'the Lease renewed',
    );
    await waitFor(
      async () => new Date((await readyStatus(name))!.lastHeartbeatTime!).getTime() > heartbeat,
      10_000,
      'a newer heartbeat',
    );
  });

  it('refuses a node name that belongs to a node it does not own, changing nothing', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'gptoss-agent-refused-'));
    const before = await core().readNode({ name: 'gpu-h100-0' });
    await expect(
      startAgent({ kubeconfig: clusterAccess().kubeconfig, nodeName: 'gpu-h100-0', stateDir, log: quiet }),
    ).rejects.toThrow(
      'Node gpu-h100-0 already exists and is not a dev-agent node (no label gptoss.io/dev-agent=true): ' +
        'choose another node name',
    );
    const after = await core().readNode({ name: 'gpu-h100-0' });
    expect(after.metadata?.labels).toEqual(before.metadata?.labels);
    expect(existsSync(join(stateDir, 'agent.pid'))).toBe(false);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('rejects bad settings before touching the cluster', async () => {
    await expect(
      startAgent({ kubeconfig: clusterAccess().kubeconfig, nodeName: 'x', podSubnet: '10.0.0.0/16', log: quiet }),
    ).rejects.toThrow('agent config podSubnet must be a CIDR inside 127.0.0.0/8');
    await expect(core().readNode({ name: 'x' })).rejects.toMatchObject({ code: 404 });
  });

  it('leaves its node NotReady when it stops, and a new agent takes the node over', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'gptoss-agent-takeover-'));
    const name = `${handle.nodeName}-kept`;
    const options = { kubeconfig: clusterAccess().kubeconfig, nodeName: name, stateDir, log: quiet };
    const first = await startAgent(options);
    await expect(startAgent(options)).rejects.toThrow(`another dev agent (pid ${process.pid}) uses ${stateDir}`);
    await first.stop();
    expect(await readyStatus(name)).toMatchObject({ status: 'False', reason: 'AgentStopped' });

    const second = await startAgent({ ...options, deleteNodeOnStop: true });
    expect(await readyStatus(name)).toMatchObject({ status: 'True', reason: 'KubeletReady' });
    await second.stop();
    await expect(core().readNode({ name })).rejects.toMatchObject({ code: 404 });
    rmSync(stateDir, { recursive: true, force: true });
  });
});

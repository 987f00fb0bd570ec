import { CoreV1Api } from '@kubernetes/client-node';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_POLICY } from '../helpers/operator.js';
import { Executor } from '../../operator/controller/executor.js';
import { ModelReconciler } from '../../operator/controller/reconciler.js';
import { DEFAULT_CATALOGUE } from '../../operator/planner/gpuClasses.js';
import { PACKAGE_ROOT } from '../../contract/paths.js';
import { CRD_FILE } from '../../scripts/genCrd.js';
import { clusterAccess, ensureCrd, kubectl, useNamespace, waitFor } from '../helpers/cluster.js';

const EXAMPLES = join(PACKAGE_ROOT, 'deploy', 'examples');

/** kubectl apply of deploy/examples, one reconcile each, and the real scheduler places the runtime pods. */
describe('deploy/examples on the real control plane', () => {
  const ns = useNamespace('examples');
  beforeAll(() => ensureCrd(CRD_FILE));
  afterAll(() => {
    kubectl(['delete', 'pv', '-l', `gptoss.io/test-namespace=${ns.name}`, '--wait=false']);
    kubectl(['delete', 'storageclass', 'nfs-client', '--ignore-not-found']);
  });
  const config = {
    runtimeImage: 'runtime:test',
    loadMiBPerSecond: 500,
    catalogue: DEFAULT_CATALOGUE,
    policy: TEST_POLICY,
  };

  it.each([
    ['gpt-oss-20b', 'gpt-oss-20b-weights', 2],
    ['gpt-oss-120b', 'gpt-oss-120b-weights', 1],
  ] as const)('%s: pods land on GPUs with enough memory', async (name, claim, replicas) => {
    // the test bed has no provisioner: a static volume stands in for the weights
    kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: `${ns.name}-${claim}`, labels: { 'gptoss.io/test-namespace': ns.name } },
        spec: {
          capacity: { storage: '64Gi' },
          accessModes: ['ReadOnlyMany'],
          hostPath: { path: `/weights/${claim}` },
          claimRef: { namespace: ns.name, name: claim },
        },
      }),
    );
    kubectl(['apply', '-n', ns.name, '-f', join(EXAMPLES, `${name}.yaml`)]);
    const outcome = await new ModelReconciler({
      executor: new Executor(clusterAccess().client),
      settings: config,
      now: () => new Date(),
    }).reconcile({ namespace: ns.name, name });
    const need = outcome.status!.placement!.memoryMiB!.total;
    const core = clusterAccess().kc.makeApiClient(CoreV1Api);
    await waitFor(
      async () => {
        const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: `gptoss.io/model=${name}` });
        return pods.items.length === replicas && pods.items.every((p) => p.status?.phase === 'Running');
      },
      60_000,
      `${replicas} running ${name} pods`,
    );
    const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: `gptoss.io/model=${name}` });
    for (const pod of pods.items) {
      const node = await core.readNode({ name: pod.spec!.nodeName! });
      const l = node.metadata!.labels!;
      const memory = Number(
        l['nvidia.com/gpu.memory'] ??
          l['karpenter.k8s.aws/instance-gpu-memory'] ??
          DEFAULT_CATALOGUE[l['cloud.google.com/gke-accelerator'] ?? '']?.memoryMiB,
      );
      expect(memory, `${pod.metadata!.name} on ${node.metadata!.name}`).toBeGreaterThanOrEqual(need);
    }
  });

  it('shared-weight-cache: the claim and the download Job are made, the pods wait, adapters are sized', async () => {
    // the class the example names, of a shared file system; nothing provisions it here, so the claim stays Pending
    kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: 'nfs-client' },
        provisioner: 'nfs.csi.k8s.io',
      }),
    );
    kubectl(['apply', '-n', ns.name, '-f', join(EXAMPLES, 'shared-weight-cache.yaml')]);
    const outcome = await new ModelReconciler({
      executor: new Executor(clusterAccess().client),
      settings: config,
      now: () => new Date(),
    }).reconcile({ namespace: ns.name, name: 'shared-weight-cache' });
    expect(outcome.applied).toEqual(
      expect.arrayContaining(['PersistentVolumeClaim/shared-weight-cache-weights', 'Deployment/shared-weight-cache']),
    );
    expect(outcome.applied.some((a) => /^Job\/shared-weight-cache-weights-[0-9a-f]{10}$/.test(a))).toBe(true);
    expect(outcome.status!.placement!.memoryMiB!.adapters).toBeGreaterThan(64 + 128);
    const progressing = outcome.status!.conditions!.find((c) => c.type === 'Progressing')!;
    expect(`${progressing.reason}: ${progressing.message}`).toBe(
      'WaitingForWeightCache: claim shared-weight-cache-weights is Pending: the download starts once it is bound',
    );
    const claim = await clusterAccess()
      .kc.makeApiClient(CoreV1Api)
      .readNamespacedPersistentVolumeClaim({ namespace: ns.name, name: 'shared-weight-cache-weights' });
    expect(claim.spec?.accessModes).toEqual(['ReadWriteMany']);
    kubectl(['delete', 'gom', 'shared-weight-cache', '-n', ns.name, '--wait=false']);
  });
});

import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { Executor } from '../../operator/controller/executor.js';
import { reconcileModel } from '../../operator/controller/reconcile.js';
import { DEFAULT_CATALOGUE } from '../../operator/planner/gpuClasses.js';
import { CRD_FILE } from '../../scripts/genCrd.js';
import { clusterAccess, ensureCrd, kubectl, useNamespace, waitFor } from '../helpers/cluster.js';

/** One reconcile at a time, driven by the test, against the real control plane (the operator process comes later). */
describe('reconcileModel on the real control plane', () => {
  const ns = useNamespace('reconcile');
  beforeAll(() => ensureCrd(CRD_FILE));
  const config = { runtimeImage: 'runtime:test', loadMiBPerSecond: 500, catalogue: DEFAULT_CATALOGUE };
  let clock = new Date('2026-11-28T12:00:00Z');
  const reconcile = () => reconcileModel({ namespace: ns.name, name: 'chat' }, new Executor(clusterAccess().kc), config, () => clock);
  const apps = () => clusterAccess().kc.makeApiClient(AppsV1Api);
  const core = () => clusterAccess().kc.makeApiClient(CoreV1Api);
  const conditions = (status: Awaited<ReturnType<typeof reconcile>>['status']) =>
    Object.fromEntries((status?.conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]));

  it('applies the children, places pods on GPUs that fit (falling back to bigger ones), reports status, scales to zero, and cleans up by GC', async () => {
    kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'gptoss.io/v1alpha1', kind: 'GptOssModel', metadata: { name: 'chat', namespace: ns.name },
      spec: { variant: 'gpt-oss-20b', replicas: 2, source: { hostPath: { path: '/models/gpt-oss-20b.gguf' } } } }));

    const first = await reconcile();
    expect(first.applied).toEqual(['Deployment/chat', 'Service/chat', 'Service/chat-grpc', 'PodDisruptionBudget/chat']);
    expect(first.statusWritten).toBe(true);
    expect(conditions(first.status)).toMatchObject({ Placed: 'True/Placed' });
    expect(first.status?.placement).toMatchObject({ gpuClass: 'Tesla-T4', gpusPerReplica: 1 });
    const events = await core().listNamespacedEvent({ namespace: ns.name, fieldSelector: 'involvedObject.kind=GptOssModel,involvedObject.name=chat' });
    // one event per condition that got its first status; how far the rollout got by then varies
    expect(events.items).toHaveLength(4);
    expect(events.items.every((e) => e.type === 'Normal')).toBe(true);
    expect(events.items.map((e) => e.reason)).toEqual(expect.arrayContaining(['Placed', 'Healthy']));
    expect(events.items.find((e) => e.reason === 'Placed')?.message).toMatch(/^1 x Tesla-T4 \(15360 MiB\) per replica/);

    await waitFor(async () => (await apps().readNamespacedDeployment({ namespace: ns.name, name: 'chat' })).status?.readyReplicas === 2, 60_000, 'two ready runtime pods');
    const pods = await core().listNamespacedPod({ namespace: ns.name, labelSelector: 'gptoss.io/model=chat' });
    const nodes = pods.items.map((p) => p.spec!.nodeName!).sort();
    // the one T4 takes one replica; the other falls back to a bigger GPU, never to a CPU node or a too-small one
    expect(nodes).toContain('gpu-t4-0');
    expect(nodes.every((n) => n.startsWith('gpu-'))).toBe(true);

    clock = new Date('2026-11-28T12:01:00Z');
    const ready = await reconcile();
    expect(conditions(ready.status)).toMatchObject({ Ready: 'True/Ready', Progressing: 'False/Stable', Degraded: 'False/Healthy' });
    const model = JSON.parse(kubectl(['get', 'gom', 'chat', '-n', ns.name, '-o', 'json'])) as { status: { readyReplicas: number; observedGeneration: number } };
    expect(model.status).toMatchObject({ readyReplicas: 2, observedGeneration: 1 });

    clock = new Date('2026-11-28T12:02:00Z');
    expect((await reconcile()).statusWritten).toBe(false); // nothing changed: no write

    kubectl(['scale', 'gom', 'chat', '-n', ns.name, '--replicas=0']);
    const scaled = await reconcile();
    expect(conditions(scaled.status)).toMatchObject({ Ready: 'False/ScaledToZero' });
    expect((await apps().readNamespacedDeployment({ namespace: ns.name, name: 'chat' })).spec?.replicas).toBe(0);

    kubectl(['delete', 'gom', 'chat', '-n', ns.name, '--wait=false']);
    await waitFor(async () => apps().readNamespacedDeployment({ namespace: ns.name, name: 'chat' }).then(() => false, () => true), 60_000, 'the Deployment to be garbage collected');
    expect((await reconcile()).status).toBeNull();
  });

  it('a model nothing can hold gets Placed=False NoFittingGPU, a Warning event and no Deployment', async () => {
    kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'gptoss.io/v1alpha1', kind: 'GptOssModel', metadata: { name: 'huge', namespace: ns.name },
      spec: { variant: 'gpt-oss-120b', contextSize: 131072, parallelSlots: 256, source: { hostPath: { path: '/models/gpt-oss-120b.gguf' } } } }));
    const outcome = await reconcileModel({ namespace: ns.name, name: 'huge' }, new Executor(clusterAccess().kc), config, () => clock);
    expect(outcome.applied).toEqual([]);
    expect(conditions(outcome.status)).toMatchObject({ Placed: 'False/NoFittingGPU', Ready: 'False/NoReplicaReady' });
    await expect(apps().readNamespacedDeployment({ namespace: ns.name, name: 'huge' })).rejects.toMatchObject({ code: 404 });
    const events = await core().listNamespacedEvent({ namespace: ns.name, fieldSelector: 'involvedObject.name=huge,reason=NoFittingGPU' });
    expect(events.items).toHaveLength(1);
    expect(events.items[0]).toMatchObject({ type: 'Warning' });
    expect(events.items[0]!.message).toMatch(/needs 1304263 MiB .* the largest GPU seen is h200 with 143771 MiB \(8 per node\)$/);
  });
});

import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelManifest, TEST_POLICY } from '../../helpers/operator.js';
import { Executor } from '../../../operator/controller/executor.js';
import { ModelReconciler } from '../../../operator/controller/reconciler.js';
import { gptOssModelSpec } from '../../../operator/api/v1alpha1/schema.js';
import { DEFAULT_CATALOGUE, gpuClasses } from '../../../operator/planner/gpuClasses.js';
import { planPlacement } from '../../../operator/planner/placement.js';
import { CRD_FILE } from '../../../scripts/genCrd.js';
import { clusterAccess, ensureCrd, kubectl, useNamespace, waitFor } from '../../helpers/cluster.js';

/** One reconcile at a time, driven by the test, against the real control plane (the operator process comes later). */
describe('ModelReconciler on the real control plane', () => {
  const ns = useNamespace('reconcile');
  beforeAll(() => ensureCrd(CRD_FILE));
  const config = {
    runtimeImage: 'runtime:test',
    loadMiBPerSecond: 500,
    catalogue: DEFAULT_CATALOGUE,
    policy: TEST_POLICY,
  };
  let clock = new Date('2026-11-28T12:00:00Z');
  const reconcile = (name = 'chat') =>
    new ModelReconciler({
      executor: new Executor(clusterAccess().client),
      settings: config,
      now: () => clock,
    }).reconcile({ namespace: ns.name, name });
  const apps = () => clusterAccess().kc.makeApiClient(AppsV1Api);
  const core = () => clusterAccess().kc.makeApiClient(CoreV1Api);
  const conditions = (status: Awaited<ReturnType<typeof reconcile>>['status']) =>
    Object.fromEntries((status?.conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]));

  // pods fall back to bigger GPUs; deletion cleans up by garbage collection
  it('applies the children, places pods on GPUs that fit, reports status, scales to zero, cleans up', async () => {
    kubectl(['apply', '-f', '-'], modelManifest(ns.name, 'chat', { replicas: 2 }));

    const first = await reconcile();
    expect(first.applied).toEqual(['Deployment/chat', 'Service/chat', 'Service/chat-grpc', 'PodDisruptionBudget/chat']);
    expect(first.statusWritten).toBe(true);
    expect(conditions(first.status)).toMatchObject({ Placed: 'True/Placed' });
    expect(first.status?.placement).toMatchObject({ gpuClass: 'Tesla-T4', gpusPerReplica: 1 });
    const events = await core().listNamespacedEvent({
      namespace: ns.name,
      fieldSelector: 'involvedObject.kind=GptOssModel,involvedObject.name=chat',
    });
    // one event per condition that got its first status; how far the rollout got by then varies
    expect(events.items).toHaveLength(4);
    expect(events.items.every((e) => e.type === 'Normal')).toBe(true);
    expect(events.items.map((e) => e.reason)).toEqual(expect.arrayContaining(['Placed', 'Healthy']));
    expect(events.items.find((e) => e.reason === 'Placed')?.message).toMatch(/^1 x Tesla-T4 \(15360 MiB\) per replica/);

    await waitFor(
      async () =>
        (await apps().readNamespacedDeployment({ namespace: ns.name, name: 'chat' })).status?.readyReplicas === 2,
      60_000,
      'two ready runtime pods',
    );
    const pods = await core().listNamespacedPod({ namespace: ns.name, labelSelector: 'gptoss.io/model=chat' });
    const nodes = pods.items.map((p) => p.spec!.nodeName!).sort();
    // the one T4 (preferred) holds one replica at most (other test files may hold it now); the rest falls
    // back to bigger GPUs, never to a CPU node or a too-small one
    expect(nodes.filter((n) => n !== 'gpu-t4-0').length).toBeGreaterThanOrEqual(1);
    expect(nodes.filter((n) => n === 'gpu-t4-0').length).toBeLessThanOrEqual(1);
    expect(nodes.every((n) => n.startsWith('gpu-'))).toBe(true);

    clock = new Date('2026-11-28T12:01:00Z');
    const ready = await reconcile();
    expect(conditions(ready.status)).toMatchObject({
      Ready: 'True/Ready',
      Progressing: 'False/Stable',
      Degraded: 'False/Healthy',
    });
    const model = JSON.parse(kubectl(['get', 'gom', 'chat', '-n', ns.name, '-o', 'json'])) as {
      status: { readyReplicas: number; observedGeneration: number };
    };
    expect(model.status).toMatchObject({ readyReplicas: 2, observedGeneration: 1 });

    clock = new Date('2026-11-28T12:02:00Z');
    expect((await reconcile()).statusWritten).toBe(false); // nothing changed: no write

    kubectl(['scale', 'gom', 'chat', '-n', ns.name, '--replicas=0']);
    const scaled = await reconcile();
    expect(conditions(scaled.status)).toMatchObject({ Ready: 'False/ScaledToZero' });
    expect((await apps().readNamespacedDeployment({ namespace: ns.name, name: 'chat' })).spec?.replicas).toBe(0);

    kubectl(['delete', 'gom', 'chat', '-n', ns.name, '--wait=false']);
    await waitFor(
      async () =>
        apps()
          .readNamespacedDeployment({ namespace: ns.name, name: 'chat' })
          .then(
            () => false,
            () => true,
          ),
      60_000,
      'the Deployment to be garbage collected',
    );
    expect((await reconcile()).status).toBeNull();
  });

  it('prunes a PodDisruptionBudget only when it is there and the model controls it, and only that object', async () => {
    const budget = (name: string) =>
      JSON.stringify({
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name, namespace: ns.name },
        spec: { maxUnavailable: 1, selector: { matchLabels: { app: name } } },
      });
    const budgetUid = () => kubectl(['get', 'pdb', 'solo', '-n', ns.name, '-o', 'jsonpath={.metadata.uid}']);
    kubectl(['apply', '-f', '-'], budget('solo'));
    const handMade = budgetUid();
    kubectl(['apply', '-f', '-'], modelManifest(ns.name, 'solo', { replicas: 1 }));
    // one replica wants no budget, but the one under its name is someone else's: it stays
    expect((await reconcile('solo')).applied).toEqual(['Deployment/solo', 'Service/solo', 'Service/solo-grpc']);
    expect(budgetUid()).toBe(handMade);

    // two replicas: the operator applies its budget over it (force), which makes the model its controller (each
    // reconcile here has a new executor, which applies every child again)
    kubectl(['scale', 'gom', 'solo', '-n', ns.name, '--replicas=2']);
    expect((await reconcile('solo')).applied).toContain('PodDisruptionBudget/solo');
    // a delete with a uid that is not the budget's deletes nothing
    const executor = new Executor(clusterAccess().client);
    const ref = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', namespace: ns.name, name: 'solo' };
    expect(await executor.deleteIfPresent({ ...ref, uid: '00000000-0000-4000-8000-000000000000' })).toBe(false);
    expect(budgetUid()).toBe(handMade);
    expect(await executor.findOwnedChild(ref, 'another-model-uid')).toBeNull();

    // back to one replica: now the model's own, it goes
    kubectl(['scale', 'gom', 'solo', '-n', ns.name, '--replicas=1']);
    expect((await reconcile('solo')).applied).toContain('-PodDisruptionBudget/solo');
    expect(kubectl(['get', 'pdb', '-n', ns.name, '-o', 'name'])).not.toContain('/solo');
    expect(await executor.findOwnedChild(ref, 'another-model-uid')).toBeNull();
  });

  it('a model nothing can hold gets Placed=False NoFittingGPU, a Warning event and no Deployment', async () => {
    kubectl(
      ['apply', '-f', '-'],
      modelManifest(ns.name, 'huge', {
        variant: 'gpt-oss-120b',
        contextSize: 131072,
        parallelSlots: 256,
        source: { hostPath: { path: '/models/gpt-oss-120b.gguf' } },
      }),
    );
    const outcome = await reconcile('huge');
    expect(outcome.applied).toEqual([]);
    expect(conditions(outcome.status)).toMatchObject({ Placed: 'False/NoFittingGPU', Ready: 'False/NoReplicaReady' });
    await expect(apps().readNamespacedDeployment({ namespace: ns.name, name: 'huge' })).rejects.toMatchObject({
      code: 404,
    });
    const events = await core().listNamespacedEvent({
      namespace: ns.name,
      fieldSelector: 'involvedObject.name=huge,reason=NoFittingGPU',
    });
    expect(events.items).toHaveLength(1);
    expect(events.items[0]).toMatchObject({ type: 'Warning' });
    expect(events.items[0]!.message).toMatch(
      /needs 1304263 MiB .* the largest GPU seen is h200 with 143771 MiB \(8 per node\)$/,
    );
  });

  // a spec that no longer fits keeps the serving Deployment and says Degraded
  it('placement is sticky: a smaller GPU class joining does not move replicas', async () => {
    // needs about 13.1 GiB: only this model fits the 13,500 MiB GPU added below, so other tests never see it as a
    // candidate
    kubectl(['apply', '-f', '-'], modelManifest(ns.name, 'sticky', { contextSize: 1024, parallelSlots: 1 }));
    const first = await reconcile('sticky');
    expect(first.status?.placement).toMatchObject({ gpuClass: 'Tesla-T4' });
    const generation = (await apps().readNamespacedDeployment({ namespace: ns.name, name: 'sticky' })).metadata
      ?.generation;

    const node = `gpu-small-${ns.name}`;
    await core().createNode({
      body: {
        metadata: {
          name: node,
          labels: {
            type: 'kwok',
            'nvidia.com/gpu.product': 'NVIDIA-A2',
            'nvidia.com/gpu.memory': '13500',
            'nvidia.com/gpu.count': '1',
          },
          annotations: { 'kwok.x-k8s.io/node': 'fake' },
        },
        spec: { taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }] },
      },
    });
    try {
      await core().patchNodeStatus(
        {
          name: node,
          body: {
            status: {
              allocatable: { cpu: '4', memory: '16Gi', pods: '110', 'nvidia.com/gpu': '1' },
              capacity: { cpu: '4', memory: '16Gi', pods: '110', 'nvidia.com/gpu': '1' },
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      // a fresh plan would take the smaller A2 now; the recorded one stays
      const spec = gptOssModelSpec.parse({
        variant: 'gpt-oss-20b',
        contextSize: 1024,
        parallelSlots: 1,
        source: { hostPath: { path: '/m' } },
      });
      const planNow = async () =>
        planPlacement(spec, gpuClasses(await new Executor(clusterAccess().client).listNodes()), config);
      const fresh = await planNow();
      expect(fresh.placed && fresh.gpuClass).toBe('NVIDIA-A2');
      const later = await reconcile('sticky');
      const after = await planNow();
      // the A2 counts as a fitting node while the placement stays on T4; other files' dev agents may join or leave
      // the shared cluster meanwhile, so the count is bounded by the plans read just before and just after
      const counts = [fresh, after].map((p) => (p.placed ? p.fittingNodes : 0));
      expect(later.status?.placement?.gpuClass).toBe('Tesla-T4');
      expect(later.status?.placement?.fittingNodes).toBeGreaterThanOrEqual(Math.min(...counts));
      expect(later.status?.placement?.fittingNodes).toBeLessThanOrEqual(Math.max(...counts));
      expect((await apps().readNamespacedDeployment({ namespace: ns.name, name: 'sticky' })).metadata?.generation).toBe(
        generation,
      );
    } finally {
      await core().deleteNode({ name: node });
    }

    // only T4s allowed, at a context no T4 holds: nothing fits, but the running Deployment is not taken away
    kubectl([
      'patch',
      'gom',
      'sticky',
      '-n',
      ns.name,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { contextSize: 131072, gpu: { products: ['Tesla-T4'] } } }),
    ]);
    const unplaceable = await reconcile('sticky');
    expect(conditions(unplaceable.status)).toMatchObject({ Placed: 'False/NoFittingGPU', Degraded: 'True/NotPlaced' });
    const kept = await apps().readNamespacedDeployment({ namespace: ns.name, name: 'sticky' });
    expect(kept.metadata?.generation).toBe(generation);
    expect(kept.spec?.template.spec?.containers[0]?.args).toContain('1024');
    const warnings = await core().listNamespacedEvent({
      namespace: ns.name,
      fieldSelector: 'involvedObject.kind=GptOssModel,involvedObject.name=sticky,type=Warning',
    });
    expect(warnings.items.map((e) => e.reason).sort()).toEqual(['NoFittingGPU', 'NotPlaced']);
  });
});

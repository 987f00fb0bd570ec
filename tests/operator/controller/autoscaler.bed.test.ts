import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  makeInformer,
  type KubernetesListObject,
  type KubernetesObject,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP, PLURAL, VERSION, type GptOssModel } from '../../../operator/api/v1alpha1/gptOssModel.js';
import { Autoscaler } from '../../../operator/controller/autoscaler.js';
import { Executor } from '../../../operator/controller/executor.js';
import { InformerSupervisor } from '../../../contract/kube/informerSupervisor.js';
import { ModelReconciler } from '../../../operator/controller/reconciler.js';
import { isReadyPod, scrapeUtilization, utilizationFrom } from '../../../operator/controller/utilization.js';
import { DEFAULT_CATALOGUE } from '../../../operator/planner/gpuClasses.js';
import { EngineRef } from '../../../runtime/engine/engineRef.js';
import { createLogger } from '../../../contract/log.js';
import { RuntimeMetrics } from '../../../runtime/metrics.js';
import { CRD_FILE } from '../../../scripts/genCrd.js';
import { clusterAccess, ensureCrd, eventsAbout, kubectl, useNamespace, waitFor } from '../../helpers/cluster.js';
import { FakeRuntimeEndpoints } from '../../helpers/fakeMetrics.js';
import { FakeScheduler } from '../../helpers/fakeScheduler.js';
import { startHostilePod } from '../../helpers/hostilePod.js';
import { converged, readModel, startOperatorProcess, TEST_POLICY } from '../../helpers/operator.js';

const INTERVAL_MS = 15_000;
const SLOTS = 4;

describe('scraping gptoss_runtime_utilization (fake metrics endpoints on 127.0.0.x)', () => {
  it("reads the gauge from the runtime's own exposition, and nothing from a bad one", async () => {
    const metrics = new RuntimeMetrics(new EngineRef(), SLOTS); // no engine loaded: utilisation 0
    expect(utilizationFrom(await metrics.registry.metrics())).toBe(0);
    expect(utilizationFrom('# TYPE gptoss_runtime_utilization gauge\ngptoss_runtime_utilization 1.75\n')).toBe(1.75);
    for (const bad of [
      '',
      '<html>busy</html>',
      'gptoss_runtime_utilization{a="b" 1\n',
      'gptoss_runtime_utilization NaN\n',
      'gptoss_runtime_utilization -1\n',
      'other_metric 3\n',
    ]) {
      expect(utilizationFrom(bad), bad).toBeNull();
    }
  });

  it('a pod that answers too much, or no gauge, gives no value and says why', async () => {
    const [huge, garbage] = await Promise.all([
      startHostilePod(`gptoss_runtime_utilization 1\n${'# padding\n'.repeat(30_000)}`),
      startHostilePod('<html>busy</html>'),
    ]);
    try {
      expect(await scrapeUtilization(new URL(huge.url).host, 1000)).toEqual({
        problem: 'answered more than 262144 bytes',
      });
      expect(await scrapeUtilization(new URL(garbage.url).host, 1000)).toEqual({
        problem: 'answered no valid gptoss_runtime_utilization',
      });
    } finally {
      await Promise.all([huge.close(), garbage.close()]);
    }
  });

  it('a pod that errs, hangs past the timeout or is not listening gives no value', async () => {
    const server = createServer((_req, res) => void res.writeHead(500).end());
    server.listen(0, '127.0.0.21');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const hanging = createServer(() => undefined);
    hanging.listen(0, '127.0.0.22');
    await once(hanging, 'listening');
    try {
      const started = Date.now();
      expect(await scrapeUtilization(`127.0.0.21:${port}`, 1000)).toEqual({ problem: 'answered HTTP 500' });
      expect(await scrapeUtilization(`127.0.0.22:${(hanging.address() as AddressInfo).port}`, 200)).toEqual({
        problem: 'no complete answer within 200 ms',
      });
      expect(Date.now() - started).toBeLessThan(5000); // the timeout ended the wait, not the test's
      expect(await scrapeUtilization(`127.0.0.23:${port}`, 1000)).toEqual({ problem: 'did not answer: ECONNREFUSED' });
    } finally {
      for (const s of [server, hanging]) s.closeAllConnections();
      await Promise.all([server, hanging].map((s) => new Promise((r) => s.close(r))));
    }
  });
});

/**
 * The controller against the real API server: real models, the real scale subresource, real
 * Deployments and kwok's pods (ready, with IPs); only the utilisation comes from fake metrics
 * endpoints on 127.0.0.x that stand in for the runtime pods. Intervals are counted by calling
 * tick() with the injected clock advanced by one interval, never by sleeping.
 */
describe('the builtin autoscaler on the real control plane (fake metrics endpoints for the pods)', () => {
  const ns = useNamespace('autoscaler');
  const { kc, client } = clusterAccess();
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const executor = new Executor(client);
  const config = {
    runtimeImage: 'runtime:test',
    loadMiBPerSecond: 500,
    catalogue: DEFAULT_CATALOGUE,
    policy: TEST_POLICY,
  };
  const settings = {
    intervalSeconds: INTERVAL_MS / 1000,
    scrapeTimeoutMs: 1000,
    tolerance: 0.1,
    gateways: [] as string[],
  };
  const log = createLogger(process.env.GPTOSS_TEST_LOG ?? 'error');
  let clock = new Date('2026-11-28T12:00:00Z');
  const enqueued: string[] = [];

  const models = makeInformer<GptOssModel & KubernetesObject>(
    kc,
    `/apis/${GROUP}/${VERSION}/namespaces/${ns.name}/${PLURAL}`,
    () =>
      custom.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns.name,
        plural: PLURAL,
      }) as Promise<KubernetesListObject<GptOssModel & KubernetesObject>>,
  );
  const pods = makeInformer<V1Pod>(kc, `/api/v1/namespaces/${ns.name}/pods`, () =>
    core.listNamespacedPod({ namespace: ns.name }),
  );
  // supervised as in the operator: a watch that fails (the CRD just established) is restarted
  const supervisors = (
    [
      ['gptossmodels', models],
      ['pods', pods],
    ] as const
  ).map(
    ([name, informer]) =>
      new InformerSupervisor({
        informer: informer,
        name,
        log,
        options: { stallMs: 600_000, backoffBaseMs: 100, backoffMaxMs: 1000 },
      }),
  );
  const readyPods = (model: string) =>
    pods.list(ns.name).filter((p) => p.metadata?.labels?.['gptoss.io/model'] === model && isReadyPod(p));
  let endpoints: FakeRuntimeEndpoints;
  const newAutoscaler = (extra: Partial<ConstructorParameters<typeof Autoscaler>[0]> = {}) =>
    new Autoscaler({
      settings,
      models,
      pods,
      api: executor,
      log,
      enqueue: (key) => enqueued.push(key),
      podAddress: endpoints.podAddress,
      now: () => clock,
      ...extra,
    });
  let autoscaler: Autoscaler;
  /** One interval: the clock moves on, the loop decides. */
  const interval = async () => {
    clock = new Date(clock.getTime() + INTERVAL_MS);
    await autoscaler.tick();
  };
  const reconcile = (name: string, leader = autoscaler) =>
    new ModelReconciler({
      executor,
      settings: config,
      now: () => clock,
      autoscaling: (key) => leader.status(key.namespace, key.name),
    }).reconcile({ namespace: ns.name, name });
  const specReplicas = (name: string) =>
    Number(kubectl(['get', 'gom', name, '-n', ns.name, '-o', 'jsonpath={.spec.replicas}']));
  const events = async (name: string, reason: string) =>
    (
      await core.listNamespacedEvent({
        namespace: ns.name,
        fieldSelector: `involvedObject.name=${name},reason=${reason}`,
      })
    ).items;
  const model = (name: string, replicas: number, autoscaling: Record<string, unknown>) =>
    kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'gptoss.io/v1alpha1',
        kind: 'GptOssModel',
        metadata: { name, namespace: ns.name },
        spec: {
          variant: 'gpt-oss-20b',
          replicas,
          parallelSlots: SLOTS,
          source: { hostPath: { path: '/models/gpt-oss-20b.gguf' } },
          autoscaling,
        },
      }),
    );
  const replicasFollow = async (name: string, replicas: number) => {
    await reconcile(name);
    expect((await apps.readNamespacedDeployment({ namespace: ns.name, name })).spec?.replicas).toBe(replicas);
    await waitFor(
      () =>
        readyPods(name).length === replicas &&
        pods.list(ns.name).filter((p) => p.metadata?.labels?.['gptoss.io/model'] === name).length === replicas,
      60_000,
      `${replicas} ready pods of ${name}`,
    );
  };

  beforeAll(async () => {
    ensureCrd(CRD_FILE);
    endpoints = await FakeRuntimeEndpoints.start(8, SLOTS, () => readyPods('chat').length);
    await Promise.all(supervisors.map((s) => s.start()));
    autoscaler = newAutoscaler();
    // chat: builtin, 1..3 replicas, 2 requests per replica (target 0.5 of 4 slots); window 30 s, delay 60 s
    model('chat', 1, {
      mode: 'builtin',
      minReplicas: 1,
      maxReplicas: 3,
      targetUtilization: 0.5,
      scaleDownDelaySeconds: 60,
      stabilizationWindowSeconds: 30,
    });
    // manual: replicas belong to HPA or KEDA; the operator never touches them
    model('manual', 1, { mode: 'external', minReplicas: 1, maxReplicas: 3 });
    await waitFor(() => models.list(ns.name).length === 2, 10_000, 'the models in the informer cache');
    await reconcile('manual');
    await replicasFollow('chat', 1);
  });
  afterAll(async () => {
    await autoscaler?.stop();
    await Promise.all(supervisors.map((s) => s.stop()));
    await endpoints?.close();
  });

  it('scales up under load within one interval, through the scale subresource, with an Event and status', async () => {
    endpoints.requests = 1;
    await autoscaler.tick();
    expect(autoscaler.status(ns.name, 'chat')?.lastDecision).toMatchObject({ reason: 'Steady' });
    expect(specReplicas('chat')).toBe(1);

    const [firstPod] = readyPods('chat').map((p) => p.metadata!.name!);
    endpoints.requests = 6; // one pod: 4 busy, 2 waiting: utilisation 1.5
    await interval();
    expect(specReplicas('chat')).toBe(3);
    const scale = JSON.parse(
      kubectl(['get', '--raw', `/apis/${GROUP}/${VERSION}/namespaces/${ns.name}/${PLURAL}/chat/scale`]),
    ) as { spec: { replicas: number } };
    expect(scale.spec.replicas).toBe(3);
    const fields = JSON.parse(
      kubectl(['get', 'gom', 'chat', '-n', ns.name, '--show-managed-fields', '-o', 'json']),
    ) as {
      metadata: {
        managedFields: Array<{
          manager: string;
          subresource?: string;
          fieldsV1: { 'f:spec'?: Record<string, unknown> };
        }>;
      };
    };
    expect(fields.metadata.managedFields.find((f) => f.subresource === 'scale')).toMatchObject({
      manager: 'gptoss-operator',
      fieldsV1: { 'f:spec': { 'f:replicas': {} } },
    });
    const scaledUp = await events('chat', 'ScaledUp');
    expect(scaledUp).toHaveLength(1);
    expect(scaledUp[0]).toMatchObject({
      type: 'Normal',
      message: 'utilisation 1.50 over 1 pod(s), target 0.5 per replica: 1 -> 3 replicas',
    });

    // the decision reaches status through a reconcile (status's one writer), and the Deployment follows
    expect(enqueued).toContain(`${ns.name}/chat`);
    await replicasFollow('chat', 3);
    // scaling rolls nothing: the first pod serves on, from the one ReplicaSet
    expect(readyPods('chat').map((p) => p.metadata!.name)).toContain(firstPod);
    expect(
      kubectl(['get', 'rs', '-n', ns.name, '-l', 'gptoss.io/model=chat', '-o', 'name']).trim().split('\n'),
    ).toHaveLength(1);
    const status = JSON.parse(
      kubectl(['get', 'gom', 'chat', '-n', ns.name, '-o', 'jsonpath={.status.autoscaling}']),
    ) as Record<string, unknown>;
    expect(status).toEqual({
      desiredReplicas: 3,
      utilization: 1.5,
      sampledPods: 1,
      lastScaleTime: '2026-11-28T12:00:15Z',
      lastDecision: {
        reason: 'ScaledUp',
        message: 'utilisation 1.50 over 1 pod(s), target 0.5 per replica: 1 -> 3 replicas',
        time: '2026-11-28T12:00:15Z',
      },
    });
    // the external model: untouched, no autoscaling status
    expect(specReplicas('manual')).toBe(1);
    expect(kubectl(['get', 'gom', 'manual', '-n', ns.name, '-o', 'jsonpath={.status.autoscaling}'])).toBe('');
  });

  it('never goes above maxReplicas however high the load', async () => {
    endpoints.requests = 20; // sum 5.0: 10 replicas at target 0.5
    await interval();
    expect(specReplicas('chat')).toBe(3);
    expect(autoscaler.status(ns.name, 'chat')?.lastDecision).toMatchObject({
      reason: 'ScalingLimited',
      message: expect.stringMatching(/10 replicas wanted, held at maxReplicas 3$/),
    });
  });

  // the window is 30 s, the delay since the scale-up 60 s; never below minReplicas
  it('after the load stops, scales down only once the window and the delay have passed', async () => {
    endpoints.requests = 0;
    const reasons: string[] = [];
    const replicas: number[] = [];
    for (let i = 0; i < 6; i++) {
      await interval();
      reasons.push(autoscaler.status(ns.name, 'chat')!.lastDecision.reason);
      replicas.push(specReplicas('chat'));
    }
    // scaled up at 12:00:15, last at max 12:00:30; idle from 12:00:45: the window clears at 12:01:00, the delay at
    // 12:01:15
    expect(reasons).toEqual(['ScaleDownStabilizing', 'ScaleDownDelayed', 'ScaledDown', 'Steady', 'Steady', 'Steady']);
    expect(replicas).toEqual([3, 3, 1, 1, 1, 1]);
    const scaledDown = await events('chat', 'ScaledDown');
    expect(scaledDown.map((e) => e.message)).toEqual([
      'utilisation 0.00 over 3 pod(s), target 0.5 per replica: 3 -> 1 replicas',
    ]);
    await replicasFollow('chat', 1);
    expect(
      JSON.parse(kubectl(['get', 'gom', 'chat', '-n', ns.name, '-o', 'jsonpath={.status.autoscaling}'])),
    ).toMatchObject({
      desiredReplicas: 1,
      lastScaleTime: '2026-11-28T12:01:15Z',
      lastDecision: { reason: 'Steady' },
    });
  });

  // it scales down only after watching a full window itself
  it('a new leader keeps the written status until its first decision and scales up at once', async () => {
    const successor = newAutoscaler();
    const before = JSON.parse(
      kubectl(['get', 'gom', 'chat', '-n', ns.name, '-o', 'jsonpath={.status.autoscaling}']),
    ) as unknown;
    await reconcile('chat', successor);
    expect(JSON.parse(kubectl(['get', 'gom', 'chat', '-n', ns.name, '-o', 'jsonpath={.status.autoscaling}']))).toEqual(
      before,
    );

    autoscaler = successor;
    endpoints.requests = 4; // one pod, every slot busy: 1.0, two replicas' worth
    await interval();
    expect(specReplicas('chat')).toBe(2);
    endpoints.requests = 0;
    await interval(); // no delay memory: counted from when this leader started, like the window
    expect(autoscaler.status(ns.name, 'chat')?.lastDecision.reason).toBe('ScaleDownStabilizing');
    expect(specReplicas('chat')).toBe(2);
  });

  it('switching to mode off: the autoscaler lets go and status.autoscaling goes with the next reconcile', async () => {
    kubectl([
      'patch',
      'gom',
      'chat',
      '-n',
      ns.name,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { autoscaling: { mode: 'off' } } }),
    ]);
    await waitFor(
      () => models.get('chat', ns.name)?.spec.autoscaling?.mode === 'off',
      10_000,
      'the informer to see mode off',
    );
    endpoints.requests = 40;
    await interval();
    expect(specReplicas('chat')).toBe(2);
    expect(autoscaler.status(ns.name, 'chat')).toBeUndefined();
    await reconcile('chat');
    expect(kubectl(['get', 'gom', 'chat', '-n', ns.name, '-o', 'jsonpath={.status.autoscaling}'])).toBe('');
  });

  it('the loop decides at once on start, then every interval, and stops with leadership', async () => {
    const scheduler = new FakeScheduler();
    const loop = newAutoscaler({ scheduler });
    loop.start();
    expect(scheduler.pending).toEqual([0]);
    scheduler.advance(0);
    await waitFor(() => scheduler.pending.length === 1, 10_000, 'the next interval to be scheduled');
    expect(scheduler.pending).toEqual([INTERVAL_MS]);
    scheduler.advance(INTERVAL_MS);
    await waitFor(() => scheduler.pending.length === 1, 10_000, 'the interval after');
    await loop.stop();
    expect(scheduler.pending).toEqual([]);
  });
});

describe('gptoss operator (process) runs the builtin autoscaler while it leads', () => {
  const ns = useNamespace('autoscaler-proc');
  beforeAll(() => ensureCrd(CRD_FILE));

  // kwok's pods serve no metrics, so then it holds (NoSignal), in status and Events
  it('lifts a model below minReplicas at once, then holds without a signal', async () => {
    const op = await startOperatorProcess(ns.name, 'autoscaling-leader', {
      autoscaler: { intervalSeconds: 1, scrapeTimeoutMs: 200 },
    });
    try {
      kubectl(
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: 'gptoss.io/v1alpha1',
          kind: 'GptOssModel',
          metadata: { name: 'chat', namespace: ns.name },
          spec: {
            variant: 'gpt-oss-20b',
            replicas: 1,
            source: { hostPath: { path: '/models/gpt-oss-20b.gguf' } },
            autoscaling: { mode: 'builtin', minReplicas: 2, maxReplicas: 3 },
          },
        }),
      );
      await waitFor(() => converged(ns.name, 'chat', 2), 60_000, `two ready replicas: ${op.logs()}`);
      await waitFor(
        () =>
          readModel(ns.name, 'chat').status?.autoscaling !== undefined &&
          (readModel(ns.name, 'chat').status!.autoscaling as { lastDecision: { reason: string } }).lastDecision
            .reason === 'NoSignal',
        30_000,
        `status.autoscaling to say NoSignal: ${op.logs()}`,
      );
      expect(
        (readModel(ns.name, 'chat').status!.autoscaling as { lastDecision: { message: string } }).lastDecision.message,
      ).toMatch(/: holding 2 replicas$/);
      const scaled = eventsAbout(ns.name, 'chat', 'ScaledUp');
      expect(scaled).toHaveLength(1);
      expect(scaled[0]!.message).toMatch(/: 1 -> 2 replicas \(below minReplicas\)$/);
      expect(readModel(ns.name, 'chat').spec.replicas).toBe(2);
    } finally {
      op.kill('SIGKILL');
    }
  });
});

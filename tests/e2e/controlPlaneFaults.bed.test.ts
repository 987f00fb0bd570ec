import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  makeInformer,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { down, restart, up, type ClusterState } from '../../cluster/cluster.js';
import { PACKAGE_ROOT } from '../../contract/paths.js';
import { createLogger } from '../../contract/log.js';
import { GROUP, PLURAL, VERSION, type GptOssModel } from '../../operator/api/v1alpha1/gptOssModel.js';
import { InformerSupervisor } from '../../contract/kube/informerSupervisor.js';
import { CRD_FILE } from '../../scripts/genCrd.js';
import { kubectlFor, waitFor } from '../helpers/cluster.js';
import { watchLeaderGauges, watchLeaseHolders } from '../helpers/leadership.js';
import { startOperatorProcess } from '../helpers/operator.js';
import { SupervisedOperators } from '../helpers/supervisedOperators.js';

/*
 * The control plane failing under a running operator, on a cluster of this file's own (its
 * components are restarted): kube-apiserver and etcd restarted while two operator processes run and
 * a client watches, and the leader SIGKILLed while 50 models are being created. Leadership must
 * never overlap, a spec change made after each restart must be applied, and every model must get
 * the same children, each written into being once (the API server's audit log counts the creates).
 */
const CLUSTER = `faults-${createHash('sha256').update(PACKAGE_ROOT).digest('hex').slice(0, 6)}`;
const NS = 'faults';
const MODELS = 50;
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    namespaces: ["${NS}"]
    resources:
      - group: apps
        resources: [deployments]
      - group: ""
        resources: [services]
  - level: None
`;
/** The helper's lease of 3 s (renew deadline 2 s, retry 200 ms): restarts outlast it, so leadership moves. */
const SETTINGS = {};

let state: ClusterState;
let k: ReturnType<typeof kubectlFor>;
let kc: KubeConfig;
let dir = '';
let operators: SupervisedOperators;

const model = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: `${GROUP}/${VERSION}`,
  kind: 'GptOssModel',
  metadata: { name, namespace: NS },
  spec: { variant: 'gpt-oss-20b', replicas: 0, source: { hostPath: { path: '/models/gpt-oss-20b.gguf' } }, ...spec },
});
const readModel = (name: string) => JSON.parse(k.run(['get', 'gom', name, '-n', NS, '-o', 'json'])) as GptOssModel;
/** Status written for the current generation, scaled to zero as asked. */
const isSettled = (m: GptOssModel) =>
  m.status?.observedGeneration === m.metadata.generation &&
  m.status?.conditions?.find((c) => c.type === 'Ready')?.reason === 'ScaledToZero';
const settled = (name: string) => isSettled(readModel(name));
/** Every one of these models settled, read in one list. */
const allSettled = (names: string[]) => {
  const items = (JSON.parse(k.run(['get', 'gom', '-n', NS, '-o', 'json'])) as { items: GptOssModel[] }).items;
  const done = new Set(items.filter(isSettled).map((m) => m.metadata.name));
  return names.every((n) => done.has(n));
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gptoss-faults-'));
  writeFileSync(join(dir, 'audit-policy.yaml'), AUDIT_POLICY);
  await down(CLUSTER, () => undefined);
  state = await up({ name: CLUSTER, auditPolicy: join(dir, 'audit-policy.yaml'), log: () => undefined });
  k = kubectlFor(state.kubeconfig, state.binaries.kubectl);
  kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  k.run(['apply', '--server-side', '--field-manager=gptoss-tests', '-f', CRD_FILE]);
  k.run(['wait', '--for=condition=Established', 'crd/gptossmodels.gptoss.io', '--timeout=30s']);
  k.run(['create', 'namespace', NS]);
  operators = new SupervisedOperators((identity) =>
    startOperatorProcess(NS, identity, SETTINGS, [], { kubeconfig: state.kubeconfig }),
  );
  operators.run('a');
  await waitFor(async () => (await operators.leader()) !== null, 60_000, 'a leader');
  operators.run('b');
  await waitFor(() => operators.live().length === 2, 60_000, 'the second operator');
}, 240_000);

afterAll(async () => {
  await operators?.stop();
  if (state) await down(CLUSTER, () => undefined);
  rmSync(dir, { recursive: true, force: true });
});

/** A client of our own watching the models (an informer, supervised as the operator's are): what it saw last. */
function watchModels() {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const informer = makeInformer<GptOssModel & KubernetesObject>(
    kc,
    `/apis/${GROUP}/${VERSION}/namespaces/${NS}/${PLURAL}`,
    () =>
      custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural: PLURAL }) as Promise<
        KubernetesListObject<GptOssModel & KubernetesObject>
      >,
  );
  const supervisor = new InformerSupervisor({
    informer,
    name: 'test-client',
    log: createLogger('silent'),
    options: { stallMs: 30_000, backoffBaseMs: 200, backoffMaxMs: 2000 },
  });
  return { informer, supervisor };
}

describe('kube-apiserver and etcd restarted under two operators and a watching client', () => {
  it('leadership never overlaps, and a spec change after each restart is applied and seen', async () => {
    const holders = watchLeaseHolders(kc, NS, 'gptoss-operator');
    const gauges = watchLeaderGauges(() => operators.live());
    const client = watchModels();
    await client.supervisor.start();
    const apps = () => kc.makeApiClient(AppsV1Api);
    const deployedContext = async () =>
      (await apps().readNamespacedDeployment({ namespace: NS, name: 'steady' })).spec?.template.spec?.containers[0]
        ?.args;
    const seen = () => client.informer.get('steady', NS);

    k.run(['apply', '-f', '-'], JSON.stringify(model('steady')));
    await waitFor(() => settled('steady'), 60_000, 'the model to settle');

    for (const [component, contextSize] of [
      ['kube-apiserver', 16384],
      ['etcd', 32768],
    ] as const) {
      await restart(CLUSTER, component);
      const patch = JSON.stringify({ spec: { contextSize } });
      await waitFor(
        () => k.result(['patch', 'gom', 'steady', '-n', NS, '--type=merge', '-p', patch]).status === 0,
        30_000,
        `the spec change after restarting ${component}`,
      );
      const generation = readModel('steady').metadata.generation;
      await waitFor(
        async () => (await deployedContext())?.includes(String(contextSize)) === true && settled('steady'),
        120_000,
        `the change to be applied after restarting ${component}`,
      );
      await waitFor(
        () => seen()?.status?.observedGeneration === generation,
        60_000,
        `the watching client to see generation ${generation} after restarting ${component}`,
      );
    }

    const history = await holders.stop();
    const { overlaps, samples } = await gauges.stop();
    await client.supervisor.stop();
    expect(operators.overlaps()).toEqual([]);
    expect(overlaps).toEqual([]);
    expect(samples).toBeGreaterThan(50);
    // each holder took over from the one before: the transitions count up by one, never back
    for (let i = 1; i < history.length; i++)
      expect(history[i]!.transitions).toBeGreaterThan(history[i - 1]!.transitions);
    // a process that left exited 1 (it lost the Lease, or could not start while the API server was down), and
    // every leader that left said it lost the Lease first
    for (const { exitCode } of operators.ended()) expect(exitCode).toBe(1);
    for (const span of operators.spans().filter((s) => s.to !== Number.POSITIVE_INFINITY))
      expect(operators.lostLeadership(span.identity), span.identity).toBe(true);
  }, 600_000);
});

interface AuditEvent {
  verb: string;
  objectRef?: { resource?: string; name?: string };
  responseStatus?: { code?: number };
}

describe('the leader killed while 50 models are created', () => {
  it('the other takes over and every model gets the same children, each created once', async () => {
    const custom = kc.makeApiClient(CustomObjectsApi);
    const names = Array.from({ length: MODELS }, (_, i) => `m${String(i).padStart(2, '0')}`);
    const leader = await operators.leader();
    expect(leader).not.toBeNull();
    for (const [i, name] of names.entries()) {
      if (i === 15) operators.kill(leader!);
      await custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: NS,
        plural: PLURAL,
        body: model(name),
      });
    }
    await waitFor(() => allSettled(names), 180_000, 'every model to settle');
    const next = await operators.leader();
    expect(next?.identity).not.toBe(leader!.identity);
    expect(operators.overlaps()).toEqual([]);

    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    const children = async (name: string) => {
      const [deployment, http, grpc] = await Promise.all([
        apps.readNamespacedDeployment({ namespace: NS, name }),
        core.readNamespacedService({ namespace: NS, name }),
        core.readNamespacedService({ namespace: NS, name: `${name}-grpc` }),
      ]);
      const appliers = [deployment, http, grpc].map((o) =>
        (o.metadata?.managedFields ?? []).filter((f) => f.operation === 'Apply').map((f) => f.manager),
      );
      const data = {
        generation: deployment.metadata?.generation,
        appliers,
        labels: deployment.metadata?.labels,
        spec: deployment.spec,
        http: { ...http.spec, clusterIP: undefined, clusterIPs: undefined },
        grpc: grpc.spec,
      };
      return JSON.parse(
        JSON.stringify(data)
          .replaceAll(name, 'MODEL')
          .replace(/("gptoss.io\/spec-hash":")[0-9a-f]+"/g, '$1HASH"'),
      ) as unknown;
    };
    const reference = await children(names[0]!);
    expect(reference).toMatchObject({
      generation: 1, // written once: no second writer changed the spec
      appliers: [['gptoss-operator'], ['gptoss-operator'], ['gptoss-operator']],
    });
    for (const name of names) expect(await children(name), name).toEqual(reference);

    // the audit log: each child created once (a server-side apply answered 201), and no delete. A create
    // in flight when the leader was SIGKILLed may be stored while its audited answer is the cut request's
    // error (the client was gone): such a child shows no 201, but then it shows that failed write.
    const events = readFileSync(state.auditLog!, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as AuditEvent);
    const writes = new Map<string, number[]>();
    for (const e of events) {
      if (!e.objectRef?.name || e.verb === 'get' || e.verb === 'list' || e.verb === 'watch') continue;
      const key = `${e.objectRef.resource}/${e.objectRef.name}`;
      writes.set(key, [...(writes.get(key) ?? []), e.responseStatus?.code ?? 0]);
    }
    for (const name of names) {
      for (const key of [`deployments/${name}`, `services/${name}`, `services/${name}-grpc`]) {
        const codes = writes.get(key) ?? [];
        const created = codes.filter((code) => code === 201).length;
        if (created === 0)
          expect(
            codes.some((code) => code >= 300 || code < 200),
            `${key}: ${codes.join(',')}`,
          ).toBe(true);
        else expect(created, `${key}: ${codes.join(',')}`).toBe(1);
      }
    }
    expect(events.filter((e) => e.verb === 'delete')).toEqual([]);
  }, 600_000);
});

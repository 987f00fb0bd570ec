import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { down, up, type ClusterState } from '../../cluster/cluster.js';
import { gptOssModelCrd } from '../../operator/api/v1alpha1/crd.js';
import { runHelm } from '../../scripts/chart.js';
import { renderChartCrd } from '../../scripts/genCrd.js';
import { PACKAGE_ROOT } from '../../contract/paths.js';
import {
  CHART_DIR,
  dashboardQueries,
  metricNamesUsed,
  operatorCommand,
  podSpec,
  ruleGroups,
  render,
  sampleNames,
  type K8sObject,
} from '../helpers/chart.js';
import { GPTOSS, startProcess, type StartedProcess } from '../helpers/cli.js';
import { createKey, startGatewayProcess, type GatewayProcess } from '../gateway/process.js';
import { kubectlFor, waitFor } from '../helpers/cluster.js';
import { covers, grantsOf, NOT_EXERCISED, requestsOf, type Grant } from './rbac.js';

/*
 * helm install, upgrade and uninstall, the chart's RBAC against what the operator really does, and
 * kubectl apply -k deploy/, on a fresh control plane of this file's own: the CRD must not exist
 * before the first install, and the API server's audit log records the operator's ServiceAccount.
 */
const CLUSTER = `helm-audit-${createHash('sha256').update(PACKAGE_ROOT).digest('hex').slice(0, 6)}`;
const RELEASE = 'gptoss-operator';
const NS = 'gptoss-system';
const MODELS = 'models';
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    userGroups: ["system:serviceaccounts:${NS}"]
  - level: None
`;

let state: ClusterState;
let k: ReturnType<typeof kubectlFor>;
let dir = '';
const helm = (args: string[], values?: Record<string, unknown>) =>
  runHelm(state.binaries.helm, [...args, '--kubeconfig', state.kubeconfig], values);
const json = <T>(args: string[]) => JSON.parse(k.run([...args, '-o', 'json'])) as T;
// the models below mount the test nodes' /models folder, which the chart's policy must allow
const MODEL_FOLDER_ALLOWED = { policy: { hostPathPrefixes: ['/models'] } };
const model = (name: string, spec: Record<string, unknown>) =>
  JSON.stringify({
    apiVersion: 'gptoss.io/v1alpha1',
    kind: 'GptOssModel',
    metadata: { name, namespace: MODELS },
    spec: { variant: 'gpt-oss-20b', source: { hostPath: { path: '/models/gpt-oss-20b.gguf' } }, ...spec },
  });
/** A kubeconfig with a token of the release namespace's ServiceAccount `name`, nothing else. */
function serviceAccountKubeconfig(name: string): string {
  const admin = JSON.parse(readFileSync(state.kubeconfig, 'utf8')) as { clusters: unknown[] };
  const token = k.run(['create', 'token', name, '-n', NS, '--duration=1h']).trim();
  const file = join(dir, `${name}-kubeconfig`);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': name,
      clusters: admin.clusters,
      users: [{ name, user: { token } }],
      contexts: [{ name, context: { cluster: 'gptoss', user: name } }],
    }),
    { mode: 0o600 },
  );
  return file;
}
const deploymentReady = (namespace: string, name: string, replicas: number) => () =>
  json<{ status?: { readyReplicas?: number } }>(['get', 'deployment', name, '-n', namespace]).status?.readyReplicas ===
  replicas;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gptoss-install-'));
  writeFileSync(join(dir, 'audit-policy.yaml'), AUDIT_POLICY);
  await down(CLUSTER, () => undefined);
  state = await up({ name: CLUSTER, auditPolicy: join(dir, 'audit-policy.yaml'), log: () => undefined });
  k = kubectlFor(state.kubeconfig, state.binaries.kubectl);
  for (const ns of [NS, MODELS]) {
    k.run(['create', 'namespace', ns]);
    k.run(['label', 'namespace', ns, 'pod-security.kubernetes.io/enforce=restricted']);
    await waitFor(
      () => k.result(['get', 'serviceaccount', 'default', '-n', ns]).status === 0,
      30_000,
      `the default ServiceAccount in ${ns}`,
    );
  }
}, 180_000);

/**
 * The audit log against the ServiceAccount's grants: it was allowed everything it did, did nothing it
 * was not granted, and used every grant but for the code paths `notExercised` lists (with why).
 */
function expectUsedAsGranted(serviceAccount: string, notExercised: typeof NOT_EXERCISED): void {
  const requests = requestsOf(readFileSync(state.auditLog!, 'utf8'), `system:serviceaccount:${NS}:${serviceAccount}`);
  expect(requests.length).toBeGreaterThan(0);
  expect(requests.filter((r) => r.decision !== 'allow')).toEqual([]);
  const grants = grantsOf(
    json(['get', 'clusterroles,roles', '--all-namespaces']),
    json(['get', 'clusterrolebindings,rolebindings', '--all-namespaces']),
    { kind: 'ServiceAccount', name: serviceAccount, namespace: NS },
  );
  for (const g of grants) expect([g.group, g.resource, g.verb]).not.toContain('*');
  // nothing used that is not granted
  expect(requests.filter((r) => !grants.some((g) => covers(g, r)))).toEqual([]);
  // nothing granted that is never used, but for the code paths listed (with why) in rbac.ts
  const unused = grants.filter((g) => !requests.some((r) => covers(g, r)));
  const key = (g: Pick<Grant, 'group' | 'resource' | 'verb'>) => `${g.group}/${g.resource}:${g.verb}`;
  const expectedUnused = notExercised.flatMap((n) =>
    n.verbs.map((verb) => key({ group: n.group, resource: n.resource, verb })),
  );
  expect(unused.map(key).sort()).toEqual(expectedUnused.sort());
}

afterAll(async () => {
  if (state) await down(CLUSTER, () => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('helm install, upgrade and uninstall', () => {
  it("install: the CRD, and the operator's pods admitted in a namespace that enforces the restricted standard", () => {
    const r = helm(
      ['install', RELEASE, CHART_DIR, '--namespace', NS, '--wait', '--timeout', '90s'],
      MODEL_FOLDER_ALLOWED,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`kubectl -n ${NS} rollout status deployment/${RELEASE}`);
    expect(r.stdout).toContain('kubectl get gptossmodels -n <namespace>');
    expect(
      k.run([
        'get',
        'crd',
        'gptossmodels.gptoss.io',
        '-o',
        'jsonpath={.metadata.annotations.helm\\.sh/resource-policy}',
      ]),
    ).toBe('keep');
    expect(deploymentReady(NS, RELEASE, 2)()).toBe(true);
    // the namespace really enforces the standard: a privileged pod is refused
    const privileged = k.result(['run', 'privileged', '--image=busybox', '--privileged', '-n', NS]);
    expect(privileged.stderr).toContain('violates PodSecurity "restricted:latest"');
  });

  it('upgrade to a chart whose CRD gained a field: the field is served after, and kept in models', async () => {
    k.run(['apply', '-f', '-'], model('kept', { replicas: 0 }));
    const setPriority = () =>
      k.result(['patch', 'gom', 'kept', '-n', MODELS, '--type=merge', '-p', '{"spec":{"priority":5}}']);
    const priority = () => k.run(['get', 'gom', 'kept', '-n', MODELS, '-o', 'jsonpath={.spec.priority}']);
    setPriority();
    expect(priority()).toBe(''); // unknown to the CRD: pruned (or refused)

    const next = join(dir, 'chart-next');
    cpSync(CHART_DIR, next, { recursive: true });
    const crd = gptOssModelCrd();
    const spec = crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec as {
      properties: Record<string, unknown>;
    };
    spec.properties.priority = { type: 'integer', description: 'A field the next chart version brings.' };
    writeFileSync(join(next, 'templates', 'crd.yaml'), renderChartCrd(crd));
    writeFileSync(
      join(next, 'Chart.yaml'),
      readFileSync(join(next, 'Chart.yaml'), 'utf8').replace(/^version: .*$/m, 'version: 0.1.1'),
    );
    const r = helm(['upgrade', RELEASE, next, '--namespace', NS, '--wait', '--timeout', '90s'], MODEL_FOLDER_ALLOWED);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    await waitFor(() => setPriority().status === 0 && priority() === '5', 30_000, 'spec.priority to be kept');
  });

  it('uninstall: the operator and its RBAC go; the CRD and the models stay', () => {
    const r = helm(['uninstall', RELEASE, '--namespace', NS, '--wait']);
    expect(r.stdout).toContain('These resources were kept due to the resource policy');
    expect(r.stdout).toContain('[CustomResourceDefinition] gptossmodels.gptoss.io');
    expect(k.run(['get', 'gom', 'kept', '-n', MODELS, '-o', 'jsonpath={.spec.priority}'])).toBe('5');
    expect(k.result(['get', 'deployment', RELEASE, '-n', NS]).stderr).toContain('NotFound');
    expect(k.result(['get', 'clusterrole', RELEASE]).stderr).toContain('NotFound');
    k.run(['delete', 'gom', 'kept', '-n', MODELS]);
  });
});

describe("the chart's RBAC against what the operator does", () => {
  let operator: StartedProcess | null = null;
  afterAll(() => {
    operator?.child.kill('SIGKILL');
  });

  // the audit log shows it used exactly what is granted
  it("the operator, as the chart's ServiceAccount, reconciles a model end to end", async () => {
    const release = helm(
      ['install', RELEASE, CHART_DIR, '--namespace', NS, '--wait', '--timeout', '90s'],
      MODEL_FOLDER_ALLOWED,
    );
    expect(release.status).toBe(0);
    const saKubeconfig = serviceAccountKubeconfig(RELEASE);
    // the command line and settings the chart's Deployment gives the operator
    const installed = json<{ items: K8sObject[] }>([
      'get',
      'deployment,configmap',
      '-n',
      NS,
      '-l',
      `app.kubernetes.io/instance=${RELEASE}`,
    ]).items;
    const { args } = operatorCommand(installed, NS, dir);
    operator = await startProcess(process.execPath, [GPTOSS, ...args], (out) => /HTTP=\S+/.test(out), {
      ...process.env,
      KUBECONFIG: saKubeconfig,
    });
    const url = /HTTP=(\S+)/.exec(operator.stdout())![1]!;

    // weights on a claim (the restricted standard refuses hostPath volumes), bound to a static volume: the test bed has
    // no provisioner
    k.run(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'v1',
            kind: 'PersistentVolume',
            metadata: { name: 'weights' },
            spec: {
              capacity: { storage: '16Gi' },
              accessModes: ['ReadOnlyMany'],
              hostPath: { path: '/weights' },
              claimRef: { namespace: MODELS, name: 'weights' },
            },
          },
          {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            metadata: { name: 'weights', namespace: MODELS },
            spec: {
              accessModes: ['ReadOnlyMany'],
              storageClassName: '',
              volumeName: 'weights',
              resources: { requests: { storage: '16Gi' } },
            },
          },
        ],
      }),
    );
    // two replicas (so a PodDisruptionBudget too), then a spec change rolled out
    k.run(
      ['apply', '-f', '-'],
      model('chat', { replicas: 2, source: { pvc: { claimName: 'weights', path: 'gpt-oss-20b.gguf' } } }),
    );
    const ready = (contextSize: number) => () => {
      const m = json<{
        status?: {
          readyReplicas?: number;
          observedGeneration?: number;
          conditions?: Array<{ type: string; status: string }>;
        };
        metadata: { generation: number };
      }>(['get', 'gom', 'chat', '-n', MODELS]);
      const args = json<{ spec: { template: { spec: { containers: Array<{ args: string[] }> } } } }>([
        'get',
        'deployment',
        'chat',
        '-n',
        MODELS,
      ]).spec.template.spec.containers[0]!.args;
      return (
        m.status?.observedGeneration === m.metadata.generation &&
        m.status?.readyReplicas === 2 &&
        args.includes(String(contextSize)) &&
        m.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True'
      );
    };
    await waitFor(ready(8192), 60_000, `the model to be Ready: ${operator.stderr()}`);
    expect(k.run(['get', 'pdb', 'chat', '-n', MODELS, '-o', 'name'])).toContain('chat');
    k.run(['patch', 'gom', 'chat', '-n', MODELS, '--type=merge', '-p', '{"spec":{"contextSize":16384}}']);
    await waitFor(ready(16384), 60_000, `the spec change to roll out: ${operator.stderr()}`);
    // the runtime pods were admitted in a namespace that enforces the restricted standard
    const pods = json<{ items: Array<{ status: { phase: string } }> }>([
      'get',
      'pods',
      '-n',
      MODELS,
      '-l',
      'gptoss.io/model=chat',
    ]).items;
    expect(pods.filter((p) => p.status.phase === 'Running').length).toBeGreaterThanOrEqual(2);

    // the operator metrics the chart's alerts and dashboard read are ones it exports
    const exported = sampleNames(await (await fetch(`${url}/metrics`)).text());
    const { objects } = await render({ values: { metrics: { prometheusRule: { enabled: true } } } });
    const used = metricNamesUsed([
      ...dashboardQueries().map((q) => q.expr),
      ...ruleGroups(objects)[0]!.rules.map((r) => r.expr),
    ]);
    expect([...used].filter((name) => name.startsWith('gptoss_operator_') && !exported.has(name))).toEqual([]);

    operator.child.kill('SIGTERM');
    expect(await operator.exited).toBe(0);
    operator = null;

    expectUsedAsGranted(RELEASE, NOT_EXERCISED);
  }, 180_000);

  // the API server's authorizer decides
  it('with watchNamespaces, the ServiceAccount acts on models only there and reads nodes cluster-wide', () => {
    for (const ns of ['gptoss-scoped', 'team-a', 'team-b']) k.run(['create', 'namespace', ns]);
    const r = helm(['install', 'scoped', CHART_DIR, '--namespace', 'gptoss-scoped', '--wait', '--timeout', '90s'], {
      watchNamespaces: ['team-a'],
      crds: { install: false },
    });
    expect(r.stderr).toBe('');
    const as = '--as=system:serviceaccount:gptoss-scoped:scoped-gptoss-operator';
    const can = (...args: string[]) => k.result(['auth', 'can-i', ...args, as]).stdout.trim();
    const cases: Array<[string[], 'yes' | 'no']> = [
      [['create', 'deployments.apps', '-n', 'team-a'], 'yes'],
      [['patch', 'gptossmodels.gptoss.io', '--subresource=status', '-n', 'team-a'], 'yes'],
      [['list', 'pods', '-n', 'team-a'], 'yes'],
      [['create', 'deployments.apps', '-n', 'team-b'], 'no'],
      [['list', 'gptossmodels.gptoss.io', '-n', 'team-b'], 'no'],
      [['list', 'gptossmodels.gptoss.io', '--all-namespaces'], 'no'],
      [['delete', 'deployments.apps', '-n', 'team-a'], 'no'],
      [['get', 'secrets', '-n', 'team-a'], 'no'],
      [['list', 'nodes'], 'yes'],
      [['create', 'leases.coordination.k8s.io', '-n', 'gptoss-scoped'], 'yes'],
      [['update', 'leases.coordination.k8s.io/scoped-gptoss-operator', '-n', 'gptoss-scoped'], 'yes'],
      [['update', 'leases.coordination.k8s.io/someone-else', '-n', 'gptoss-scoped'], 'no'],
      [['create', 'leases.coordination.k8s.io', '-n', 'team-a'], 'no'],
    ];
    expect(cases.map(([args]) => [args, can(...args)])).toEqual(cases);
    expect(helm(['uninstall', 'scoped', '--namespace', 'gptoss-scoped', '--wait']).status).toBe(0);
  });
});

describe('kubectl apply -k deploy/', () => {
  it('installs the same operator without Helm, its pods admitted under the restricted standard', async () => {
    expect(helm(['uninstall', RELEASE, '--namespace', NS, '--wait']).status).toBe(0);
    const applied = k.run(['apply', '-k', join(PACKAGE_ROOT, 'deploy')]);
    const { objects } = await render();
    for (const o of objects) expect(applied).toContain(`/${o.metadata.name} `);
    await waitFor(deploymentReady(NS, RELEASE, 2), 60_000, 'the operator Deployment from deploy/');
    expect(
      k.run(['get', 'namespace', NS, '-o', 'jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}']),
    ).toBe('restricted');
  });
});

describe('kubectl apply -k deploy/gateway/, and the gateway against its RBAC', () => {
  const GATEWAY = `${RELEASE}-gateway`;
  let gateway: GatewayProcess | null = null;
  afterAll(() => {
    gateway?.child.kill('SIGKILL');
  });

  // the audit log shows it used exactly what is granted
  it(
    'adds the gateway without Helm (its pods admitted under the restricted standard); as its ServiceAccount ' +
      'it serves models and keys, doing nothing it is not granted',
    async () => {
      const applied = k.run(['apply', '-k', join(PACKAGE_ROOT, 'deploy', 'gateway')]);
      expect(applied).toContain(`deployment.apps/${GATEWAY} created`);
      await waitFor(deploymentReady(NS, GATEWAY, 2), 60_000, 'the gateway Deployment from deploy/gateway/');

      // the command line deploy/ gives the gateway, on loopback with free ports (flags given later win)
      const deployment = json<K8sObject>(['get', 'deployment', GATEWAY, '-n', NS]);
      const args = podSpec(deployment).containers[0]!.args.map((a) => a.replace('$(POD_NAMESPACE)', NS));
      const local = ['--listen-address=127.0.0.1', '--http-port=0', '--grpc-port=0', '--ops-port=0'];
      gateway = await startGatewayProcess(
        [...args.slice(args.indexOf('gateway') + 1), ...local],
        serviceAccountKubeconfig(GATEWAY),
      );
      const { key } = createKey(NS, ['--team', 'audit'], state.kubeconfig);
      // the model the operator made above (its kwok pods are Ready in the EndpointSlices), with a key from a Secret
      const models = async () =>
        (await fetch(`${gateway!.http}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).json() as Promise<{
          data?: Array<{ id: string }>;
        }>;
      await waitFor(
        async () => (await models()).data?.some((m) => m.id === `${MODELS}/chat`) === true,
        10_000,
        `the gateway to serve ${MODELS}/chat: ${gateway.stderr()}`,
      );
      // a request for a model at zero wakes it through the scale subresource (get, then update)
      k.run(
        ['apply', '-f', '-'],
        model('sleepy', {
          replicas: 0,
          autoscaling: { mode: 'builtin', minReplicas: 0 },
          source: { pvc: { claimName: 'weights', path: 'gpt-oss-20b.gguf' } },
        }),
      );
      await waitFor(
        async () => (await models()).data?.some((m) => m.id === `${MODELS}/sleepy`) === true,
        10_000,
        'the gateway to see the model at zero',
      );
      const leaving = new AbortController();
      const held = fetch(`${gateway.http}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: `${MODELS}/sleepy`, messages: [{ role: 'user', content: 'wake up' }] }),
        signal: leaving.signal,
      }).catch(() => undefined);
      const replicas = () => k.run(['get', 'gom', 'sleepy', '-n', MODELS, '-o', 'jsonpath={.spec.replicas}']);
      await waitFor(() => replicas() === '1', 10_000, `the gateway to wake the model: ${gateway.stderr()}`);
      expect(
        json<{ metadata: { managedFields: Array<{ manager: string; subresource?: string }> } }>([
          'get',
          'gom',
          'sleepy',
          '-n',
          MODELS,
          '--show-managed-fields',
        ]).metadata.managedFields,
      ).toContainEqual(expect.objectContaining({ manager: 'gptoss-gateway', subresource: 'scale' }));
      leaving.abort();
      await held;
      k.run(['delete', 'gom', 'sleepy', '-n', MODELS]);
      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).toBe(0);
      gateway = null;
      expectUsedAsGranted(GATEWAY, []);
    },
    120_000,
  );
});

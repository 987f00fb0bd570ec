import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { operatorConfigSchema } from '../../operator/config.js';
import { runHelm } from '../../scripts/chart.js';
import { CHART_CRD_FILE, CRD_FILE, renderChartCrd } from '../../scripts/genCrd.js';
import { DEPLOY_FILE, renderDeploy } from '../../scripts/genDeploy.js';
import { PACKAGE_ROOT } from '../../contract/paths.js';
import {
  CHART,
  CHART_DIR,
  DASHBOARD_FILE,
  dashboardQueries,
  find,
  helmPath,
  metricNamesUsed,
  thirdPartyCrdFiles,
  one,
  podSpec,
  promtool,
  render,
  ruleGroups,
  valueKeys,
  type K8sObject,
} from '../helpers/chart.js';
import { ensureCrd, kubectl, kubectlResult, useNamespace, waitEstablished } from '../helpers/cluster.js';

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
const rulesOf = (o: K8sObject) => (o as unknown as { rules: Rule[] }).rules;
const configOf = (objects: K8sObject[]) =>
  parseYaml(
    (one(objects, 'ConfigMap') as unknown as { data: { 'operator.yaml': string } }).data['operator.yaml'],
  ) as Record<string, unknown>;
const PACKAGE_VERSION = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

describe('generated files', () => {
  it("the chart's CRD template and deploy/ match their sources (run npm run gen after changing them)", async () => {
    expect(readFileSync(CHART_CRD_FILE, 'utf8')).toBe(renderChartCrd());
    expect(readFileSync(DEPLOY_FILE, 'utf8')).toBe(renderDeploy(await helmPath()));
  });
});

describe("helm lint and the chart's README", () => {
  it('helm lint --strict passes', async () => {
    const r = runHelm(await helmPath(), ['lint', '--strict', CHART_DIR]);
    expect(r.stdout + r.stderr).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(r.status).toBe(0);
  });

  it('the README documents every value, and the schema knows every value', () => {
    const values = parseYaml(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const readme = readFileSync(join(CHART_DIR, 'README.md'), 'utf8');
    const undocumented = valueKeys(values).filter((key) => !readme.includes(`| \`${key}\` |`));
    expect(undocumented).toEqual([]);
  });
});

/** helm template with several value sets; the real API server accepts every object (server-side dry run). */
describe('the rendered chart on the real API server', () => {
  const release = useNamespace('chart');
  const watchedA = useNamespace('watched');
  const watchedB = useNamespace('watched');
  beforeAll(async () => {
    ensureCrd(CRD_FILE);
    // the Prometheus Operator's and KEDA's own CRDs, so ServiceMonitor, PodMonitor, PrometheusRule and
    // the ScaledObject example are validated for real
    for (const { file, crd } of await thirdPartyCrdFiles()) {
      kubectl(['apply', '--server-side', '--field-manager=gptoss-tests', '-f', file]);
      waitEstablished([`crd/${crd}`]);
    }
    // warnings for templates that would break the restricted standard come back with the dry run
    kubectl([
      'label',
      'namespace',
      release.name,
      'pod-security.kubernetes.io/warn=restricted',
      'pod-security.kubernetes.io/enforce=restricted',
    ]);
  });

  const valueSets: Array<[string, () => Record<string, unknown>, (objects: K8sObject[]) => void]> = [
    [
      'default values',
      () => ({}),
      (objects) => {
        expect(new Set(objects.map((o) => o.kind))).toEqual(
          new Set([
            'CustomResourceDefinition',
            'ServiceAccount',
            'ClusterRole',
            'ClusterRoleBinding',
            'Role',
            'RoleBinding',
            'ConfigMap',
            'Deployment',
            'Service',
            'PodDisruptionBudget',
            'NetworkPolicy',
            'ValidatingAdmissionPolicy',
            'ValidatingAdmissionPolicyBinding',
          ]),
        );
        expect(CHART.appVersion).toBe(PACKAGE_VERSION);
        const deployment = one(objects, 'Deployment');
        const pod = podSpec(deployment);
        expect((deployment.spec as { replicas: number }).replicas).toBe(2);
        expect(pod.containers[0]!.image).toBe(`ghcr.io/gptoss/operator:${CHART.appVersion}`);
        expect(pod.containers[0]!.args).toEqual([
          '--log-level=info',
          'operator',
          '--config=/etc/gptoss/operator.yaml',
          '--listen-address=0.0.0.0',
          '--lease-namespace=$(POD_NAMESPACE)',
        ]);
        const config = configOf(objects);
        const fullname = `r-${release.name}-gptoss-operator`;
        expect(config).toMatchObject({
          runtimeImage: `ghcr.io/gptoss/runtime:${CHART.appVersion}`,
          namespaces: [],
          leaseName: fullname,
          port: 8081,
        });
        // every key is one the operator reads (catalogue and sizing: merged over its built-in ones)
        expect(
          Object.keys(config).filter(
            (k) => !(k in operatorConfigSchema().shape) && !['catalogue', 'sizing'].includes(k),
          ),
        ).toEqual([]);
        expect(operatorConfigSchema().safeParse(config).success).toBe(true);
        const crd = one(objects, 'CustomResourceDefinition');
        expect(crd.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
        // cluster-wide: one ClusterRole with every rule; the Lease Role in the release namespace, by name
        expect(rulesOf(one(objects, 'ClusterRole')).map((r) => r.resources[0])).toEqual([
          'nodes',
          'storageclasses',
          'gptossmodels',
          'gptossmodels/status',
          'gptossmodels/scale',
          'deployments',
          'services',
          'poddisruptionbudgets',
          'pods',
          'jobs',
          'persistentvolumeclaims',
          'events',
        ]);
        expect(rulesOf(one(objects, 'Role'))).toEqual([
          { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
          {
            apiGroups: ['coordination.k8s.io'],
            resources: ['leases'],
            resourceNames: [fullname],
            verbs: ['get', 'update'],
          },
        ]);
      },
    ],
    [
      'watched namespaces, one replica, no CRD, no NetworkPolicy, an image digest',
      () => ({
        watchNamespaces: [watchedA.name, watchedB.name],
        replicaCount: 1,
        crds: { install: false },
        networkPolicy: { enabled: false },
        serviceAccount: { name: 'gptoss-custom' },
        image: { digest: `sha256:${'ab'.repeat(32)}` },
      }),
      (objects) => {
        expect(find(objects, 'CustomResourceDefinition')).toEqual([]);
        expect(find(objects, 'PodDisruptionBudget')).toEqual([]);
        expect(find(objects, 'NetworkPolicy')).toEqual([]);
        expect(rulesOf(one(objects, 'ClusterRole'))).toEqual([
          { apiGroups: [''], resources: ['nodes'], verbs: ['list', 'watch'] },
          { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: ['list', 'watch'] },
        ]);
        const modelRoles = find(objects, 'Role').filter((r) => r.metadata.namespace !== release.name);
        expect(modelRoles.map((r) => r.metadata.namespace).sort()).toEqual([watchedA.name, watchedB.name].sort());
        for (const role of modelRoles) expect(rulesOf(role).map((r) => r.resources[0])).toContain('deployments');
        for (const binding of [...find(objects, 'RoleBinding'), ...find(objects, 'ClusterRoleBinding')]) {
          expect((binding as unknown as { subjects: unknown[] }).subjects).toEqual([
            { kind: 'ServiceAccount', name: 'gptoss-custom', namespace: release.name },
          ]);
        }
        const pod = podSpec(one(objects, 'Deployment'));
        expect(pod.serviceAccountName).toBe('gptoss-custom');
        expect(pod.containers[0]!.image).toBe(`ghcr.io/gptoss/operator@sha256:${'ab'.repeat(32)}`);
        expect(configOf(objects).namespaces).toEqual([watchedA.name, watchedB.name]);
      },
    ],
    [
      'monitoring, dashboard, GPU catalogue, sizing and scheduling',
      () => ({
        fullnameOverride: 'gptoss',
        metrics: {
          serviceMonitor: { enabled: true, labels: { release: 'prometheus' } },
          runtimePodMonitor: { enabled: true },
          prometheusRule: { enabled: true, notReadyFor: '5m' },
        },
        dashboards: { enabled: true },
        gpuCatalogue: {
          'nvidia-rtx-pro-6000': { memoryMiB: 97_887, cost: 5 },
          'nvidia-h100-80gb-mig-3g.40gb': { memoryMiB: 40_192, resourceName: 'nvidia.com/mig-3g.40gb' },
        },
        sizing: { computeBufferMiB: 2048, marginRatio: 0.1 },
        workers: 8,
        logLevel: 'debug',
        leaderElection: { leaseDurationSeconds: 30 },
        priorityClassName: 'system-cluster-critical',
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'platform', effect: 'NoSchedule' }],
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: 'topology.kubernetes.io/zone',
            whenUnsatisfiable: 'ScheduleAnyway',
            labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'gptoss-operator' } },
          },
        ],
        podDisruptionBudget: { maxUnavailable: '50%' },
        networkPolicy: {
          metricsFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        },
      }),
      (objects) => {
        for (const kind of ['ServiceMonitor', 'PodMonitor', 'PrometheusRule'])
          expect(one(objects, kind).metadata.name).toMatch(/^gptoss/);
        expect(one(objects, 'ServiceMonitor').metadata.labels).toMatchObject({ release: 'prometheus' });
        expect(ruleGroups(objects)[0]!.rules.find((r) => r.alert === 'GptOssModelNotReady')!.for).toBe('5m');
        const dashboardMap = one(objects, 'ConfigMap', 'gptoss-dashboard') as unknown as {
          metadata: { labels: Record<string, string> };
          data: Record<string, string>;
        };
        expect(dashboardMap.metadata.labels.grafana_dashboard).toBe('1');
        expect(JSON.parse(dashboardMap.data['gptoss.json']!)).toEqual(JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')));
        expect(configOf(objects.filter((o) => o.metadata.name !== 'gptoss-dashboard'))).toMatchObject({
          workers: 8,
          leaseDurationSeconds: 30,
          leaseName: 'gptoss',
          sizing: { computeBufferMiB: 2048, marginRatio: 0.1 },
          catalogue: { 'nvidia-rtx-pro-6000': { memoryMiB: 97_887, cost: 5 } },
        });
        expect(podSpec(one(objects, 'Deployment')).containers[0]!.args[0]).toBe('--log-level=debug');
      },
    ],
    [
      'RBAC and ServiceAccount brought by the cluster admin',
      () => ({
        rbac: { create: false },
        serviceAccount: { create: false, name: 'platform-provided' },
      }),
      (objects) => {
        for (const kind of ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'])
          expect(find(objects, kind)).toEqual([]);
        expect(podSpec(one(objects, 'Deployment')).serviceAccountName).toBe('platform-provided');
      },
    ],
  ];

  it.each(valueSets)('%s', async (_name, values, check) => {
    const { text, objects } = await render({ release: `r-${release.name}`, namespace: release.name, values: values() });
    check(objects);
    // no rule grants everything
    for (const role of [...find(objects, 'ClusterRole'), ...find(objects, 'Role')]) {
      for (const rule of rulesOf(role))
        expect([...rule.apiGroups, ...rule.resources, ...rule.verbs]).not.toContain('*');
    }
    const applied = kubectlResult(
      ['apply', '--server-side', '--force-conflicts', '--field-manager=gptoss-tests', '--dry-run=server', '-f', '-'],
      text,
    );
    expect(applied.stderr).toBe('');
    expect(applied.status).toBe(0);
    expect(applied.stdout.trim().split('\n')).toHaveLength(objects.length);
  });

  it('deploy/examples are accepted by the CRD and the API server', () => {
    const examples = join(PACKAGE_ROOT, 'deploy', 'examples');
    for (const file of readdirSync(examples)) {
      const r = kubectlResult(['apply', '--dry-run=server', '-n', release.name, '-f', join(examples, file)]);
      expect(r.stderr, file).toBe('');
      expect(r.stdout, file).toMatch(/gptossmodel\.gptoss\.io\/\S+ created \(server dry run\)/);
    }
  });
});

/** values.schema.json: helm install fails before creating anything, with the schema's message. */
describe('bad values', () => {
  const ns = useNamespace('badvalues');

  it.each([
    ['a string where a number belongs', { replicaCount: 'two' }, "at '/replicaCount': got string, want integer"],
    ['a negative replica count', { replicaCount: -1 }, "at '/replicaCount': minimum: got -1, want 0"],
    [
      'a GPU catalogue entry with its memory as text',
      { gpuCatalogue: { 'nvidia-h100': { memoryMiB: '80GB' } } },
      "at '/gpuCatalogue/nvidia-h100/memoryMiB': got string, want integer",
    ],
    [
      'a GPU catalogue entry with a misspelt key',
      { gpuCatalogue: { 'nvidia-h100': { memory: 81920 } } },
      "at '/gpuCatalogue/nvidia-h100': missing property 'memoryMiB'",
    ],
    [
      'a resource name that is not an extended resource',
      { gpuCatalogue: { 'nvidia-h100': { memoryMiB: 81920, resourceName: 'gpu' } } },
      "at '/gpuCatalogue/nvidia-h100/resourceName': 'gpu' does not match pattern",
    ],
    [
      'a duration Prometheus cannot read',
      { metrics: { prometheusRule: { notReadyFor: '15 minutes' } } },
      "at '/metrics/prometheusRule/notReadyFor': '15 minutes' does not match pattern",
    ],
    ['a misspelt top-level value', { replicas: 3 }, "additional properties 'replicas' not allowed"],
    [
      'an invalid namespace name',
      { watchNamespaces: ['Team_A'] },
      "at '/watchNamespaces/0': 'Team_A' does not match pattern",
    ],
  ])('%s', async (_name, values, message) => {
    const r = runHelm(
      await helmPath(),
      [
        'install',
        'bad',
        CHART_DIR,
        '--namespace',
        ns.name,
        '--set',
        'crds.install=false',
        '--kubeconfig',
        inject('kubeconfig'),
      ],
      values,
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("values don't meet the specifications of the schema(s)");
    expect(r.stderr).toContain(message);
    const releases = runHelm(await helmPath(), [
      'list',
      '--all',
      '--short',
      '--namespace',
      ns.name,
      '--kubeconfig',
      inject('kubeconfig'),
    ]);
    expect(releases.status).toBe(0);
    expect(releases.stdout).toBe('');
    expect(
      kubectl([
        'get',
        'deployments,configmaps,serviceaccounts',
        '-n',
        ns.name,
        '-l',
        'app.kubernetes.io/instance=bad',
        '-o',
        'name',
      ]),
    ).toBe('');
  });
});

/** The alerts and the dashboard, checked by promtool: rules load, unit tests fire, every query parses. */
describe('alerts and dashboard', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gptoss-rules-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // the unit tests: tests/helm/alerts.promtest.yaml
  it('the PrometheusRule passes promtool check rules and its unit tests', async () => {
    const { objects } = await render({ values: { metrics: { prometheusRule: { enabled: true } } } });
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: ruleGroups(objects) }));
    cpSync(join(PACKAGE_ROOT, 'tests', 'helm', 'alerts.promtest.yaml'), join(dir, 'alerts.promtest.yaml'));
    const check = promtool(['check', 'rules', 'rules.yaml'], dir);
    expect(check.output).toContain('SUCCESS: 4 rules found');
    const unit = promtool(['test', 'rules', 'alerts.promtest.yaml'], dir);
    expect(unit.output).toContain('SUCCESS');
    expect(unit.status).toBe(0);
  });

  it('every dashboard query is valid PromQL (promtool), and the dashboard shows what it must', () => {
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(15);
    // recording rules carry any PromQL expression, so promtool checks the queries as such
    writeFileSync(
      join(dir, 'dashboard-rules.yaml'),
      stringify({
        groups: [
          { name: 'dashboard', rules: queries.map((q, i) => ({ record: `dashboard:query:${i}`, expr: q.expr })) },
        ],
      }),
    );
    const check = promtool(['check', 'rules', 'dashboard-rules.yaml'], dir);
    expect(check.output).toContain(`SUCCESS: ${queries.length} rules found`);
    // what the dashboard shows: tokens per second, time to first token, utilisation, replicas against desired, queue
    // depth
    const used = metricNamesUsed(queries.map((q) => q.expr));
    for (const name of [
      'gptoss_runtime_generated_tokens_total',
      'gptoss_runtime_time_to_first_token_seconds_bucket',
      'gptoss_runtime_utilization',
      'gptoss_operator_model_replicas',
      'gptoss_runtime_requests_waiting',
      'gptoss_operator_queue_depth',
    ]) {
      expect(used).toContain(name);
    }
  });
});

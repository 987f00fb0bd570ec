import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { GATEWAY_FLAGS, loadGatewayConfig } from '../../gateway/config.js';
import { runHelm } from '../../scripts/chart.js';
import { CRD_FILE } from '../../scripts/genCrd.js';
import { GATEWAY_DEPLOY_FILE, renderGatewayDeploy } from '../../scripts/genDeploy.js';
import {
  CHART,
  CHART_DIR,
  find,
  helmPath,
  one,
  podSpec,
  render,
  thirdPartyCrdFiles,
  type K8sObject,
} from '../helpers/chart.js';
import { ensureCrd, kubectl, kubectlResult, useNamespace, waitEstablished } from '../helpers/cluster.js';

/*
 * The chart with the gateway on: what it renders for several value sets, accepted by the real API
 * server (server-side dry run, in a namespace enforcing the restricted standard), and the values it
 * refuses. The gateway's RBAC against what it really does is in install.bed.test.ts (the audit log).
 */

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
const rulesOf = (o: K8sObject) => (o as unknown as { rules: Rule[] }).rules;
const gatewayObjects = (objects: K8sObject[]) =>
  objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'gateway');
const gatewayDeployment = (objects: K8sObject[]) => one(gatewayObjects(objects), 'Deployment');
const container = (objects: K8sObject[]) => podSpec(gatewayDeployment(objects)).containers[0]!;

/** The Gateway API's CRDs (HTTPRoute, GRPCRoute), from its Go module, so the routes are validated for real. */
const GATEWAY_API = 'sigs.k8s.io/gateway-api@v1.4.0';
function gatewayApiCrds(): string[] {
  const dir = (
    JSON.parse(execFileSync('go', ['mod', 'download', '-json', GATEWAY_API], { encoding: 'utf8' })) as {
      Dir: string;
    }
  ).Dir;
  return ['httproutes', 'grpcroutes'].map((kind) =>
    join(dir, 'config', 'crd', 'standard', `gateway.networking.k8s.io_${kind}.yaml`),
  );
}

describe('generated files', () => {
  it('deploy/gateway/ matches the chart (run npm run gen after changing it)', async () => {
    expect(readFileSync(GATEWAY_DEPLOY_FILE, 'utf8')).toBe(renderGatewayDeploy(await helmPath()));
  });
});

describe('the chart with the gateway on, on the real API server', () => {
  const release = useNamespace('chart-gw');
  const watchedA = useNamespace('gw-watched');
  const watchedB = useNamespace('gw-watched');
  beforeAll(async () => {
    ensureCrd(CRD_FILE);
    // the Gateway API's and the Prometheus Operator's CRDs: routes and the ServiceMonitor are validated for real
    const files = [...gatewayApiCrds(), ...(await thirdPartyCrdFiles()).map((c) => c.file)];
    for (const file of files) kubectl(['apply', '--server-side', '--field-manager=gptoss-tests', '-f', file]);
    for (const file of files) waitEstablished(['-f', file]);
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
      'on, every namespace: a ClusterRole for models and EndpointSlices, a Role for the keys only',
      () => ({ gateway: { enabled: true } }),
      (objects) => {
        const fullname = `r-${release.name}-gptoss-operator-gateway`;
        expect(new Set(gatewayObjects(objects).map((o) => `${o.kind}/${o.metadata.name}`))).toEqual(
          new Set([
            `ServiceAccount/${fullname}`,
            `ClusterRole/${fullname}`,
            `ClusterRoleBinding/${fullname}`,
            `Role/${fullname}-keys`,
            `RoleBinding/${fullname}-keys`,
            `Deployment/${fullname}`,
            `Service/${fullname}`,
            `Service/${fullname}-metrics`,
            `Service/${fullname}-peers`,
            `PodDisruptionBudget/${fullname}`,
            `NetworkPolicy/${fullname}`,
          ]),
        );
        const deployment = gatewayDeployment(objects);
        expect((deployment.spec as { replicas: number }).replicas).toBe(2);
        // no operator selector takes the gateway's pods
        expect((deployment.spec as { selector: unknown }).selector).toEqual({
          matchLabels: {
            'app.kubernetes.io/name': 'gptoss-gateway',
            'app.kubernetes.io/instance': `r-${release.name}`,
          },
        });
        const c = container(objects);
        expect(c.image).toBe(`ghcr.io/gptoss/gateway:${CHART.appVersion}`);
        expect(c.args).toEqual([
          '--log-level=info',
          'gateway',
          '--listen-address=0.0.0.0',
          '--http-port=8080',
          '--grpc-port=50051',
          '--ops-port=8081',
          '--keys-namespace=$(POD_NAMESPACE)',
          '--replicas=2',
          '--drain-seconds=25',
        ]);
        // every flag the chart passes is one `gptoss gateway` has, with a value it accepts
        const flags = Object.fromEntries(
          c.args
            .slice(2)
            .map((a) => a.replace('$(POD_NAMESPACE)', release.name).replace(/^--/, '').split('='))
            .map(([k, v]) => [k!.replace(/-(.)/g, (_, ch: string) => ch.toUpperCase()), v]),
        );
        expect(Object.keys(flags).filter((k) => !(k in GATEWAY_FLAGS))).toEqual([]);
        expect(loadGatewayConfig(flags)).toMatchObject({ replicas: 2, keysNamespace: release.name, namespaces: [] });
        expect(c.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(podSpec(deployment).securityContext).toMatchObject({
          runAsNonRoot: true,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(podSpec(deployment).terminationGracePeriodSeconds).toBe(30);
        expect(rulesOf(one(objects, 'ClusterRole', fullname))).toEqual([
          { apiGroups: ['gptoss.io'], resources: ['gptossmodels'], verbs: ['list', 'watch'] },
          { apiGroups: ['gptoss.io'], resources: ['gptossmodels/scale'], verbs: ['get', 'update'] },
          { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
        ]);
        const keys = one(objects, 'Role', `${fullname}-keys`);
        expect(keys.metadata.namespace).toBe(release.name);
        expect(rulesOf(keys)).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['list', 'watch'] }]);
        // with every namespace watched, no runtime NetworkPolicy can be placed
        expect(find(objects, 'NetworkPolicy').map((p) => p.metadata.name)).not.toContain(`${fullname}-runtime`);
        const api = one(objects, 'Service', fullname) as unknown as { spec: { ports: Array<{ name: string }> } };
        expect(api.spec.ports.map((p) => p.name)).toEqual(['http', 'grpc']);
      },
    ],
    [
      "watched namespaces (the operator's), keys elsewhere, Ingress, routes, a ServiceMonitor, one replica",
      () => ({
        watchNamespaces: [watchedA.name, watchedB.name],
        metrics: { serviceMonitor: { enabled: true } },
        gateway: {
          enabled: true,
          replicaCount: 1,
          keysNamespace: watchedB.name,
          ingress: { enabled: true, className: 'nginx', hosts: [{ host: 'llm.example.com' }] },
          routes: {
            http: { enabled: true, parentRefs: [{ name: 'public', namespace: 'gateway-system' }] },
            grpc: { enabled: true, parentRefs: [{ name: 'public', namespace: 'gateway-system' }] },
          },
          runtimeNetworkPolicy: {
            allowFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
          },
        },
      }),
      (objects) => {
        const fullname = `r-${release.name}-gptoss-operator-gateway`;
        expect(find(gatewayObjects(objects), 'ClusterRole')).toEqual([]);
        expect(find(gatewayObjects(objects), 'PodDisruptionBudget')).toEqual([]);
        const roles = find(objects, 'Role').filter((r) => r.metadata.name === fullname);
        expect(roles.map((r) => r.metadata.namespace).sort()).toEqual([watchedA.name, watchedB.name].sort());
        expect(one(objects, 'Role', `${fullname}-keys`).metadata.namespace).toBe(watchedB.name);
        expect(container(objects).args).toContain(`--namespaces=${watchedA.name},${watchedB.name}`);
        expect(container(objects).args).toContain(`--keys-namespace=${watchedB.name}`);
        // runtime pods of each watched namespace: the gateway, the operator and the listed peers only
        const runtime = find(objects, 'NetworkPolicy').filter((p) => p.metadata.name === `${fullname}-runtime`);
        expect(runtime.map((p) => p.metadata.namespace).sort()).toEqual([watchedA.name, watchedB.name].sort());
        const ingress = (runtime[0]!.spec as { ingress: Array<{ from: Array<Record<string, unknown>> }> }).ingress;
        expect(ingress.map((rule) => rule.from[0]!.podSelector ?? rule.from[0]!.namespaceSelector)).toEqual([
          {
            matchLabels: {
              'app.kubernetes.io/name': 'gptoss-gateway',
              'app.kubernetes.io/instance': `r-${release.name}`,
            },
          },
          {
            matchLabels: {
              'app.kubernetes.io/name': 'gptoss-operator',
              'app.kubernetes.io/instance': `r-${release.name}`,
            },
          },
          { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
        ]);
        for (const kind of ['Ingress', 'HTTPRoute', 'GRPCRoute'])
          expect(one(objects, kind).metadata.name).toBe(fullname);
        expect(find(objects, 'ServiceMonitor').map((m) => m.metadata.name)).toContain(fullname);
      },
    ],
  ];

  it.each(valueSets)('%s', async (_name, values, check) => {
    const { text, objects } = await render({ release: `r-${release.name}`, namespace: release.name, values: values() });
    check(objects);
    for (const role of [...find(objects, 'ClusterRole'), ...find(objects, 'Role')])
      for (const rule of rulesOf(role))
        expect([...rule.apiGroups, ...rule.resources, ...rule.verbs]).not.toContain('*');
    const applied = kubectlResult(
      ['apply', '--server-side', '--force-conflicts', '--field-manager=gptoss-tests', '--dry-run=server', '-f', '-'],
      text,
    );
    expect(applied.stderr).toBe('');
    expect(applied.status).toBe(0);
    expect(applied.stdout.trim().split('\n')).toHaveLength(objects.length);
  });
});

describe('bad gateway values', () => {
  const ns = useNamespace('badgw');

  it.each([
    [
      'a keys namespace that is no namespace name',
      { gateway: { keysNamespace: 'Team_A' } },
      "at '/gateway/keysNamespace'",
    ],
    ['replicas as text', { gateway: { replicaCount: 'two' } }, "at '/gateway/replicaCount': got string, want integer"],
    ['a misspelt gateway value', { gateway: { replicas: 3 } }, "additional properties 'replicas' not allowed"],
    [
      'an Ingress with no host',
      { gateway: { enabled: true, ingress: { enabled: true } } },
      'gateway.ingress.hosts needs at least one host',
    ],
    [
      'an HTTPRoute with no Gateway',
      { gateway: { enabled: true, routes: { http: { enabled: true } } } },
      'gateway.routes.http.parentRefs needs a Gateway',
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
    expect(r.stderr).toContain(message);
    expect(
      kubectl([
        'get',
        'deployments,serviceaccounts',
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

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gptOssModelSpec } from '../../operator/api/v1alpha1/schema.js';
import { policyRefusal, type TenantPolicy } from '../../operator/planner/policy.js';
import { CRD_FILE } from '../../scripts/genCrd.js';
import { find, render } from '../helpers/chart.js';
import { ensureCrd, kubectl, kubectlResult, useNamespace } from '../helpers/cluster.js';

const SHA = 'a'.repeat(64);
const VALUES = {
  hostPathPrefixes: ['/models'],
  runtimeImages: ['ghcr.io/gptoss/runtime'],
  urlSchemes: ['https'],
  urlHosts: ['*.example.com'],
  priorityClasses: ['gptoss-high'],
  envFromSecrets: false,
  reservedLabelKeys: ['app', 'app.kubernetes.io/'],
};
/** The operator's view of the same values. */
const POLICY: TenantPolicy = { ...VALUES, urlSchemes: ['https'], internalHosts: [] };

/**
 * The chart's ValidatingAdmissionPolicy on the real API server, bound to this file's namespace:
 * every spec the operator's own check refuses is refused at kubectl apply with the same message,
 * and every spec it allows is admitted.
 */
describe('the tenant policy at kubectl apply (ValidatingAdmissionPolicy)', () => {
  const ns = useNamespace('policy');
  let policyObjects = '';
  beforeAll(async () => {
    ensureCrd(CRD_FILE);
    const { objects } = await render({ values: { watchNamespaces: [ns.name], policy: VALUES } });
    const admission = [
      ...find(objects, 'ValidatingAdmissionPolicy'),
      ...find(objects, 'ValidatingAdmissionPolicyBinding'),
    ];
    expect(admission).toHaveLength(2);
    policyObjects = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: admission });
    kubectl(['apply', '-f', '-'], policyObjects);
    const name = admission[0]!.metadata.name;
    // the API server type-checks the expressions against the CRD's schema: no warning
    expect(
      JSON.parse(kubectl(['get', 'validatingadmissionpolicy', name, '-o', 'jsonpath={.status.typeChecking}'])),
    ).toEqual({});
  });
  afterAll(() => {
    if (policyObjects) kubectlResult(['delete', '--ignore-not-found', '-f', '-'], policyObjects);
  });

  const model = (name: string, extra: Record<string, unknown>) => ({
    apiVersion: 'gptoss.io/v1alpha1',
    kind: 'GptOssModel',
    metadata: { name, namespace: ns.name },
    spec: { variant: 'gpt-oss-20b', source: { hostPath: { path: '/models/a.gguf' } }, ...extra },
  });
  /** Server-side dry run, retried while the new binding reaches the admission plugin (it is eventually consistent). */
  const apply = (name: string, extra: Record<string, unknown>) =>
    kubectlResult(['apply', '--dry-run=server', '-f', '-'], JSON.stringify(model(name, extra)));

  it.each([
    ['etc', { source: { hostPath: { path: '/etc/passwd' } } }],
    ['dotdot', { source: { hostPath: { path: '/models/../etc/x' } } }],
    ['http', { source: { url: { files: [{ url: 'http://a.example.com/m.gguf', sha256: SHA }] } } }],
    ['host', { source: { url: { files: [{ url: 'https://example.com.evil/m.gguf', sha256: SHA }] } } }],
    ['image', { runtime: { image: 'evil.example/img:1' } }],
    ['priority', { runtime: { priorityClassName: 'system-node-critical' } }],
    ['secret', { runtime: { env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] } }],
    ['labels', { runtime: { podLabels: { app: 'payments', team: 'a' } } }],
  ])('refuses %s with the message the operator would give', async (name, extra) => {
    const expected = policyRefusal(gptOssModelSpec.parse(model(name, extra).spec), POLICY)!.message;
    let result = apply(name, extra);
    for (let i = 0; i < 50 && result.status === 0; i++) {
      await new Promise((r) => setTimeout(r, 200));
      result = apply(name, extra);
    }
    expect(result.status).not.toBe(0);
    expect(result.stderr.trim()).toBe(
      `Error from server (Forbidden): error when creating "STDIN": gptossmodels.gptoss.io "${name}" is forbidden: ` +
        `ValidatingAdmissionPolicy '${JSON.parse(policyObjects).items[0].metadata.name}' with binding ` +
        `'${JSON.parse(policyObjects).items[1].metadata.name}' denied request: ${expected}`,
    );
  });

  it.each([
    ['plain', {}],
    ['subfolder', { source: { hostPath: { path: '/models/20b/a.gguf' } } }],
    ['https', { source: { url: { files: [{ url: 'https://cdn.example.com/m.gguf', sha256: SHA }] } } }],
    ['image', { runtime: { image: 'ghcr.io/gptoss/runtime:2.0', priorityClassName: 'gptoss-high' } }],
    ['env', { runtime: { env: [{ name: 'A', value: '1' }], podLabels: { team: 'a' } } }],
  ])('admits %s, as the operator does', (name, extra) => {
    expect(policyRefusal(gptOssModelSpec.parse(model(name, extra).spec), POLICY)).toBeNull();
    const result = apply(name, extra);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(`gptossmodel.gptoss.io/${name} created (server dry run)`);
  });
});

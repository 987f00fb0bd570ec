import { beforeAll, describe, expect, it } from 'vitest';
import { CRD_FILE } from '../../../scripts/genCrd.js';
import { ensureCrd, kubectl, kubectlResult, useNamespace } from '../../helpers/cluster.js';

/** The real API server validates GptOssModels: each invalid spec is refused with a message naming the field. */
describe('GptOssModel validation on the real API server', () => {
  const ns = useNamespace('crd');
  beforeAll(() => ensureCrd(CRD_FILE));

  const valid = { variant: 'gpt-oss-20b', source: { hostPath: { path: '/models/gpt-oss-20b.gguf' } } };
  const model = (name: string, spec: Record<string, unknown>) =>
    JSON.stringify({
      apiVersion: 'gptoss.io/v1alpha1',
      kind: 'GptOssModel',
      metadata: { name, namespace: ns.name },
      spec,
    });
  const create = (name: string, spec: Record<string, unknown>) =>
    kubectlResult(['create', '-f', '-'], model(name, spec));
  const sha = 'a'.repeat(64);

  it.each([
    [
      'unknown variant',
      { ...valid, variant: 'gpt-oss-7b' },
      'spec.variant: Unsupported value: "gpt-oss-7b": supported values: "gpt-oss-20b", "gpt-oss-120b"',
    ],
    [
      'negative replicas',
      { ...valid, replicas: -1 },
      'spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0',
    ],
    [
      'minReplicas above maxReplicas',
      { ...valid, autoscaling: { mode: 'builtin', minReplicas: 3, maxReplicas: 2 } },
      'spec.autoscaling: Invalid value: "object": minReplicas must not exceed maxReplicas',
    ],
    [
      'two sources',
      { ...valid, source: { hostPath: { path: '/m.gguf' }, pvc: { claimName: 'w', path: 'm.gguf' } } },
      'spec.source: Invalid value: "object": exactly one of pvc, url or hostPath must be set',
    ],
    [
      'no source at all',
      { ...valid, source: {} },
      'spec.source: Invalid value: "object": exactly one of pvc, url or hostPath must be set',
    ],
    ['missing source', { variant: 'gpt-oss-20b' }, 'spec.source: Required value'],
    [
      'contextSize 0',
      { ...valid, contextSize: 0 },
      'spec.contextSize: Invalid value: 0: spec.contextSize in body should be greater than or equal to 1',
    ],
    [
      'contextSize above 131072',
      { ...valid, contextSize: 131073 },
      'spec.contextSize: Invalid value: 131073: spec.contextSize in body should be less than or equal to 131072',
    ],
    [
      'parallelSlots 0',
      { ...valid, parallelSlots: 0 },
      'spec.parallelSlots: Invalid value: 0: spec.parallelSlots in body should be greater than or equal to 1',
    ],
    [
      'parallelSlots above 256',
      { ...valid, parallelSlots: 257 },
      'spec.parallelSlots: Invalid value: 257: spec.parallelSlots in body should be less than or equal to 256',
    ],
    [
      'a sha256 that is not 64 hex characters',
      { ...valid, source: { url: { files: [{ url: 'https://example.test/m.gguf', sha256: 'abc123' }] } } },
      'spec.source.url.files[0].sha256: Invalid value: "abc123": ' +
        "spec.source.url.files[0].sha256 in body should match '^[a-f0-9]{64}$'",
    ],
    [
      'unknown reasoning effort',
      { ...valid, reasoningEffort: 'extreme' },
      'spec.reasoningEffort: Unsupported value: "extreme": supported values: "low", "medium", "high"',
    ],
    [
      'nvidia.com/gpu in runtime resources',
      { ...valid, runtime: { resources: { limits: { 'nvidia.com/gpu': 1 } } } },
      'spec.runtime.resources: Invalid value: "object": ' +
        'nvidia.com/gpu is set through spec.gpu, not spec.runtime.resources',
    ],
  ])('%s', (_name, spec, message) => {
    const r = create(`bad-${Math.random().toString(36).slice(2, 8)}`, spec);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
  });

  it('a valid model gets its defaults; kubectl scale acts through the scale subresource; explain documents', () => {
    expect(
      create('good', { ...valid, source: { url: { files: [{ url: 'https://example.test/m.gguf', sha256: sha }] } } })
        .status,
    ).toBe(0);
    const spec = JSON.parse(kubectl(['get', 'gom', 'good', '-n', ns.name, '-o', 'jsonpath={.spec}'])) as Record<
      string,
      unknown
    >;
    expect(spec).toMatchObject({ replicas: 1, contextSize: 8192, parallelSlots: 4, reasoningEffort: 'medium' });
    kubectl(['scale', 'gom', 'good', '-n', ns.name, '--replicas=0']);
    expect(kubectl(['get', 'gom', 'good', '-n', ns.name, '-o', 'jsonpath={.spec.replicas}'])).toBe('0');
    expect(kubectl(['explain', 'gptossmodel.spec.parallelSlots'])).toContain(
      'Requests decoded at once per replica, 1 to 256.',
    );
    expect(kubectl(['get', 'gom', '-n', ns.name])).toMatch(
      /^NAME\s+VARIANT\s+READY\s+REPLICAS\s+GPU\s+AGE\ngood\s+gpt-oss-20b\s+0\s+/,
    );
  });
});

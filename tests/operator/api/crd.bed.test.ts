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
      'a negative scale-to-zero idle time',
      { ...valid, autoscaling: { mode: 'builtin', minReplicas: 0, scaleToZeroAfterSeconds: -1 } },
      'spec.autoscaling.scaleToZeroAfterSeconds: Invalid value: -1: ' +
        'spec.autoscaling.scaleToZeroAfterSeconds in body should be greater than or equal to 0',
    ],
    [
      'a scale-to-zero idle time that is not a number',
      { ...valid, autoscaling: { mode: 'builtin', minReplicas: 0, scaleToZeroAfterSeconds: '15m' } },
      'spec.autoscaling.scaleToZeroAfterSeconds: Invalid value: "string": ' +
        'spec.autoscaling.scaleToZeroAfterSeconds in body must be of type integer: "string"',
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

  const nameRule =
    'metadata.name: Invalid value: "object": must be at most 58 characters of lower-case letters, digits and \'-\', ' +
    'starting with a letter and ending with a letter or digit (a DNS-1035 label, so that the Service <name>-grpc ' +
    'is valid too)';
  const keySyntax =
    "an optional DNS subdomain prefix and '/', then 1 to 63 letters, digits, '-', '_' or '.', " +
    'starting and ending with a letter or digit';
  it.each([
    ['a dot (not a Service name)', 'chat.v2', nameRule],
    ['a leading digit', '2chat', nameRule],
    ['59 characters (<name>-grpc would be 64)', `m${'x'.repeat(58)}`, nameRule],
    ['64 characters (the gptoss.io/model label would be too long)', `m${'x'.repeat(63)}`, nameRule],
  ])('a name with %s is refused', (_name, name, message) => {
    const r = create(name, valid);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`The GptOssModel "${name}" is invalid: ${message}`);
  });

  it.each([
    [
      'a label key with a space',
      { podLabels: { 'team name': 'a' } },
      `spec.runtime.podLabels: Invalid value: "object": label keys must be ${keySyntax}`,
    ],
    [
      'a label key whose name part is 64 characters',
      { podLabels: { [`example.com/${'k'.repeat(64)}`]: 'a' } },
      `spec.runtime.podLabels: Invalid value: "object": label keys must be ${keySyntax}`,
    ],
    [
      'a label value with a slash',
      { podLabels: { team: 'a/b' } },
      'spec.runtime.podLabels[team]: Invalid value: "string": ' +
        "label values must be empty or letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
    ],
    [
      'a label value of 64 characters',
      { podLabels: { team: 'v'.repeat(64) } },
      'spec.runtime.podLabels.team: Too long: may not be more than 63 bytes',
    ],
    [
      'an annotation key starting with a dash',
      { podAnnotations: { '-x': 'any value at all' } },
      `spec.runtime.podAnnotations: Invalid value: "object": annotation keys must be ${keySyntax}`,
    ],
  ])('%s is refused', (_name, runtime, message) => {
    const r = create(`bad-${Math.random().toString(36).slice(2, 8)}`, { ...valid, runtime });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
  });

  const lora = (name: string, extra: Record<string, unknown> = {}) => ({
    name,
    source: { hostPath: { path: `/models/${name}.gguf` } },
    ...extra,
  });
  const urlFiles = [{ url: 'https://example.test/m.gguf', sha256: sha }];
  it.each([
    [
      'two adapters with one name',
      { adapters: [lora('tone'), lora('tone')] },
      'spec.adapters[1]: Duplicate value: {"name":"tone"}',
    ],
    [
      'an adapter name with a slash',
      { adapters: [lora('a/b')] },
      'spec.adapters[0].name: Invalid value: "a/b": spec.adapters[0].name in body should match',
    ],
    [
      'an adapter scale above 10',
      { adapters: [lora('loud', { scale: 11 })] },
      'spec.adapters[0].scale: Invalid value: 11: spec.adapters[0].scale in body should be less than or equal to 10',
    ],
    [
      'an adapter with a shared cache',
      { adapters: [lora('c', { source: { url: { files: urlFiles, cache: { size: '1Gi' } } } })] },
      'spec.adapters[0]: Invalid value: "object": ' +
        'adapters are downloaded by every pod: cache applies to spec.source only',
    ],
    [
      'seventeen adapters',
      { adapters: Array.from({ length: 17 }, (_, i) => lora(`a${i}`)) },
      'spec.adapters: Too many: 17: must have at most 16 items',
    ],
    [
      'a cache size that is not a size',
      { source: { url: { files: urlFiles, cache: { size: 'lots' } } } },
      'spec.source.url.cache.size: Invalid value: "lots": spec.source.url.cache.size in body should match',
    ],
    [
      'a cache without a size',
      { source: { url: { files: urlFiles, cache: { storageClassName: 'nfs' } } } },
      'spec.source.url.cache.size: Required value',
    ],
  ])('%s is refused', (_name, spec, message) => {
    const r = create(`bad-${Math.random().toString(36).slice(2, 8)}`, { ...valid, ...spec });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
  });

  it('adapters and a cache are accepted and defaulted (scale 1, sizeMiB 256, retain false)', () => {
    const r = create('adapted', {
      ...valid,
      source: { url: { files: urlFiles, cache: { size: '20Gi' } } },
      adapters: [lora('tone'), lora('legal', { scale: 0.5, sizeMiB: 64 })],
    });
    expect(r.stderr).toBe('');
    const spec = JSON.parse(kubectl(['get', 'gom', 'adapted', '-n', ns.name, '-o', 'jsonpath={.spec}'])) as Record<
      string,
      unknown
    >;
    expect(spec.adapters).toEqual([
      { ...lora('tone'), scale: 1, sizeMiB: 256 },
      { ...lora('legal'), scale: 0.5, sizeMiB: 64 },
    ]);
    expect(spec.source).toEqual({ url: { files: urlFiles, cache: { size: '20Gi', retain: false } } });
    expect(kubectl(['explain', 'gptossmodel.spec.adapters.sizeMiB'])).toContain('GPU memory the adapter');
    kubectl(['delete', 'gom', 'adapted', '-n', ns.name]);
  });

  it('the longest name and valid labels and annotations are accepted', () => {
    const name = `m${'x'.repeat(57)}`;
    const runtime = {
      podLabels: { 'example.com/team': 'a_b.c-d', tier: '', [`k${'k'.repeat(62)}`]: 'v'.repeat(63) },
      podAnnotations: { 'example.com/note': 'any value: at all, even / and spaces' },
    };
    const r = create(name, { ...valid, runtime });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    kubectl(['delete', 'gom', name, '-n', ns.name]);
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

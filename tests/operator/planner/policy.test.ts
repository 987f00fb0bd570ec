import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gptOssModelSpec } from '../../../operator/api/v1alpha1/schema.js';
import { imageRepository, loadOperatorConfig, tenantPolicy } from '../../../operator/config.js';
import { fetchAllowances, policyRefusal, underFolder, type TenantPolicy } from '../../../operator/planner/policy.js';

const SHA = 'a'.repeat(64);
/** The chart's defaults, with one folder for hostPath sources. */
const POLICY: TenantPolicy = { ...tenantPolicy(loadOperatorConfig({})), hostPathPrefixes: ['/models'] };
const spec = (extra: Record<string, unknown>) =>
  gptOssModelSpec.parse({ variant: 'gpt-oss-20b', source: { hostPath: { path: '/models/a.gguf' } }, ...extra });
const url = (...urls: string[]) => ({ source: { url: { files: urls.map((u) => ({ url: u, sha256: SHA })) } } });

describe('the tenant policy (pure)', () => {
  it('the defaults: no hostPath, the configured runtime image, https, any host, no priority class, no Secrets', () => {
    const policy = tenantPolicy(loadOperatorConfig({ runtimeImage: 'registry.example/gptoss/runtime:1.2@sha256:abc' }));
    expect(policy).toEqual({
      hostPathPrefixes: [],
      runtimeImages: ['registry.example/gptoss/runtime'],
      urlSchemes: ['https'],
      urlHosts: [],
      internalHosts: [],
      priorityClasses: [],
      envFromSecrets: false,
      reservedLabelKeys: ['app', 'app.kubernetes.io/', 'k8s-app', 'gptoss.io/', 'kubernetes.io/', 'k8s.io/'],
    });
    expect(imageRepository('localhost:5000/runtime:1')).toBe('localhost:5000/runtime');
    expect(fetchAllowances(policy)).toEqual({ allowHttp: false, allowHosts: [] });
    expect(policyRefusal(spec({}), policy)).toEqual({
      reason: 'SourceNotAllowed',
      message: 'spec.source.hostPath.path: /models/a.gguf is not in an allowed folder (policy.hostPathPrefixes: none)',
    });
  });

  it.each([
    ['a file in an allowed folder', {}],
    ['a file in a subfolder', { source: { hostPath: { path: '/models/20b/a.gguf' } } }],
    ['https from any host', url('https://huggingface.co/a.gguf', 'https://cdn.example/b.gguf')],
    ['the runtime image at another tag or a digest', { runtime: { image: 'ghcr.io/gptoss/runtime@sha256:abc' } }],
    [
      'plain env and unreserved labels',
      { runtime: { env: [{ name: 'A', value: '1' }], podLabels: { team: 'a', 'example.com/x': 'y' } } },
    ],
  ])('allows %s', (_name, extra) => {
    expect(policyRefusal(spec(extra), POLICY)).toBeNull();
  });

  it.each([
    [
      'a file outside the folders',
      { source: { hostPath: { path: '/etc/passwd' } } },
      'SourceNotAllowed',
      'spec.source.hostPath.path: /etc/passwd is not in an allowed folder (policy.hostPathPrefixes: /models)',
    ],
    [
      'a path that climbs out with ..',
      { source: { hostPath: { path: '/models/../etc/x' } } },
      'SourceNotAllowed',
      'spec.source.hostPath.path: /models/../etc/x is not in an allowed folder (policy.hostPathPrefixes: /models)',
    ],
    [
      'the allowed folder as a file (its parent would be mounted)',
      { source: { hostPath: { path: '/models' } } },
      'SourceNotAllowed',
      'spec.source.hostPath.path: /models is not in an allowed folder (policy.hostPathPrefixes: /models)',
    ],
    [
      'a folder that only starts like an allowed one',
      { source: { hostPath: { path: '/models-other/a.gguf' } } },
      'SourceNotAllowed',
      'spec.source.hostPath.path: /models-other/a.gguf is not in an allowed folder (policy.hostPathPrefixes: /models)',
    ],
    [
      'http',
      url('http://x.example/a.gguf'),
      'SourceNotAllowed',
      'spec.source.url.files: http is not an allowed scheme (policy.urlSchemes: https)',
    ],
    [
      'another image',
      { runtime: { image: 'evil.example/img:1' } },
      'PolicyDenied',
      'spec.runtime.image: evil.example/img:1 is not an allowed image (policy.runtimeImages: ghcr.io/gptoss/runtime)',
    ],
    [
      'a repository that only starts like the allowed one',
      { runtime: { image: 'ghcr.io/gptoss/runtime-evil:1' } },
      'PolicyDenied',
      'spec.runtime.image: ghcr.io/gptoss/runtime-evil:1 is not an allowed image ' +
        '(policy.runtimeImages: ghcr.io/gptoss/runtime)',
    ],
    [
      'a priority class',
      { runtime: { priorityClassName: 'system-node-critical' } },
      'PolicyDenied',
      'spec.runtime.priorityClassName: system-node-critical is not allowed (policy.priorityClasses: none)',
    ],
    [
      'env from a Secret',
      {
        runtime: {
          env: [
            { name: 'A', value: '1' },
            { name: 'T', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
          ],
        },
      },
      'PolicyDenied',
      'spec.runtime.env: values from Secrets are not allowed (policy.envFromSecrets: false)',
    ],
    [
      'reserved pod labels',
      { runtime: { podLabels: { app: 'payments', 'app.kubernetes.io/name': 'x', team: 'a' } } },
      'PolicyDenied',
      'spec.runtime.podLabels: app, app.kubernetes.io/name is a reserved label key (policy.reservedLabelKeys)',
    ],
    [
      'several problems: the source first, then the rest',
      { source: { hostPath: { path: '/etc/x' } }, runtime: { image: 'evil:1' } },
      'SourceNotAllowed',
      'spec.source.hostPath.path: /etc/x is not in an allowed folder (policy.hostPathPrefixes: /models); ' +
        'spec.runtime.image: evil:1 is not an allowed image (policy.runtimeImages: ghcr.io/gptoss/runtime)',
    ],
  ])('refuses %s', (_name, extra, reason, message) => {
    expect(policyRefusal(spec(extra), POLICY)).toEqual({ reason, message });
  });

  it('hosts, when listed, and the allowances the weights download gets', () => {
    const hosts: TenantPolicy = { ...POLICY, urlHosts: ['*.example.com', 'hf.co'], urlSchemes: ['https', 'http'] };
    expect(policyRefusal(spec(url('https://a.example.com/m.gguf', 'http://hf.co/m.gguf')), hosts)).toBeNull();
    expect(policyRefusal(spec(url('https://example.com.evil/m.gguf', 'https://a.example.com/x.gguf')), hosts)).toEqual({
      reason: 'SourceNotAllowed',
      message: 'spec.source.url.files: example.com.evil is not an allowed host (policy.urlHosts: *.example.com, hf.co)',
    });
    expect(fetchAllowances({ ...hosts, internalHosts: ['10.0.0.0/8'] })).toEqual({
      allowHttp: true,
      allowHosts: ['10.0.0.0/8'],
    });
  });

  it.each([
    ['/models/a', '/models', true],
    ['/models', '/models', true],
    ['/models/a', '/models/', true],
    ['/anything', '/', true],
    ['/models2/a', '/models', false],
    ['/models/./a', '/models', false],
  ])('underFolder(%j, %j) is %j', (path, folder, expected) => {
    expect(underFolder(path, folder)).toBe(expected);
  });

  it('the operator refuses a bad policy setting by its key path in the config file', () => {
    const file = (text: string) => {
      const path = join(mkdtempSync(join(tmpdir(), 'gptoss-policy-')), 'operator.yaml');
      writeFileSync(path, text);
      return path;
    };
    const bad = file('policy:\n  hostPathPrefixes: [models]\n');
    expect(() => loadOperatorConfig({}, bad)).toThrow(`${bad}: policy.hostPathPrefixes.0 must be an absolute path`);
    const scheme = file('policy:\n  urlSchemes: [ftp]\n');
    expect(() => loadOperatorConfig({}, scheme)).toThrow(`${scheme}: policy.urlSchemes.0 must be https or http`);
  });
});

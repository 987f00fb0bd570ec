import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { defaultKubeTarget, inClusterTarget, plainKubeconfigTarget } from '../../../contract/kube/target.js';

/** Where the operator finds its API server and credentials, from files a test writes. */
describe('kube targets', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kube-target-'));
  });
  const kubeconfigBefore = process.env.KUBECONFIG;
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (kubeconfigBefore === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = kubeconfigBefore;
  });

  const kubeconfig = (
    cluster: Record<string, unknown>,
    user: Record<string, unknown>,
    name = 'config',
    write: (config: object) => string = (config) => stringify(config),
  ) => {
    const file = join(dir, name);
    writeFileSync(
      file,
      write({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'here',
        contexts: [
          { name: 'elsewhere', context: { cluster: 'other', user: 'other' } },
          { name: 'here', context: { cluster: 'c', user: 'u' } },
        ],
        clusters: [
          { name: 'other', cluster: { server: 'https://other:6443' } },
          { name: 'c', cluster },
        ],
        users: [{ name: 'u', user }],
      }),
    );
    return file;
  };

  it('reads a certificate kubeconfig itself: inline data, and files relative to the kubeconfig', async () => {
    writeFileSync(join(dir, 'client.crt'), 'CERT');
    const file = kubeconfig(
      {
        server: 'https://127.0.0.1:6443',
        'certificate-authority-data': Buffer.from('CA').toString('base64'),
        'tls-server-name': 'kubernetes',
      },
      { 'client-certificate': 'client.crt', 'client-key-data': Buffer.from('KEY').toString('base64') },
    );
    const target = plainKubeconfigTarget(file)!;
    expect(target.server).toBe('https://127.0.0.1:6443');
    const { tls, headers } = await target.credentials();
    expect([String(tls.ca), String(tls.cert), String(tls.key), tls.servername, headers]).toEqual([
      'CA',
      'CERT',
      'KEY',
      'kubernetes',
      {},
    ]);
  });

  it('reads a kubeconfig written as JSON or as a YAML flow mapping as it reads YAML; names a broken one', async () => {
    const cluster = { server: 'https://127.0.0.1:6443', 'certificate-authority-data': 'Q0E=' };
    const writers = {
      yaml: (config: object) => stringify(config),
      json: (config: object) => JSON.stringify(config, null, 2),
      // starts with `{` like JSON, but is YAML only (unquoted keys and values)
      flow: (config: object) => stringify(config, { collectionStyle: 'flow' }).replace(/"/g, ''),
    };
    for (const [format, write] of Object.entries(writers)) {
      const file = kubeconfig(cluster, { token: 'abc' }, `config.${format}`, write);
      if (format === 'flow') expect(() => JSON.parse(readFileSync(file, 'utf8'))).toThrow();
      const target = plainKubeconfigTarget(file)!;
      expect(target.server, format).toBe('https://127.0.0.1:6443');
      const { tls, headers } = await target.credentials();
      expect([String(tls.ca), headers], format).toEqual(['CA', { Authorization: 'Bearer abc' }]);
    }
    const broken = join(dir, 'broken');
    writeFileSync(broken, '{"clusters": [');
    expect(() => plainKubeconfigTarget(broken)).toThrow(`reading kubeconfig ${broken}`);
  });

  it('sends a token, or a token file read again as it rotates; skips verification only when told', async () => {
    const token = plainKubeconfigTarget(
      kubeconfig({ server: 'https://h', 'insecure-skip-tls-verify': true }, { token: 'abc' }),
    );
    expect(await token!.credentials()).toEqual({
      tls: { rejectUnauthorized: false },
      headers: { Authorization: 'Bearer abc' },
    });
    writeFileSync(join(dir, 'token'), 'first\n');
    let now = 0;
    const file = plainKubeconfigTarget(
      kubeconfig({ server: 'https://h' }, { tokenFile: 'token' }, 'with-file'),
      () => now,
    );
    expect((await file!.credentials()).headers).toEqual({ Authorization: 'Bearer first' });
    writeFileSync(join(dir, 'token'), 'second\n');
    now = 59_999;
    expect((await file!.credentials()).headers).toEqual({ Authorization: 'Bearer first' });
    now = 60_000;
    expect((await file!.credentials()).headers).toEqual({ Authorization: 'Bearer second' });
  });

  it('leaves to client-node what it does not read: exec plugins, auth providers, proxies, basic auth', async () => {
    const others: Array<[Record<string, unknown>, Record<string, unknown>]> = [
      [{ server: 'https://h' }, { exec: { command: 'aws', apiVersion: 'client.authentication.k8s.io/v1' } }],
      [{ server: 'https://h' }, { 'auth-provider': { name: 'oidc' } }],
      [{ server: 'https://h', 'proxy-url': 'http://proxy:3128' }, { token: 't' }],
      [{ server: 'https://h' }, { username: 'admin', password: 'secret' }],
    ];
    for (const [i, [cluster, user]] of others.entries())
      expect(plainKubeconfigTarget(kubeconfig(cluster, user, `other-${i}`)), JSON.stringify(user)).toBeNull();
  });

  it('finds the kubeconfig as kubectl does ($KUBECONFIG first), via client-node for one it cannot read', async () => {
    const plain = kubeconfig({ server: 'https://plain:6443' }, { token: 't' }, 'plain');
    process.env.KUBECONFIG = plain;
    expect((await defaultKubeTarget()).server).toBe('https://plain:6443');
    const basic = kubeconfig({ server: 'https://basic:6443' }, { username: 'u', password: 'p' }, 'basic');
    process.env.KUBECONFIG = basic;
    const viaLibrary = await defaultKubeTarget();
    expect(viaLibrary.server).toBe('https://basic:6443');
    expect((await viaLibrary.credentials()).headers).toEqual({
      Authorization: `Basic ${Buffer.from('u:p').toString('base64')}`,
    });
  });

  it("inside a pod: the API server's Service and the service account's CA and token", async () => {
    writeFileSync(join(dir, 'ca.crt'), 'CLUSTER-CA');
    writeFileSync(join(dir, 'token'), 'sa-token');
    const target = inClusterTarget(
      dir,
      { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
      () => 0,
    );
    expect(target.server).toBe('https://[fd00::1]:443');
    const { tls, headers } = await target.credentials();
    expect([String(tls.ca), headers]).toEqual(['CLUSTER-CA', { Authorization: 'Bearer sa-token' }]);
  });
});

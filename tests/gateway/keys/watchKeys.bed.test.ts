import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { startKeyDirectory, type RunningKeyDirectory } from '../../../gateway/keys/watchKeys.js';
import { GPTOSS } from '../../helpers/cli.js';
import { clusterAccess, kubectl, useNamespace, waitFor } from '../../helpers/cluster.js';
import { apiServerAddress, kubeconfigThrough, startTcpProxy } from '../../helpers/tcpProxy.js';

/**
 * The key directory on the real API server: keys written by `gptoss keys` (a process) and by kubectl
 * (as GitOps would) reach it through its watch within 5 s, and so do revocations and edits.
 */
const ns = useNamespace('keys-watch');
const FIVE_SECONDS = 5_000;

function gptossKeys(args: string[]): string {
  const result = spawnSync(process.execPath, [GPTOSS, 'keys', ...args, '--namespace', ns.name], {
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: inject('kubeconfig') },
    timeout: 60_000,
  });
  if (result.status !== 0) throw new Error(`gptoss keys ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

/** The documented hand-written key Secret (docs/gateway.md, "API keys"), as YAML for kubectl apply. */
function handWritten(id: string, key: string, fields: Record<string, string>, labelled = true): string {
  const sha256 = createHash('sha256').update(key).digest('hex');
  const labels = labelled ? '\n  labels:\n    gptoss.io/api-key: "true"' : '';
  const lines = Object.entries({ sha256, ...fields }).map(([k, v]) => `  ${k}: "${v}"`);
  return [
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    `  name: gptoss-key-${id}`,
    `  namespace: ${ns.name}${labels}`,
    'type: Opaque',
    'stringData:',
    ...lines,
  ].join('\n');
}
const handKey = (id: string) => `gptoss_${id}_${randomBytes(32).toString('hex')}`;

describe('the key directory on the real API server', () => {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    }),
  );
  let directory: RunningKeyDirectory;
  beforeAll(async () => {
    directory = await startKeyDirectory({
      kc: clusterAccess().kc,
      config: { keysNamespace: ns.name, informerStallSeconds: 300 },
      log,
    });
  });
  afterAll(() => directory?.stop());
  beforeEach(() => {
    lines.length = 0;
  });

  it('sees a key made by gptoss keys create within 5 s, with its policy, and its revocation within 5 s', async () => {
    const key = gptossKeys([
      'create',
      '--team',
      'search',
      '--models',
      `${ns.name}/chat`,
      '--requests-per-minute',
      '30',
      '--tokens-per-minute',
      '9000',
      '--max-concurrent',
      '3',
      '--max-reasoning-effort',
      'medium',
    ]);
    const id = key.split('_')[1]!;
    await waitFor(() => directory.authenticate(key) !== null, FIVE_SECONDS, 'the new key');
    expect(directory.authenticate(key)).toEqual({
      keyId: `gptoss-key-${id}`,
      policy: {
        team: 'search',
        models: [`${ns.name}/chat`],
        requestsPerMinute: 30,
        tokensPerMinute: 9000,
        maxConcurrent: 3,
        maxReasoningEffort: 'medium',
      },
    });
    gptossKeys(['revoke', id]);
    await waitFor(() => directory.authenticate(key) === null, FIVE_SECONDS, 'the revocation');
    expect(lines.map((l) => l.msg)).toEqual(['Loaded API key', 'Revoked API key']);
    expect(JSON.stringify(lines)).not.toContain(key.split('_')[2]);
  });

  it('takes a hand-written Secret (kubectl, GitOps) and applies an edit of its policy', async () => {
    const key = handKey('ci-bot');
    kubectl(['apply', '-f', '-'], handWritten('ci-bot', key, { team: 'ci', requestsPerMinute: '10' }));
    await waitFor(() => directory.authenticate(key) !== null, FIVE_SECONDS, 'the hand-written key');
    expect(directory.authenticate(key)?.policy).toMatchObject({ team: 'ci', requestsPerMinute: 10, models: null });
    kubectl([
      'patch',
      'secret',
      'gptoss-key-ci-bot',
      '-n',
      ns.name,
      '--type=merge',
      '-p',
      JSON.stringify({ stringData: { requestsPerMinute: '20', maxReasoningEffort: 'low' } }),
    ]);
    await waitFor(
      () => directory.authenticate(key)?.policy.requestsPerMinute === 20,
      FIVE_SECONDS,
      'the edited policy',
    );
    expect(directory.authenticate(key)?.policy.maxReasoningEffort).toBe('low');
  });

  it('skips a malformed Secret with a warning naming it and the field, and disables a key an edit breaks', async () => {
    const key = handKey('broken');
    kubectl(['apply', '-f', '-'], handWritten('broken', key, { team: 'ci', maxConcurrent: 'several' }));
    await waitFor(() => lines.some((l) => l.msg === 'Skipped invalid API key Secret'), FIVE_SECONDS, 'the warning');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'Skipped invalid API key Secret',
        kind: 'Secret',
        namespace: ns.name,
        name: 'gptoss-key-broken',
        field: 'data.maxConcurrent',
        reason: 'must be a number',
      }),
    ]);
    expect(directory.authenticate(key)).toBeNull();

    kubectl(['apply', '-f', '-'], handWritten('broken', key, { team: 'ci', maxConcurrent: '2' }));
    await waitFor(() => directory.authenticate(key) !== null, FIVE_SECONDS, 'the repaired key');
    kubectl(['apply', '-f', '-'], handWritten('broken', key, { team: 'ci', maxConcurrent: '2', models: 'chat' }));
    await waitFor(() => directory.authenticate(key) === null, FIVE_SECONDS, 'the broken key to stop working');
    expect(lines.at(-1)).toMatchObject({ name: 'gptoss-key-broken', field: 'data.models' });
  });

  it('reads only labelled Secrets: one without the label is never a key, and removing it revokes', async () => {
    const unlabelled = handKey('unlabelled');
    const labelled = handKey('labelled');
    kubectl(['apply', '-f', '-'], handWritten('unlabelled', unlabelled, { team: 'ci' }, false));
    kubectl(['apply', '-f', '-'], handWritten('labelled', labelled, { team: 'ci' }));
    // one watch delivers in order: once the later Secret is in, the earlier one would be too
    await waitFor(() => directory.authenticate(labelled) !== null, FIVE_SECONDS, 'the labelled key');
    expect(directory.authenticate(unlabelled)).toBeNull();
    kubectl(['label', 'secret', 'gptoss-key-labelled', '-n', ns.name, 'gptoss.io/api-key-']);
    await waitFor(() => directory.authenticate(labelled) === null, FIVE_SECONDS, 'the unlabelled key to be revoked');
  });
});

describe('the key directory when its watch breaks', () => {
  it('keeps the keys it knew while the API server is unreachable, and catches up once it is back', async () => {
    const kubeconfig = inject('kubeconfig');
    const proxy = await startTcpProxy(apiServerAddress(kubeconfig));
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigThrough(kubeconfig, proxy));
    const warnings: string[] = [];
    const log = pino(
      { level: 'warn' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          warnings.push(chunk.toString());
          done();
        },
      }),
    );
    const key = handKey('outage');
    kubectl(['apply', '-f', '-'], handWritten('outage', key, { team: 'ci' }));
    const directory = await startKeyDirectory({
      kc,
      config: { keysNamespace: ns.name, informerStallSeconds: 300 },
      log,
    });
    try {
      expect(directory.authenticate(key)).not.toBeNull();
      proxy.mode('refuse');
      await waitFor(() => warnings.some((w) => w.includes('Informer failed')), 10_000, 'the watch to fail');
      kubectl(['delete', 'secret', 'gptoss-key-outage', '-n', ns.name]);
      // stale by design: the last keys known stay usable rather than the gateway refusing everyone
      expect(directory.authenticate(key)).not.toBeNull();
      proxy.mode('forward');
      // the supervisor's back-off is at most 30 s; then the watch resumes and delivers the deletion
      await waitFor(() => directory.authenticate(key) === null, 35_000, 'the revocation after the outage');
    } finally {
      await directory.stop();
      await proxy.close();
    }
  });
});

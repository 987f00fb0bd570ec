import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { GPTOSS } from '../helpers/cli.js';
import { kubectl, kubectlResult, useNamespace } from '../helpers/cluster.js';

/** `gptoss keys` as a process against the real API server, as an admin runs it. */
const ns = useNamespace('keys-cli');

function keys(args: string[]) {
  const result = spawnSync(process.execPath, [GPTOSS, 'keys', ...args], {
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: inject('kubeconfig') },
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Creates a key; its id and the key itself from stdout. */
function createKey(...flags: string[]) {
  const created = keys(['create', '--namespace', ns.name, ...flags]);
  expect(created.stderr).toMatch(/^Created API key/);
  expect(created.status).toBe(0);
  const key = created.stdout.trim();
  return { key, id: /^gptoss_([0-9a-f]{12})_/.exec(key)![1]!, created };
}

const readSecret = (name: string) => JSON.parse(kubectl(['get', 'secret', name, '-n', ns.name, '-o', 'json']));
const decoded = (data: Record<string, string>) =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));

describe('gptoss keys (process, real API server)', () => {
  it('create prints the key once, alone on stdout; its Secret holds the SHA-256 and the policy, not the key', () => {
    const { key, id, created } = createKey(
      '--team',
      'search',
      '--models',
      `${ns.name}/chat,${ns.name}/code`,
      '--requests-per-minute',
      '60',
      '--tokens-per-minute',
      '40000',
      '--max-concurrent',
      '2',
      '--max-reasoning-effort',
      'low',
    );
    expect(created.stdout).toMatch(/^gptoss_[0-9a-f]{12}_[0-9a-f]{64}\n$/);
    expect(created.stderr).toBe(
      `Created API key ${id} for team search (Secret ${ns.name}/gptoss-key-${id}); the key is shown only this once\n`,
    );
    const secret = readSecret(`gptoss-key-${id}`);
    expect(secret.type).toBe('Opaque');
    expect(secret.metadata.labels).toEqual({ 'gptoss.io/api-key': 'true', 'gptoss.io/team': 'search' });
    expect(decoded(secret.data)).toEqual({
      sha256: createHash('sha256').update(key).digest('hex'),
      team: 'search',
      models: `${ns.name}/chat,${ns.name}/code`,
      requestsPerMinute: '60',
      tokensPerMinute: '40000',
      maxConcurrent: '2',
      maxReasoningEffort: 'low',
    });
    const secretPart = key.split('_')[2]!;
    const everything = JSON.stringify(secret) + JSON.stringify(decoded(secret.data));
    expect(everything).not.toContain(secretPart);
    expect(everything).not.toContain(Buffer.from(key).toString('base64'));
  });

  it('list shows ids, teams and policies (never digests) and names an unusable Secret on stderr', () => {
    const first = createKey('--team', 'ads', '--requests-per-minute', '5');
    const second = createKey('--team', 'ml-platform');
    kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'gptoss-key-broken', namespace: ns.name, labels: { 'gptoss.io/api-key': 'true' } },
        stringData: { sha256: 'a'.repeat(64), team: 'ads', requestsPerMinute: 'many' },
      }),
    );
    const listed = keys(['list', '--namespace', ns.name]);
    expect(listed.status).toBe(0);
    expect(listed.stderr).toBe(
      `Secret ${ns.name}/gptoss-key-broken is not a usable key: data.requestsPerMinute must be a number\n`,
    );
    const rows = listed.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^ID\s+TEAM\s+MODELS\s+REQUESTS\/MIN\s+TOKENS\/MIN\s+CONCURRENT\s+MAX-EFFORT\s+CREATED$/);
    const row = (id: string) => rows.find((r) => r.startsWith(id))?.split(/\s+/);
    expect(row(first.id)).toEqual([first.id, 'ads', '*', '5', '-', '-', '-', expect.stringMatching(/^20\d\d-.*Z$/)]);
    expect(row(second.id)).toEqual([second.id, 'ml-platform', '*', '-', '-', '-', '-', expect.any(String)]);
    const digest = (key: string) => createHash('sha256').update(key).digest('hex');
    expect(listed.stdout).not.toContain(digest(first.key));
    expect(listed.stdout).not.toContain(first.key.split('_')[2]);
  });

  it('revoke deletes the Secret, by id or Secret name; a second revoke finds no key', () => {
    const { id } = createKey('--team', 'search');
    expect(keys(['revoke', id, '--namespace', ns.name])).toEqual({
      status: 0,
      stdout: `Revoked API key ${id}\n`,
      stderr: '',
    });
    expect(kubectlResult(['get', 'secret', `gptoss-key-${id}`, '-n', ns.name]).stderr).toContain('NotFound');
    expect(keys(['revoke', `gptoss-key-${id}`, '--namespace', ns.name])).toEqual({
      status: 1,
      stdout: '',
      stderr: `gptoss keys revoke: no API key ${id} in namespace ${ns.name}\n`,
    });
    const other = createKey('--team', 'search');
    expect(keys(['revoke', `gptoss-key-${other.id}`, '--namespace', ns.name]).status).toBe(0);
  });

  it('revoke leaves alone a Secret of a key name that is not labelled as a key', () => {
    kubectl(['create', 'secret', 'generic', 'gptoss-key-plain', '-n', ns.name, '--from-literal=team=x']);
    expect(keys(['revoke', 'plain', '--namespace', ns.name])).toEqual({
      status: 1,
      stdout: '',
      stderr:
        `gptoss keys revoke: Secret ${ns.name}/gptoss-key-plain is not an API key: ` +
        'it lacks the label gptoss.io/api-key=true\n',
    });
    expect(kubectl(['get', 'secret', 'gptoss-key-plain', '-n', ns.name, '-o', 'name'])).toBe(
      'secret/gptoss-key-plain\n',
    );
  });

  it.each<[string[], string]>([
    [['create'], 'gptoss keys create: --team is required'],
    [
      ['create', '--team', 'search team'],
      'gptoss keys create: --team must be 1 to 63 letters, digits, "-", "_" or ".", ' +
        'starting and ending with a letter or digit',
    ],
    [
      ['create', '--team', 't', '--requests-per-minute', '0'],
      'gptoss keys create: --requests-per-minute must be between 1 and 1000000000',
    ],
    [['create', '--team', 't', '--max-concurrent', 'two'], 'gptoss keys create: --max-concurrent must be a number'],
    [
      ['create', '--team', 't', '--max-reasoning-effort', 'max'],
      'gptoss keys create: --max-reasoning-effort must be low, medium or high',
    ],
    [
      ['create', '--team', 't', '--models', 'chat'],
      'gptoss keys create: --models must list models as <namespace>/<name>[:<adapter>|:*],...: "chat" is not one',
    ],
    [
      ['create', '--team', 't', '--namespace', 'Keys_NS'],
      'gptoss keys create: --namespace must be a namespace name (lowercase letters, digits and "-")',
    ],
    [
      ['revoke', 'Not_An_Id'],
      'gptoss keys revoke: "Not_An_Id" is not a key id: give the <id> of gptoss_<id>_..., or gptoss-key-<id>',
    ],
  ])('refuses bad arguments with exit code 2, naming the flag: %j', (args, message) => {
    expect(keys(args)).toEqual({ status: 2, stdout: '', stderr: `${message}\n` });
  });

  it("says so when there are no keys, and passes on the API server's reason for a failure", () => {
    const empty = `${ns.name}-none`;
    expect(keys(['list', '--namespace', empty])).toEqual({
      status: 0,
      stdout: '',
      stderr: `No API keys in namespace ${empty}.\n`,
    });
    const failed = keys(['create', '--team', 't', '--namespace', empty]);
    expect(failed.status).toBe(1);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toMatch(
      new RegExp(
        `^gptoss keys create: creating Secret ${empty}/gptoss-key-[0-9a-f]{12}: ` +
          `HTTP 404: namespaces "${empty}" not found\\n$`,
      ),
    );
  });
});

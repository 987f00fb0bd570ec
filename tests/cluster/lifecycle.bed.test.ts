import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSIONS } from '../../scripts/clusterBinaries.js';
import { down, readState, status, up } from '../../cluster/cluster.js';
import { runs } from '../../cluster/processes.js';
import { PACKAGE_ROOT } from '../../contract/paths.js';
import { listeningSockets } from '../helpers/sockets.js';

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

describe('npm run cluster: up, reuse, status, audit log, down', () => {
  it('up starts every component, up again reuses it, the audit log records, down leaves nothing', async () => {
    const name = 'lifecycle';
    const policy = join(mkdtempSync(join(tmpdir(), 'gptoss-audit-')), 'policy.yaml');
    writeFileSync(policy, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n');
    const state = await up({ name, auditPolicy: policy, log: () => undefined });
    const pids = Object.values(state.processes);
    expect(pids).toHaveLength(5);
    expect(pids.every((p) => runs(p.pid, p.binary))).toBe(true);
    const port = Number(new URL(state.server).port);
    expect(await listening(port)).toBe(true);
    expect(await status(name)).toMatch(/healthy/);
    // everything of ours listens on loopback only
    const sockets = pids.flatMap((p) => listeningSockets(p.pid));
    expect(sockets.length).toBeGreaterThanOrEqual(5);
    for (const socket of sockets) expect(socket).toMatch(/^127\.0\.0\.1:\d+$/);
    const ports = sockets.map((s) => Number(s.split(':')[1]));

    const kubectl = (...args: string[]) =>
      execFileSync(state.binaries.kubectl, [`--kubeconfig=${state.kubeconfig}`, ...args], { encoding: 'utf8' });
    kubectl('get', 'configmaps', '-n', 'kube-system');
    const audit = readFileSync(state.auditLog!, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { verb: string; objectRef?: { resource?: string }; user: { username: string } });
    expect(
      audit.some(
        (e) => e.verb === 'list' && e.objectRef?.resource === 'configmaps' && e.user.username === 'gptoss-admin',
      ),
    ).toBe(true);

    // every binary reports its real version (the ldflags), not v0.0.0-master
    expect(kubectl('version', '-o', 'json')).toMatch(
      new RegExp(`"gitVersion": "${VERSIONS.kubernetes}"[\\s\\S]*"gitVersion": "${VERSIONS.kubernetes}"`),
    );
    expect(execFileSync(state.binaries.helm, ['version', '--short'], { encoding: 'utf8' })).toMatch(
      new RegExp(`^${VERSIONS.helm.replace(/\./g, '\\.')}`),
    );
    expect(execFileSync(state.binaries.etcd, ['--version'], { encoding: 'utf8' })).toContain(
      `etcd Version: ${VERSIONS.etcd.slice(1)}`,
    );
    expect(execFileSync(state.binaries.kwok, ['--version'], { encoding: 'utf8' })).toContain(
      `kwok version ${VERSIONS.kwok}`,
    );

    const extraNode = join(dirname(policy), 'nodes.yaml');
    writeFileSync(
      extraNode,
      'apiVersion: v1\nkind: Node\nmetadata:\n  name: lifecycle-extra\n  annotations:\n    kwok.x-k8s.io/node: fake\n' +
        '  labels:\n    type: kwok\n',
    );
    expect(() => kubectl('get', 'node', 'lifecycle-extra')).toThrow(/not found/);
    const again = await up({ name, nodesFile: extraNode, log: () => undefined });
    expect(again.processes).toEqual(state.processes); // reused, not restarted
    // a rerun that asks for more nodes (bench:operator's bigger pool) gets them on the reused cluster
    expect(kubectl('get', 'node', 'lifecycle-extra', '-o', 'name').trim()).toBe('node/lifecycle-extra');

    await down(name, () => undefined);
    expect(pids.some((p) => runs(p.pid, p.binary))).toBe(false);
    for (const p of ports) expect(await listening(p), `port ${p}`).toBe(false);
    expect(readState(name)).toBeNull();
    expect(await status(name)).toBe(`cluster ${name}: not running`);
  });
});

describe('the cluster command line', () => {
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'dist', 'cluster', 'cli.js'), ...args], {
      encoding: 'utf8',
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  it('status of a cluster that does not run, and bad usage', () => {
    expect(cli('status', '--name', 'absent')).toMatchObject({ status: 0, stdout: 'cluster absent: not running\n' });
    const bad = cli('sideways');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^cluster: usage: npm run cluster -- up \| down \| status/);
    expect(cli('up', '--name', 'Bad_Name')).toMatchObject({
      status: 1,
      stderr: 'cluster: --name must be lower-case letters, digits and -\n',
    });
  });
});

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../contract/paths.js';
import { clusterAccess } from '../../helpers/cluster.js';

const agentCli = (...args: string[]) =>
  spawnSync(process.execPath, [join(PACKAGE_ROOT, 'dist', 'cluster', 'agent', 'cli.js'), ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });

/** `npm run agent` with bad input: one clear line on stderr, exit 2 for usage and settings, 1 otherwise. */
describe('npm run agent: bad input', () => {
  it.each([
    [[], 2, /^agent: usage: npm run agent -- --name CLUSTER \| --kubeconfig FILE/],
    [['--name', 'a', '--kubeconfig', '/k'], 2, /^agent: usage:/],
    [['--name', 'a', '--bogus'], 2, /^agent: Unknown option '--bogus'/],
    [
      ['--name', 'no-such-cluster'],
      1,
      /^agent: cluster no-such-cluster is not running: start it with npm run cluster -- up --name no-such-cluster$/,
    ],
  ])('%j exits %i', (args, status, message) => {
    const result = agentCli(...args);
    expect(result.status).toBe(status);
    expect(result.stderr.trim()).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('rejects bad settings before it registers anything', () => {
    const { kubeconfig } = clusterAccess();
    const count = agentCli('--kubeconfig', kubeconfig, '--gpu-count', 'eight');
    expect([count.status, count.stderr.trim()]).toEqual([2, 'agent: --gpu-count must be a whole number']);
    const subnet = agentCli('--kubeconfig', kubeconfig, '--pod-subnet', '10.0.0.0/8');
    expect(subnet.status).toBe(2);
    expect(subnet.stderr.trim()).toBe(
      'agent: agent config podSubnet must be a CIDR inside 127.0.0.0/8 with a prefix of /8 to /30, e.g. 127.1.0.0/16',
    );
  });
});

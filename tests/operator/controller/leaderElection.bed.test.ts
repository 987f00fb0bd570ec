import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LeaderElector, microTime } from '../../../operator/controller/leaderElection.js';
import { CRD_FILE } from '../../../scripts/genCrd.js';
import { clusterAccess, ensureCrd, kubectl, useNamespace, waitFor } from '../../helpers/cluster.js';
import { watchLeaderGauges, watchLeaseHolders } from '../../helpers/leadership.js';
import { leadershipTimes, logLines, startOperatorProcess, type OperatorProcess } from '../../helpers/operator.js';
import { apiServerAddress, kubeconfigThrough, startTcpProxy, type TcpProxy } from '../../helpers/tcpProxy.js';

type LeaseObject = { spec: { holderIdentity?: string; renewTime: string; leaseTransitions?: number } };
const readLease = (namespace: string, name = 'gptoss-operator') =>
  JSON.parse(kubectl(['get', 'lease', name, '-n', namespace, '-o', 'json'])) as LeaseObject;

describe('leader election on a Lease, on the real API server', () => {
  const ns = useNamespace('lease');
  const elector = (identity: string, leaseDurationSeconds = 2) =>
    new LeaderElector(clusterAccess().client, {
      namespace: ns.name,
      name: 'gptoss-operator',
      identity,
      leaseDurationSeconds,
      renewDeadlineMs: (leaseDurationSeconds * 1000 * 2) / 3,
      retryPeriodMs: 200,
    });
  const track = (e: LeaderElector, log: string[], id: string) =>
    e.start({
      onStartedLeading: () => log.push(`${id} leads`),
      onStoppedLeading: (why) => log.push(`${id} stopped: ${why}`),
      onError: (err) => log.push(`${id} error ${String(err)}`),
    });

  it('MicroTime has the six fractional digits the API server wants', () => {
    expect(microTime(new Date('2026-11-28T10:00:00.123Z'))).toBe('2026-11-28T10:00:00.123000Z');
  });

  // a clean stop hands over at once
  it('one of two candidates leads; when it dies the other takes over after the lease duration', async () => {
    const log: string[] = [];
    const a = elector('operator-a');
    const b = elector('operator-b');
    track(a, log, 'a');
    await waitFor(() => a.isLeader, 10_000, `a to lead: ${log.join('\n')}`);
    track(b, log, 'b');
    await new Promise((r) => setTimeout(r, 600));
    expect(b.isLeader).toBe(false);
    const lease = readLease(ns.name);
    expect(lease.spec.holderIdentity).toBe('operator-a');
    expect(lease.spec.renewTime).toMatch(/\.\d{6}Z$/);

    const died = Date.now();
    await a.stop(false); // as if the process died: no release, renewals stop
    await waitFor(() => b.isLeader, 10_000, 'b to take over');
    const waited = Date.now() - died;
    expect(waited).toBeGreaterThanOrEqual(1000); // not before the lease could expire (2 s since a's last renewal)

    const c = elector('operator-c');
    track(c, log, 'c');
    await b.stop(true); // clean shutdown releases the lease
    await waitFor(() => c.isLeader, 5_000, 'c to take over after the release');
    await c.stop(true);
    expect(log.filter((l) => l.includes('error') || l.includes('stopped'))).toEqual([]);
    expect(log).toEqual(expect.arrayContaining(['a leads', 'b leads', 'c leads']));
  });
});

/**
 * Two `gptoss operator` processes on the real control plane; the leader reaches the API server
 * through a TCP proxy the test breaks (tests/helpers/tcpProxy.ts), the follower directly. Lease 3 s,
 * renew deadline 2 s (two thirds), retry 200 ms: every Lease request times out after 1 s.
 */
describe('two operator processes: the leader behind a connection that fails', () => {
  const ns = useNamespace('election');
  beforeAll(() => ensureCrd(CRD_FILE));
  const running: OperatorProcess[] = [];
  let proxy: TcpProxy | null = null;
  afterEach(async () => {
    for (const p of running.splice(0)) p.kill('SIGKILL');
    await proxy?.close();
    proxy = null;
  });

  /** A leads through the proxy; B, started once A leads, follows. */
  async function leaderBehindProxy(lease: string, timing: Record<string, number> = {}) {
    const { kubeconfig, kc } = clusterAccess();
    proxy = await startTcpProxy(apiServerAddress(kubeconfig));
    const settings = { leaseName: lease, ...timing };
    const a = await startOperatorProcess(ns.name, `${lease}-a`, settings, [], {
      kubeconfig: kubeconfigThrough(kubeconfig, proxy),
    });
    running.push(a);
    await waitFor(async () => (await a.isLeader()) === true, 20_000, `a to lead: ${a.logs()}`);
    const b = await startOperatorProcess(ns.name, `${lease}-b`, settings);
    running.push(b);
    const holders = watchLeaseHolders(kc, ns.name, lease);
    const gauges = watchLeaderGauges(() => running);
    return { a, b, proxy, holders, gauges };
  }

  // a renew deadline of 4 s (lease 5 s) leaves room around the 1.5 s of refusals on a busy machine
  it('the API server refusing the leader for less than the renew deadline: it keeps leading', async () => {
    const { a, b, proxy, holders, gauges } = await leaderBehindProxy('refused', {
      leaseDurationSeconds: 5,
      renewDeadlineSeconds: 4,
    });
    await new Promise((r) => setTimeout(r, 600)); // b has seen a renew a few times
    proxy.mode('refuse');
    const refusedAt = Date.now();
    await waitFor(
      () => a.logs().includes('Failed to renew the Lease'),
      5_000,
      `a renewal to fail while refused: ${a.logs()}`,
    );
    // several renewals refused (1.5 s at 200 ms), well inside the renew deadline; then the connection comes back
    await new Promise((r) => setTimeout(r, Math.max(0, refusedAt + 1500 - Date.now())));
    proxy.mode('forward');
    const forwardedAt = Date.now();
    await waitFor(
      () => Date.parse(readLease(ns.name, 'refused').spec.renewTime) > forwardedAt,
      5_000,
      'a renewal to succeed again',
    );
    await new Promise((r) => setTimeout(r, 5500)); // longer than the lease: b would have taken over by now

    expect(await a.isLeader()).toBe(true);
    expect(await b.isLeader()).toBe(false);
    expect(leadershipTimes(a)).toEqual({ acquired: [expect.any(Number)], lost: [] });
    expect(leadershipTimes(b)).toEqual({ acquired: [], lost: [] });
    const failures = logLines(a).filter((l) => l.msg === 'Failed to renew the Lease');
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures[0]).toMatchObject({ level: 'warn', identity: 'refused-a', lease: `${ns.name}/refused` });
    expect(await holders.stop()).toEqual([expect.objectContaining({ holder: 'refused-a' })]);
    expect((await gauges.stop()).overlaps).toEqual([]);
  });

  it('a frozen connection: the leader stops before the other takes over, never two leaders', async () => {
    const { a, b, proxy, holders, gauges } = await leaderBehindProxy('frozen');
    await new Promise((r) => setTimeout(r, 600));
    proxy.mode('freeze');
    // the renew deadline passes with every request hanging: a stops leading and exits, to come back as a candidate
    expect(await a.exited).toBe(1);
    await waitFor(async () => (await b.isLeader()) === true, 10_000, `b to take over: ${b.logs()}`);
    await waitFor(() => holders.history.at(-1)?.holder === 'frozen-b', 5_000, 'the Lease to name b');
    const history = await holders.stop();
    const { overlaps, samples } = await gauges.stop();

    const lostLine = logLines(a).find((l) => l.msg === 'Lost leadership');
    expect(lostLine).toMatchObject({
      level: 'error',
      identity: 'frozen-a',
      reason: 'no successful renewal of the Lease for 2000 ms',
    });
    const [lostAt] = leadershipTimes(a).lost;
    const [acquiredAt] = leadershipTimes(b).acquired;
    // ordered on one clock (both processes run here): a had stopped acting as leader before b began
    expect(lostAt).toBeLessThan(acquiredAt!);
    expect(history.map((h) => h.holder)).toEqual(['frozen-a', 'frozen-b']);
    expect(Date.parse(history[1]!.acquireTime)).toBeGreaterThan(lostAt!);
    expect(history[1]!.transitions).toBe(history[0]!.transitions + 1);
    expect(samples).toBeGreaterThan(10);
    expect(overlaps).toEqual([]);
  });
});

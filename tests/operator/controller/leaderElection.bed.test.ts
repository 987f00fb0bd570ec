import { describe, expect, it } from 'vitest';
import { LeaderElector, microTime } from '../../../operator/controller/leaderElection.js';
import { clusterAccess, kubectl, useNamespace, waitFor } from '../../helpers/cluster.js';

describe('leader election on a Lease, on the real API server', () => {
  const ns = useNamespace('lease');
  const elector = (identity: string, leaseDurationSeconds = 2) =>
    new LeaderElector(clusterAccess().kc, {
      namespace: ns.name,
      name: 'gptoss-operator',
      identity,
      leaseDurationSeconds,
      retryPeriodMs: 200,
    });
  const track = (e: LeaderElector, log: string[], id: string) =>
    e.start({
      onStartedLeading: () => log.push(`${id} leads`),
      onStoppedLeading: () => log.push(`${id} stopped`),
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
    await waitFor(() => a.isLeader, 10_000, 'a to lead');
    track(b, log, 'b');
    await new Promise((r) => setTimeout(r, 600));
    expect(b.isLeader).toBe(false);
    const lease = JSON.parse(kubectl(['get', 'lease', 'gptoss-operator', '-n', ns.name, '-o', 'json'])) as {
      spec: { holderIdentity: string; renewTime: string };
    };
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
    expect(log.filter((l) => l.includes('error'))).toEqual([]);
    expect(log).toEqual(expect.arrayContaining(['a leads', 'b leads', 'c leads']));
  });
});

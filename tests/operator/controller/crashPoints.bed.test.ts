import { AppsV1Api, CoreV1Api, PolicyV1Api } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { CRD_FILE } from '../../../scripts/genCrd.js';
import { clusterAccess, ensureCrd, kubectl, useNamespace, waitFor } from '../../helpers/cluster.js';
import { converged, readModel, startOperatorProcess } from '../../helpers/operator.js';

/** Every write of a fresh model's first reconcile: Deployment, two Services, PDB, status, four Events. */
const CRASH_POINTS = 9;
/**
 * A short Lease so each fresh operator takes over soon after a crash; not shorter, since a renew deadline under a
 * second is missed on a loaded 2-core machine and the leader then exits 1, as it must.
 */
const SETTINGS = { leaseDurationSeconds: 3, retryPeriodMs: 100 };

/**
 * Crash points: the operator exits right after its n-th API write (n = 1 .. every write of a first
 * reconcile), a fresh operator takes over, and the children and status it converges to are the
 * same as an uninterrupted run's. Real processes on the real control plane.
 */
describe('operator crash points', () => {
  const ns = useNamespace('crash');
  beforeAll(() => ensureCrd(CRD_FILE));
  const { kc } = clusterAccess();

  const apply = (name: string) =>
    kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'gptoss.io/v1alpha1',
        kind: 'GptOssModel',
        metadata: { name, namespace: ns.name },
        spec: { variant: 'gpt-oss-20b', replicas: 2, source: { hostPath: { path: '/models/gpt-oss-20b.gguf' } } },
      }),
    );

  /**
   * Children and status as data, with what differs between two models by nature (name, uid, times, cluster IP) taken
   * out.
   */
  async function snapshot(name: string) {
    const [deployment, http, grpc, pdb] = await Promise.all([
      kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace: ns.name, name }),
      kc.makeApiClient(CoreV1Api).readNamespacedService({ namespace: ns.name, name }),
      kc.makeApiClient(CoreV1Api).readNamespacedService({ namespace: ns.name, name: `${name}-grpc` }),
      kc.makeApiClient(PolicyV1Api).readNamespacedPodDisruptionBudget({ namespace: ns.name, name }),
    ]);
    const status = readModel(ns.name, name).status!;
    const data = {
      deployment: {
        labels: deployment.metadata?.labels,
        annotations: deployment.metadata?.annotations,
        owner: deployment.metadata?.ownerReferences?.map((o) => o.kind),
        spec: deployment.spec,
      },
      http: { ...http.spec, clusterIP: undefined, clusterIPs: undefined },
      grpc: grpc.spec,
      pdb: pdb.spec,
      // the count of fitting nodes follows the cluster's nodes, which other test files add and remove meanwhile
      status: {
        ...status,
        placement: { ...(status.placement as object), fittingNodes: undefined },
        conditions: status.conditions?.map(({ lastTransitionTime: _t, ...c }) => ({
          ...c,
          message: c.message?.replace(/; \d+ node\(s\) fit$/, ''),
        })),
      },
    };
    // the spec hash covers the pod template, which names the model
    return JSON.parse(
      JSON.stringify(data)
        .replaceAll(name, 'MODEL')
        .replace(/("gptoss.io\/spec-hash":")[0-9a-f]+"/g, '$1HASH"'),
    ) as unknown;
  }

  async function convergeWithFreshOperator(name: string) {
    const op = await startOperatorProcess(ns.name, `fresh-${name}`, SETTINGS);
    await waitFor(() => converged(ns.name, name, 2), 90_000, `${name} to converge: ${op.logs()}`);
    op.kill('SIGTERM');
    expect(await op.exited, `exit code after SIGTERM: ${op.logs()}`).toBe(0);
  }

  it(`a crash after each of the first ${CRASH_POINTS} writes: a restart converges to the same state`, async () => {
    apply('cp-ref');
    await convergeWithFreshOperator('cp-ref');
    const reference = await snapshot('cp-ref');
    kubectl(['delete', 'gom', 'cp-ref', '-n', ns.name, '--wait=false']);

    for (let n = 1; n <= CRASH_POINTS; n++) {
      const name = `cp-${n}`;
      apply(name);
      const crashing = await startOperatorProcess(ns.name, `crashing-${n}`, SETTINGS, [], { crashAfterWrites: n });
      expect(await crashing.exited, `operator exit code at crash point ${n}: ${crashing.logs()}`).toBe(3);
      expect(crashing.logs()).toContain('Exited at a crash point');
      await convergeWithFreshOperator(name);
      expect(await snapshot(name), `children and status after a crash after write ${n}`).toEqual(reference);
      kubectl(['delete', 'gom', name, '-n', ns.name, '--wait=false']);
    }
  }, 300_000);
});

import { spawnSync } from 'node:child_process';
import { AppsV1Api } from '@kubernetes/client-node';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CRD_FILE } from '../../../scripts/genCrd.js';
import { toolPath } from '../../../scripts/tools.js';
import { clusterAccess, ensureCrd, eventsAbout, kubectl, useNamespace, waitFor } from '../../helpers/cluster.js';
import {
  condition,
  converged,
  modelManifest as model,
  readModel,
  startOperatorProcess,
  type OperatorProcess,
} from '../../helpers/operator.js';

/** `gptoss operator` as a process against the real control plane: what users do with kubectl, and failover. */
describe('gptoss operator (process)', () => {
  const ns = useNamespace('operator');
  beforeAll(() => ensureCrd(CRD_FILE));
  const running: OperatorProcess[] = [];
  const start = async (identity: string, settings: Record<string, unknown> = {}) => {
    const p = await startOperatorProcess(ns.name, identity, settings);
    running.push(p);
    return p;
  };
  afterEach(() => {
    for (const p of running.splice(0)) p.kill('SIGKILL');
  });
  const apps = () => clusterAccess().kc.makeApiClient(AppsV1Api);
  const deploymentReplicas = async (name: string) =>
    (await apps().readNamespacedDeployment({ namespace: ns.name, name })).spec?.replicas;

  // SIGTERM frees the Lease
  it('apply → Ready; a change rolls out; kubectl scale to 3 and 0; delete cleans up', async () => {
    const op = await start('solo');
    kubectl(['apply', '-f', '-'], model(ns.name, 'chat'));
    await waitFor(() => converged(ns.name, 'chat', 1), 60_000, `the model to be Ready: ${op.logs()}`);
    expect(kubectl(['get', 'gom', 'chat', '-n', ns.name])).toMatch(/chat\s+gpt-oss-20b\s+1\s+1\s+Tesla-T4/);

    // drift: a hand edit of the Deployment is undone, a deleted Deployment comes back
    const grace = async () =>
      (await apps().readNamespacedDeployment({ namespace: ns.name, name: 'chat' })).spec?.template.spec
        ?.terminationGracePeriodSeconds;
    kubectl([
      'patch',
      'deployment',
      'chat',
      '-n',
      ns.name,
      '--type=merge',
      '-p',
      '{"spec":{"template":{"spec":{"terminationGracePeriodSeconds":5}}}}',
    ]);
    await waitFor(async () => (await grace()) === 60, 30_000, 'the hand edit to be undone');
    kubectl(['delete', 'deployment', 'chat', '-n', ns.name, '--wait=false']);
    await waitFor(
      async () => (await grace()) === 60 && converged(ns.name, 'chat', 1),
      60_000,
      'the deleted Deployment to come back',
    );

    kubectl(['patch', 'gom', 'chat', '-n', ns.name, '--type=merge', '-p', '{"spec":{"contextSize":16384}}']);
    await waitFor(
      async () =>
        (
          await apps().readNamespacedDeployment({ namespace: ns.name, name: 'chat' })
        ).spec?.template.spec?.containers[0]?.args?.includes('16384') ?? false,
      30_000,
      'the spec change to roll out',
    );
    await waitFor(() => converged(ns.name, 'chat', 1), 60_000, 'the rollout to finish');

    kubectl(['scale', 'gom/chat', '-n', ns.name, '--replicas=3']);
    await waitFor(async () => (await deploymentReplicas('chat')) === 3, 30_000, 'the Deployment to scale to 3');
    await waitFor(() => converged(ns.name, 'chat', 3), 60_000, 'three ready replicas');
    expect(kubectl(['get', 'pdb', 'chat', '-n', ns.name, '-o', 'jsonpath={.spec.maxUnavailable}'])).toBe('1');
    // drift through the budgets' watch: one deleted by hand comes back (a new object)
    const budgetUids = () => kubectl(['get', 'pdb', '-n', ns.name, '-o', 'jsonpath={.items[*].metadata.uid}']);
    const firstBudget = budgetUids();
    kubectl(['delete', 'pdb', 'chat', '-n', ns.name]);
    await waitFor(
      () => ![firstBudget, ''].includes(budgetUids()),
      30_000,
      `the deleted PDB to come back: ${op.logs()}`,
    );

    kubectl(['scale', 'gom/chat', '-n', ns.name, '--replicas=0']);
    await waitFor(
      () => condition(readModel(ns.name, 'chat'), 'Ready')?.reason === 'ScaledToZero',
      30_000,
      'ScaledToZero',
    );
    expect(await deploymentReplicas('chat')).toBe(0);
    await waitFor(
      () => kubectl(['get', 'pdb', '-n', ns.name, '-o', 'name']) === '',
      30_000,
      'the PDB to go below two replicas',
    );

    const scrape = async () => (await fetch(`${op.url}/metrics`)).text();
    const desiredZero = `gptoss_operator_model_replicas{namespace="${ns.name}",model="chat",kind="desired"} 0`;
    await waitFor(async () => (await scrape()).includes(desiredZero), 30_000, 'desired 0 in the metrics');
    const metrics = await scrape();
    expect(metrics).toMatch(/^gptoss_operator_leader 1$/m);
    expect(metrics).toContain(`gptoss_operator_model_condition{namespace="${ns.name}",model="chat",type="Ready"} 0`);
    expect(
      Number(/^gptoss_operator_reconciles_total\{result="success"\} (\d+)$/m.exec(metrics)?.[1]),
    ).toBeGreaterThanOrEqual(4);
    const lint = spawnSync(toolPath('promtool'), ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    expect(lint.stdout + lint.stderr).toBe('');

    kubectl(['delete', 'gom', 'chat', '-n', ns.name]);
    await waitFor(
      async () =>
        apps()
          .readNamespacedDeployment({ namespace: ns.name, name: 'chat' })
          .then(
            () => false,
            () => true,
          ),
      60_000,
      'GC of the Deployment',
    );
    await waitFor(async () => !(await scrape()).includes('model="chat"'), 30_000, "the model's series to go");

    op.kill('SIGTERM');
    expect(await op.exitWithin(30_000)).toBe(0);
    const lease = JSON.parse(kubectl(['get', 'lease', 'gptoss-operator', '-n', ns.name, '-o', 'json'])) as {
      spec: { holderIdentity?: string };
    };
    expect(lease.spec.holderIdentity ?? '').toBe('');
  }, 240_000); // its steps wait up to 30-60 s each on a loaded cluster, each failing with its own message

  // seen through the pod watch
  it("pods the scheduler cannot place make the model Degraded with the scheduler's reason", async () => {
    const op = await start('pending');
    // an affinity term no node satisfies: the plan is made, the scheduler cannot follow it
    kubectl(
      ['apply', '-f', '-'],
      model(ns.name, 'nowhere', {
        gpu: {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchExpressions: [{ key: 'pool', operator: 'In', values: ['does-not-exist'] }] },
                ],
              },
            },
          },
        },
      }),
    );
    await waitFor(
      () => condition(readModel(ns.name, 'nowhere'), 'Degraded')?.reason === 'PodsUnschedulable',
      60_000,
      `Degraded: ${op.logs()}`,
    );
    const m = readModel(ns.name, 'nowhere');
    expect(condition(m, 'Placed')?.status).toBe('True'); // the plan is fine; the pool the user asked for is not there
    expect(condition(m, 'Degraded')).toMatchObject({ status: 'True' });
    expect((m.status!.conditions!.find((c) => c.type === 'Degraded') as { message?: string }).message).toMatch(
      /didn't match Pod's node affinity\/selector/,
    );
    expect(eventsAbout(ns.name, 'nowhere', 'PodsUnschedulable')[0]?.type).toBe('Warning');
    kubectl(['delete', 'gom', 'nowhere', '-n', ns.name]);
  });

  it('two operators: one leads; killed, the other takes over within the lease duration and reconciles', async () => {
    const leaseDurationSeconds = 3;
    const [a, b] = await Promise.all([start('a', { leaseDurationSeconds }), start('b', { leaseDurationSeconds })]);
    await waitFor(async () => (await a.isLeader()) === true || (await b.isLeader()) === true, 20_000, 'a leader');
    const [leader, follower] = (await a.isLeader()) ? [a, b] : [b, a];
    expect(await follower.isLeader()).toBe(false);

    leader.kill('SIGKILL'); // no release: the follower must wait for the lease to expire
    const died = Date.now();
    // the lease duration, plus the follower's retry period (200 ms) and this test's polling
    const deadlineMs = leaseDurationSeconds * 1000 + 1500;
    await waitFor(
      async () => (await follower.isLeader()) === true,
      deadlineMs,
      'the follower to take over within the lease duration',
    );
    const lease = JSON.parse(kubectl(['get', 'lease', 'gptoss-operator', '-n', ns.name, '-o', 'json'])) as {
      spec: { holderIdentity: string; leaseTransitions: number };
    };
    expect(lease.spec.holderIdentity).toBe(follower.identity);
    expect(Date.now() - died).toBeLessThanOrEqual(deadlineMs);

    kubectl(['apply', '-f', '-'], model(ns.name, 'after-failover'));
    await waitFor(
      () => converged(ns.name, 'after-failover', 1),
      60_000,
      `the new leader to reconcile: ${follower.logs()}`,
    );
  });
});

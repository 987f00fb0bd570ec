import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CRD_FILE } from '../../../scripts/genCrd.js';
import { ensureCrd, kubectl, useNamespace, waitFor } from '../../helpers/cluster.js';
import {
  TEST_POLICY_SETTINGS,
  condition,
  readModel,
  startOperatorProcess,
  type OperatorProcess,
} from '../../helpers/operator.js';

const model = (namespace: string, name: string, spec: Record<string, unknown> = {}) =>
  JSON.stringify({
    apiVersion: 'gptoss.io/v1alpha1',
    kind: 'GptOssModel',
    metadata: { name, namespace },
    spec: { variant: 'gpt-oss-20b', source: { hostPath: { path: '/models/gpt-oss-20b.gguf' } }, ...spec },
  });

/** The message of the model's Event with this reason (the newest), or '' when there is none. */
const eventMessage = (namespace: string, name: string, reason: string) =>
  kubectl([
    'get',
    'events',
    '-n',
    namespace,
    '--field-selector',
    `involvedObject.name=${name},reason=${reason}`,
    '-o',
    'jsonpath={range .items[*]}{.type} {.message}{"\\n"}{end}',
  ])
    .trim()
    .split('\n')
    .at(-1) ?? '';

const metric = async (op: OperatorProcess, series: string) =>
  Number(
    new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(
      await (await fetch(`${op.url}/metrics`)).text(),
    )?.[1] ?? 0,
  );

/**
 * What the API server refuses after the CRD let it through: a child it finds invalid, and pods a
 * namespace will not admit. Each is said in the model's conditions and a Warning Event, with the
 * server's own words; neither is a reconcile error retried without a trace.
 */
describe('refusals on the real control plane become conditions and Warning Events', () => {
  beforeAll(() => ensureCrd(CRD_FILE));
  const running: OperatorProcess[] = [];
  afterEach(() => {
    for (const p of running.splice(0)) p.kill('SIGKILL');
  });

  const rejecting = useNamespace('rejected');
  // a priorityClassName the CRD takes as any string, but a pod spec only as a DNS subdomain
  it('a child the API server refuses: Placed=False ChildRejected with its message, no retry loop', async () => {
    // the admin allows the name (the policy refuses unlisted priority classes before anything is applied)
    const op = await startOperatorProcess(rejecting.name, 'rejecting', {
      policy: { ...TEST_POLICY_SETTINGS, priorityClasses: ['Not Valid!'] },
    });
    running.push(op);
    const ns = rejecting.name;
    kubectl(['apply', '-f', '-'], model(ns, 'rejected', { replicas: 0, runtime: { priorityClassName: 'Not Valid!' } }));
    await waitFor(
      () => condition(readModel(ns, 'rejected'), 'Placed')?.reason === 'ChildRejected',
      30_000,
      `Placed=False ChildRejected: ${op.logs()}`,
    );
    const placed = condition(readModel(ns, 'rejected'), 'Placed')!;
    expect(placed.status).toBe('False');
    expect(placed.message).toMatch(
      /^the API server refused Deployment\/rejected: Deployment\.apps "rejected" is invalid: spec\.template\.spec\.priorityClassName: Invalid value: "Not Valid!": /,
    );
    // every other child was still applied
    expect(kubectl(['get', 'services', '-n', ns, '-o', 'name']).trim().split('\n').sort()).toEqual([
      'service/rejected',
      'service/rejected-grpc',
    ]);
    expect(eventMessage(ns, 'rejected', 'ChildRejected')).toBe(`Warning ${placed.message}`);
    expect(await metric(op, 'gptoss_operator_reconciles_total{result="success"}')).toBeGreaterThan(0);
    expect(await metric(op, 'gptoss_operator_reconciles_total{result="error"}')).toBe(0);

    // the author fixes the spec: the Deployment follows and the condition clears
    kubectl(['patch', 'gom', 'rejected', '-n', ns, '--type=json', '-p', '[{"op":"remove","path":"/spec/runtime"}]']);
    await waitFor(
      () => condition(readModel(ns, 'rejected'), 'Placed')?.status === 'True',
      30_000,
      `Placed=True after the fix: ${op.logs()}`,
    );
    expect(kubectl(['get', 'deployment', 'rejected', '-n', ns, '-o', 'jsonpath={.spec.replicas}'])).toBe('0');
  });

  const policed = useNamespace('policed');
  // a cluster without the chart's admission policy: the operator applies the same rules itself
  it('outside the admin policy: Placed=False SourceNotAllowed or PolicyDenied, no child, a Warning Event', async () => {
    const ns = policed.name;
    const op = await startOperatorProcess(ns, 'policed', { policy: { hostPathPrefixes: ['/models'] } });
    running.push(op);
    kubectl(['apply', '-f', '-'], model(ns, 'outside', { source: { hostPath: { path: '/etc/shadow' } } }));
    kubectl(['apply', '-f', '-'], model(ns, 'imaged', { runtime: { image: 'evil.example/miner:1' } }));
    const refused: Record<string, [string, string]> = {
      outside: [
        'SourceNotAllowed',
        'spec.source.hostPath.path: /etc/shadow is not in an allowed folder (policy.hostPathPrefixes: /models)',
      ],
      imaged: [
        'PolicyDenied',
        'spec.runtime.image: evil.example/miner:1 is not an allowed image ' +
          '(policy.runtimeImages: ghcr.io/gptoss/runtime)',
      ],
    };
    for (const [name, [reason, message]] of Object.entries(refused)) {
      await waitFor(() => condition(readModel(ns, name), 'Placed')?.reason === reason, 30_000, `${name}: ${op.logs()}`);
      expect(condition(readModel(ns, name), 'Placed')).toMatchObject({ status: 'False', reason, message });
      expect(eventMessage(ns, name, reason)).toBe(`Warning ${message}`);
    }
    // nothing was created for either
    expect(kubectl(['get', 'deployments,services', '-n', ns, '-o', 'name']).trim()).toBe('');
    // within the policy, the model is served as any other
    kubectl(['apply', '-f', '-'], model(ns, 'outside'));
    await waitFor(
      () => condition(readModel(ns, 'outside'), 'Placed')?.status === 'True',
      30_000,
      `outside placed: ${op.logs()}`,
    );
    expect(kubectl(['get', 'deployment', 'outside', '-n', ns, '-o', 'name']).trim()).toBe('deployment.apps/outside');
  });

  const quota = useNamespace('quota');
  it("pods a namespace will not admit: Degraded=True PodsNotCreated with the server's words", async () => {
    const ns = quota.name;
    kubectl(['create', 'quota', 'no-pods', '-n', ns, '--hard=pods=0']);
    const op = await startOperatorProcess(ns, 'quota');
    running.push(op);
    kubectl(['apply', '-f', '-'], model(ns, 'refused'));
    await waitFor(
      () => condition(readModel(ns, 'refused'), 'Degraded')?.reason === 'PodsNotCreated',
      60_000,
      `Degraded=True PodsNotCreated: ${op.logs()}`,
    );
    const m = readModel(ns, 'refused');
    const degraded = condition(m, 'Degraded')!;
    expect(degraded.status).toBe('True');
    expect(degraded.message).toMatch(
      /^FailedCreate: pods "refused-[a-z0-9]+-[a-z0-9]+" is forbidden: exceeded quota: no-pods, requested: pods=1, used: pods=0, limited: pods=0$/,
    );
    // the same words the Deployment controller wrote
    expect(
      kubectl([
        'get',
        'deployment',
        'refused',
        '-n',
        ns,
        '-o',
        'jsonpath={.status.conditions[?(@.type=="ReplicaFailure")].message}',
      ]),
    ).toBe(degraded.message!.replace(/^FailedCreate: /, ''));
    expect(condition(m, 'Placed')?.status).toBe('True');
    expect(condition(m, 'Ready')?.reason).toBe('NoReplicaReady');
    expect(eventMessage(ns, 'refused', 'PodsNotCreated')).toBe(`Warning ${degraded.message}`);

    // room again: the pods come, and the model is healthy
    kubectl(['delete', 'quota', 'no-pods', '-n', ns]);
    await waitFor(
      () => condition(readModel(ns, 'refused'), 'Degraded')?.reason === 'Healthy',
      90_000,
      `Degraded=False once the quota is gone: ${op.logs()}`,
    );
  });

  const restricted = useNamespace('restricted');
  it('a namespace enforcing the restricted Pod Security level: Degraded=True PodsNotCreated, not Healthy', async () => {
    const ns = restricted.name;
    kubectl(['label', 'namespace', ns, 'pod-security.kubernetes.io/enforce=restricted']);
    const op = await startOperatorProcess(ns, 'restricted');
    running.push(op);
    // the runtime's pod meets the restricted standard but for its hostPath volume, which it forbids
    kubectl(['apply', '-f', '-'], model(ns, 'mounted'));
    await waitFor(
      () => condition(readModel(ns, 'mounted'), 'Degraded')?.reason === 'PodsNotCreated',
      60_000,
      `Degraded=True PodsNotCreated: ${op.logs()}`,
    );
    const degraded = condition(readModel(ns, 'mounted'), 'Degraded')!;
    expect(degraded.status).toBe('True');
    expect(degraded.message).toMatch(
      /^FailedCreate: pods "mounted-[a-z0-9]+-[a-z0-9]+" is forbidden: violates PodSecurity "restricted:latest": restricted volume types \(volume "weights" uses restricted volume type "hostPath"\)$/,
    );
    expect(eventMessage(ns, 'mounted', 'PodsNotCreated')).toBe(`Warning ${degraded.message}`);
  });
});

import { spawn, spawnSync } from 'node:child_process';
import { AppsV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CRD_FILE } from '../../scripts/genCrd.js';
import { toolPath } from '../../scripts/tools.js';
import { GPTOSS } from '../helpers/cli.js';
import { clusterAccess, ensureCrd, kubectl, useNamespace, waitFor } from '../helpers/cluster.js';

/** `gptoss operator` as a process against the real control plane: apply, Ready, roll out, stop. */
describe('gptoss operator', () => {
  const ns = useNamespace('operator');
  beforeAll(() => ensureCrd(CRD_FILE));
  let child: ReturnType<typeof spawn> | null = null;
  afterAll(() => { child?.kill('SIGKILL'); });

  it('reconciles an applied model to Ready, rolls out a spec change, and stops cleanly releasing its Lease', async () => {
    child = spawn(process.execPath, [GPTOSS, 'operator', '--namespace', ns.name, '--port', '0', '--lease-namespace', ns.name, '--lease-duration-seconds', '3'],
      { env: { ...process.env, KUBECONFIG: inject('kubeconfig') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child!.on('exit', resolve));
    await waitFor(() => /HTTP=(\S+)/.test(out), 30_000, `the operator to start: ${err}`);
    const url = /HTTP=(\S+)/.exec(out)![1]!;

    kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'gptoss.io/v1alpha1', kind: 'GptOssModel', metadata: { name: 'chat', namespace: ns.name },
      spec: { variant: 'gpt-oss-20b', source: { hostPath: { path: '/models/gpt-oss-20b.gguf' } } } }));
    const ready = () => {
      const model = JSON.parse(kubectl(['get', 'gom', 'chat', '-n', ns.name, '-o', 'json'])) as { status?: { conditions?: Array<{ type: string; status: string }> } };
      return model.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    };
    await waitFor(ready, 60_000, `the model to be Ready: ${err}`);
    expect(kubectl(['get', 'gom', 'chat', '-n', ns.name])).toMatch(/chat\s+gpt-oss-20b\s+1\s+1\s+Tesla-T4/);

    kubectl(['patch', 'gom', 'chat', '-n', ns.name, '--type=merge', '-p', '{"spec":{"contextSize":16384}}']);
    const apps = clusterAccess().kc.makeApiClient(AppsV1Api);
    await waitFor(async () => (await apps.readNamespacedDeployment({ namespace: ns.name, name: 'chat' })).spec?.template.spec?.containers[0]?.args?.includes('16384') ?? false,
      30_000, 'the spec change to roll out');

    const scrape = async () => (await fetch(`${url}/metrics`)).text();
    // the rollout's new pod becomes ready a moment after the spec change: wait for the reconcile that sees it
    const readyAgain = `gptoss_operator_model_replicas{namespace="${ns.name}",model="chat",kind="ready"} 1`;
    await waitFor(async () => (await scrape()).includes(readyAgain), 30_000, 'the ready replica in the metrics');
    const metrics = await scrape();
    expect(metrics).toMatch(/^gptoss_operator_leader 1$/m);
    expect(metrics).toContain(`gptoss_operator_model_condition{namespace="${ns.name}",model="chat",type="Ready"} 1`);
    expect(metrics).toContain(readyAgain);
    expect(Number(/^gptoss_operator_reconciles_total\{result="success"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
    const lint = spawnSync(toolPath('promtool'), ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    expect(lint.stdout + lint.stderr).toBe('');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lease = JSON.parse(kubectl(['get', 'lease', 'gptoss-operator', '-n', ns.name, '-o', 'json'])) as { spec: { holderIdentity?: string } };
    expect(lease.spec.holderIdentity ?? '').toBe('');
  });
});

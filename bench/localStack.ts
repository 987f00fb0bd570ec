import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { up } from '../cluster/cluster.js';
import { waitFor } from '../cluster/processes.js';
import { PACKAGE_ROOT } from '../contract/paths.js';
import { CRD_FILE } from '../scripts/genCrd.js';
import { spawnOperator } from './operatorProcess.js';

/**
 * The local stack the cluster benchmarks (stack, zero, prefix) run on: the `bench` cluster (kept for
 * reruns; never the tests' `test`), the CRD, the benchmark's namespace, a dev agent whose node runs
 * the pods, and `gptoss operator` watching the namespace, both as processes.
 */

/** The bench cluster's name: the benchmarks' own, apart from the tests' cluster. */
export const BENCH_CLUSTER = 'bench';
const AGENT = join(PACKAGE_ROOT, 'dist', 'cluster', 'agent', 'cli.js');

export type Kubectl = (args: string[], input?: string) => string;

export interface LocalStackOptions {
  namespace: string;
  /** The dev agent's node (deleted when the agent stops). */
  node: string;
  /** The operator's configuration file, as YAML (its policy at least: hostPathPolicy). */
  operatorConfig: string;
}

export interface LocalStack {
  kubeconfig: string;
  kubectl: Kubectl;
  kc: KubeConfig;
  core: CoreV1Api;
  /** Stops the operator and the agent (the cluster stays up). */
  stop: () => void;
}

/** Brings the stack up (the cluster reused when it runs) and resolves once the agent's node exists. */
export async function startLocalStack({ namespace, node, operatorConfig }: LocalStackOptions): Promise<LocalStack> {
  const cluster = await up({ name: BENCH_CLUSTER });
  const kubectl: Kubectl = (a, input) =>
    execFileSync(cluster.binaries.kubectl, [`--kubeconfig=${cluster.kubeconfig}`, ...a], { input, encoding: 'utf8' });
  kubectl(['apply', '--server-side', '-f', CRD_FILE]);
  kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }));
  const agent = spawn(
    process.execPath,
    [AGENT, '--kubeconfig', cluster.kubeconfig, '--node-name', node, '--delete-node-on-stop', '--log-level', 'warn'],
    { stdio: 'ignore' },
  );
  const operator = spawnOperator({ config: operatorConfig, namespace, kubeconfig: cluster.kubeconfig });
  const stop = () => {
    operator.kill('SIGTERM');
    agent.kill('SIGTERM');
  };
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  try {
    await waitFor(
      async () =>
        await core.readNode({ name: node }).then(
          () => true,
          () => false,
        ),
      60_000,
      'the agent node',
    );
  } catch (error) {
    stop();
    throw error;
  }
  return { kubeconfig: cluster.kubeconfig, kubectl, kc, core, stop };
}

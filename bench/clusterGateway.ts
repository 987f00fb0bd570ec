import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from '../cluster/processes.js';
import { GPTOSS } from './operatorProcess.js';

/**
 * `gptoss gateway` and `gptoss keys` as an admin runs them against the bench cluster (zero.ts,
 * prefix.ts): the gateway serves the benchmark's namespace, its keys there too, and reads the pods
 * (the dev agent's loopback addresses cannot be in an EndpointSlice). Its log (stderr, JSON lines)
 * is kept: the benchmarks read the times of what it did from it.
 */

export interface ClusterGateway {
  /** The OpenAI API, http://host:port. */
  http: string;
  /** /healthz, /readyz and /metrics, http://host:port. */
  ops: string;
  /** Its log lines so far, parsed. */
  logLines(): Array<{ msg?: string; time?: string } & Record<string, unknown>>;
  stop(): Promise<void>;
}

const printed = (stdout: string, key: string) => new RegExp(`^${key}=(\\S+)$`, 'm').exec(stdout)?.[1];

/** Starts the gateway on free loopback ports (the ops port given in `args` wins) and waits until it listens. */
export async function startClusterGateway(kubeconfig: string, namespace: string, args: string[] = []) {
  const child: ChildProcess = spawn(
    process.execPath,
    [GPTOSS, 'gateway', '--namespaces', namespace, '--keys-namespace', namespace, '--replica-source', 'pods'].concat([
      '--http-port',
      '0',
      '--grpc-port',
      '0',
      '--ops-port',
      '0',
      '--drain-seconds',
      '1',
      ...args,
    ]),
    { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await Promise.race([
    waitFor(() => printed(stdout, 'OPS') !== undefined, 60_000, 'the gateway to listen'),
    exited.then(() => {
      throw new Error(`gptoss gateway exited before it listened: ${stderr}`);
    }),
  ]);
  const gateway: ClusterGateway = {
    http: printed(stdout, 'HTTP')!,
    ops: printed(stdout, 'OPS')!,
    logLines: () =>
      stderr
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as ReturnType<ClusterGateway['logLines']>[number]),
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
  return gateway;
}

/** A new API key for the namespace's models (`gptoss keys create`), once every one of the gateways accepts it. */
export async function createBenchKey(
  kubeconfig: string,
  namespace: string,
  gateways: readonly ClusterGateway[],
): Promise<string> {
  const key = execFileSync(process.execPath, [GPTOSS, 'keys', 'create', '--namespace', namespace, '--team', 'bench'], {
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: kubeconfig },
  }).trim();
  // a gateway learns the key from its Secret's watch
  for (const gateway of gateways)
    await waitFor(
      async () => (await fetch(`${gateway.http}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).ok,
      30_000,
      `the gateway at ${gateway.http} to accept the key`,
      100,
    );
  return key;
}

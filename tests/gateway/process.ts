import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, inject } from 'vitest';
import { GPTOSS, startProcess, type StartedProcess } from '../helpers/cli.js';

/**
 * `gptoss gateway` and `gptoss keys` as processes against the test cluster, as an admin runs them;
 * what the end-to-end tests and the benchmark share.
 */

export interface GatewayProcess extends StartedProcess {
  /** The OpenAI API, http://host:port. */
  http: string;
  /** The gRPC API, host:port. */
  grpc: string;
  /** /healthz, /readyz and /metrics. */
  ops: string;
}

const printed = (stdout: string, key: string) => new RegExp(`^${key}=(\\S+)$`, 'm').exec(stdout)?.[1];

/** Starts `gptoss gateway` on free loopback ports; resolves once it prints where it listens. */
export async function startGatewayProcess(
  args: string[],
  kubeconfig: string = inject('kubeconfig'),
): Promise<GatewayProcess> {
  const started = await startProcess(
    process.execPath,
    [GPTOSS, 'gateway', '--http-port', '0', '--grpc-port', '0', '--ops-port', '0', ...args],
    (out) => printed(out, 'OPS') !== undefined,
    { ...process.env, KUBECONFIG: kubeconfig },
  );
  const at = (key: string) => printed(started.stdout(), key)!;
  return { ...started, http: at('HTTP'), grpc: at('GRPC'), ops: at('OPS') };
}

/**
 * The flags of a gateway for a test file's namespace: its models, with keys from the same namespace;
 * the dev agent's pods have loopback addresses, which EndpointSlices cannot hold, so it reads pods.
 */
export const gatewayArgs = (namespace: string) => [
  '--namespaces',
  namespace,
  '--keys-namespace',
  namespace,
  '--replica-source',
  'pods',
];

/** A gateway for the test file's namespace (gatewayArgs), stopped with SIGTERM after its tests. */
export function useGateway(namespace: { name: string }, extraArgs: string[] = []) {
  const handle = { gateway: null as unknown as GatewayProcess };
  beforeAll(async () => {
    handle.gateway = await startGatewayProcess([...gatewayArgs(namespace.name), ...extraArgs]);
  });
  afterAll(async () => {
    if (!handle.gateway) return;
    handle.gateway.child.kill('SIGTERM');
    await handle.gateway.exited;
  });
  return handle;
}

/** `gptoss keys <args>` with the test cluster's kubeconfig: status, stdout and stderr. */
export function gptossKeys(args: string[], kubeconfig: string = inject('kubeconfig')) {
  const r = spawnSync(process.execPath, [GPTOSS, 'keys', ...args], {
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: kubeconfig },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A new key from `gptoss keys create` (the key alone on stdout), with its id. */
export function createKey(namespace: string, flags: string[], kubeconfig?: string): { key: string; id: string } {
  const r = gptossKeys(['create', '--namespace', namespace, ...flags], kubeconfig);
  if (r.status !== 0) throw new Error(`gptoss keys create failed: ${r.stderr}`);
  const key = r.stdout.trim();
  return { key, id: /^gptoss_([a-z0-9-]+)_/.exec(key)![1]! };
}

import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { inject } from 'vitest';
import { GPTOSS } from './cli.js';
import { kubectl, waitFor } from './cluster.js';

export interface OperatorProcess {
  url: string;
  identity: string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
  logs(): string;
  /** gptoss_operator_leader from its /metrics, or null when it does not answer. */
  isLeader(): Promise<boolean | null>;
}

/** Preloaded to make the operator exit right after its n-th API write (crash-point tests). */
const CRASH_PRELOAD = new URL('./crashAfterWrites.mjs', import.meta.url).href;

/**
 * `gptoss operator` as a process watching one namespace, its Lease in that namespace, settings
 * from a config file (as the chart passes them). Resolves once it serves /metrics, or once it
 * exits (for processes meant to die early: `crashAfterWrites`).
 */
export async function startOperatorProcess(
  namespace: string,
  identity: string,
  settings: Record<string, unknown> = {},
  extraArgs: string[] = [],
  { crashAfterWrites }: { crashAfterWrites?: number } = {},
): Promise<OperatorProcess> {
  const configFile = join(mkdtempSync(join(tmpdir(), 'gptoss-operator-')), 'operator.yaml');
  writeFileSync(
    configFile,
    stringify({ leaseNamespace: namespace, leaseDurationSeconds: 3, retryPeriodMs: 200, ...settings }),
  );
  const preload = crashAfterWrites ? ['--import', CRASH_PRELOAD] : [];
  const env = {
    ...process.env,
    KUBECONFIG: inject('kubeconfig'),
    ...(crashAfterWrites ? { GPTOSS_CRASH_AFTER_WRITES: String(crashAfterWrites) } : {}),
  };
  const child = spawn(
    process.execPath,
    [
      ...preload,
      GPTOSS,
      'operator',
      '--config',
      configFile,
      '--namespace',
      namespace,
      '--port',
      '0',
      '--identity',
      identity,
      ...extraArgs,
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  await waitFor(() => gone || /HTTP=(\S+)/.test(out), 30_000, `operator ${identity} to serve: ${err}`);
  const url = /HTTP=(\S+)/.exec(out)?.[1] ?? '';
  return {
    url,
    identity,
    exited,
    kill: (signal = 'SIGTERM') => {
      child.kill(signal);
    },
    logs: () => out + err,
    async isLeader() {
      const text = await fetch(`${url}/metrics`).then(
        (r) => r.text(),
        () => null,
      );
      return text === null ? null : /^gptoss_operator_leader 1$/m.test(text);
    },
  };
}

type Condition = { type: string; status: string; reason: string; message?: string; lastTransitionTime?: string };
export interface ModelObject {
  metadata: { name: string; generation: number };
  spec: Record<string, unknown>;
  status?: { observedGeneration?: number; readyReplicas?: number; conditions?: Condition[] } & Record<string, unknown>;
}

export const readModel = (namespace: string, name: string) =>
  JSON.parse(kubectl(['get', 'gom', name, '-n', namespace, '-o', 'json'])) as ModelObject;
export const condition = (m: ModelObject, type: string) => m.status?.conditions?.find((c) => c.type === type);

/** Ready=True with status describing the latest generation and every replica ready. */
export function converged(namespace: string, name: string, replicas: number): boolean {
  const m = readModel(namespace, name);
  return (
    m.status?.observedGeneration === m.metadata.generation &&
    m.status.readyReplicas === replicas &&
    condition(m, 'Ready')?.status === (replicas > 0 ? 'True' : 'False') &&
    condition(m, 'Progressing')?.status === 'False'
  );
}

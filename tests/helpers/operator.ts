import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { RESERVED_LABEL_KEYS, type TenantPolicy } from '../../operator/planner/policy.js';
import { inject } from 'vitest';
import { GPTOSS } from './cli.js';
import { kubectl, waitFor } from './cluster.js';

export interface OperatorProcess {
  url: string;
  identity: string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** The exit code, or a failure naming the process's logs when it has not exited within ms. */
  exitWithin(ms: number): Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
  logs(): string;
  /** gptoss_operator_leader from its /metrics, or null when it does not answer. */
  isLeader(): Promise<boolean | null>;
}

/**
 * The admin policy the tests' operators run under: hostPath files anywhere (the kwok nodes run
 * nothing; the dev agent's pods read the test models from the cache) and the test URLs on loopback.
 * Tests of the policy itself set their own.
 */
export const TEST_POLICY_SETTINGS = {
  hostPathPrefixes: ['/'],
  urlSchemes: ['https', 'http'],
  internalHosts: ['127.0.0.0/8'],
};

/** The same, as the reconciler takes it (tests that run a ModelReconciler in-process). */
export const TEST_POLICY: TenantPolicy = {
  ...TEST_POLICY_SETTINGS,
  urlSchemes: ['https', 'http'],
  runtimeImages: ['runtime', 'ghcr.io/gptoss/runtime'],
  urlHosts: [],
  priorityClasses: [],
  envFromSecrets: false,
  reservedLabelKeys: RESERVED_LABEL_KEYS,
};

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
  {
    crashAfterWrites,
    kubeconfig = inject('kubeconfig'),
  }: {
    crashAfterWrites?: number;
    /** Another cluster (a test's own), or the test cluster reached through a proxy. */
    kubeconfig?: string;
  } = {},
): Promise<OperatorProcess> {
  const configFile = join(mkdtempSync(join(tmpdir(), 'gptoss-operator-')), 'operator.yaml');
  writeFileSync(
    configFile,
    stringify({
      leaseNamespace: namespace,
      leaseDurationSeconds: 3,
      retryPeriodMs: 200,
      policy: TEST_POLICY_SETTINGS,
      ...settings,
    }),
  );
  const preload = crashAfterWrites ? ['--import', CRASH_PRELOAD] : [];
  const env = {
    ...process.env,
    KUBECONFIG: kubeconfig,
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
  try {
    await waitFor(() => gone || /HTTP=(\S+)/.test(out), 30_000, `operator ${identity} to serve`);
  } catch (error) {
    child.kill('SIGKILL'); // not left behind to become a leader nobody tracks
    throw new Error(`${(error as Error).message}: ${err}`, { cause: error });
  }
  const url = /HTTP=(\S+)/.exec(out)?.[1] ?? '';
  return {
    url,
    identity,
    exited,
    exitWithin: (ms: number) =>
      Promise.race([
        exited,
        new Promise<never>((_, reject) =>
          setTimeout(
            () => reject(new Error(`operator ${identity} still running after ${ms} ms: ${out + err}`)),
            ms,
          ).unref(),
        ),
      ]),
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

/** One line of the operator's JSON log. */
export interface LogLine {
  time: string;
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** The operator's JSON log lines (stderr), in order; other output is left out. */
export function logLines(p: Pick<OperatorProcess, 'logs'>): LogLine[] {
  return p
    .logs()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** When a process's log says it acquired and lost leadership (ms since the epoch, its own clock: this machine's). */
export function leadershipTimes(p: Pick<OperatorProcess, 'logs'>): { acquired: number[]; lost: number[] } {
  const at = (msg: string) =>
    logLines(p)
      .filter((l) => l.msg === msg)
      .map((l) => Date.parse(l.time));
  return { acquired: at('Acquired leadership'), lost: at('Lost leadership') };
}

type Condition = { type: string; status: string; reason: string; message?: string; lastTransitionTime?: string };
export interface ModelObject {
  metadata: { name: string; generation: number };
  spec: Record<string, unknown>;
  status?: { observedGeneration?: number; readyReplicas?: number; conditions?: Condition[] } & Record<string, unknown>;
}

/** A gpt-oss-20b GptOssModel from the nodes' /models folder as JSON for `kubectl apply -f -`, `spec` over that. */
export const modelManifest = (namespace: string, name: string, spec: Record<string, unknown> = {}) =>
  JSON.stringify({
    apiVersion: 'gptoss.io/v1alpha1',
    kind: 'GptOssModel',
    metadata: { name, namespace },
    spec: { variant: 'gpt-oss-20b', source: { hostPath: { path: '/models/gpt-oss-20b.gguf' } }, ...spec },
  });

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

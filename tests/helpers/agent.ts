import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CoreV1Api, type CoreV1Event, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll } from 'vitest';
import { startAgent, type RunningAgent } from '../../cluster/agent/agent.js';
import { DEV_AGENT_TAINT, type AgentConfigInput } from '../../cluster/agent/config.js';
import { serveArgs } from '../../contract/argv/serve.js';
import { createLogger } from '../../contract/log.js';
import { RUNTIME_GRPC_PORT, RUNTIME_GRPC_SERVICE, RUNTIME_HTTP_PORT } from '../../contract/names.js';
import { clusterAccess, waitFor } from './cluster.js';
import { MODELS_DIR, TEST_MODELS, type TestModel } from './models.js';
import { PACKAGE_ROOT } from '../../contract/paths.js';

const AGENT_CLI = join(PACKAGE_ROOT, 'dist', 'cluster', 'agent', 'cli.js');

/**
 * A dev agent of the test file's own (a node name nobody else uses, a state folder in /tmp),
 * started in-process before its tests; it deletes its Node when it stops.
 */
export function useAgent(prefix: string, overrides: Partial<AgentConfigInput> = {}) {
  const handle = {
    nodeName: `${prefix}-${randomBytes(3).toString('hex')}`,
    agent: null as RunningAgent | null,
    stateDir: '',
    stopped: false,
    async stop() {
      if (!handle.stopped) await handle.agent?.stop();
      handle.stopped = true;
    },
  };
  beforeAll(async () => {
    handle.stateDir = mkdtempSync(join(tmpdir(), `gptoss-agent-${prefix}-`));
    handle.agent = await startAgent({
      kubeconfig: clusterAccess().kubeconfig,
      nodeName: handle.nodeName,
      stateDir: handle.stateDir,
      deleteNodeOnStop: true,
      backOffInitialMs: 500,
      backOffMaxMs: 2000,
      log: createLogger(process.env.GPTOSS_TEST_LOG ?? 'warn'),
      ...overrides,
    });
  });
  afterAll(async () => {
    await handle.stop();
    rmSync(handle.stateDir, { recursive: true, force: true });
  });
  return handle;
}

/**
 * The agent as its own process (`npm run agent`'s command), as the demo runs it: the test's
 * synchronous kubectl and tool calls cannot stall it. Stopped with SIGTERM.
 */
export function useAgentProcess(prefix: string) {
  const handle = {
    nodeName: `${prefix}-${randomBytes(3).toString('hex')}`,
    stateDir: '',
    child: null as ChildProcess | null,
    stderr: '',
    /** SIGTERM, then the exit code. */
    async stop(): Promise<number | null> {
      const child = handle.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      return exited;
    },
  };
  beforeAll(async () => {
    handle.stateDir = mkdtempSync(join(tmpdir(), `gptoss-agent-${prefix}-`));
    const child = spawn(
      process.execPath,
      [
        AGENT_CLI,
        '--kubeconfig',
        clusterAccess().kubeconfig,
        '--node-name',
        handle.nodeName,
        '--state-dir',
        handle.stateDir,
        '--delete-node-on-stop',
        '--log-level',
        process.env.GPTOSS_TEST_LOG ?? 'warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    handle.child = child;
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      handle.stderr += d.toString();
      process.stderr.write(d);
    });
    await waitFor(
      () => out.includes(`NODE=${handle.nodeName}`) || child.exitCode !== null,
      30_000,
      'the agent to register its node',
    );
    if (child.exitCode !== null) throw new Error(`the agent exited ${child.exitCode}: ${handle.stderr}`);
  });
  afterAll(async () => {
    await handle.stop();
    rmSync(handle.stateDir, { recursive: true, force: true });
  });
  return handle;
}

/** `gptoss serve` args for a pod: a test model under /models, listening on $(POD_IP), one thread. */
export function runtimeArgs(model: string): string[] {
  return serveArgs({
    model,
    listenAddress: '$(POD_IP)',
    grpcPort: RUNTIME_GRPC_PORT,
    httpPort: RUNTIME_HTTP_PORT,
    threads: 1,
    gpu: 'cpu',
    parallel: 1,
    contextSize: 256,
  });
}

type Obj = Record<string, unknown>;

/** The runtime container as the operator builds it, trimmed for a test model: probes on gRPC health and HTTP. */
export function runtimeContainer(model: TestModel | { path: string }, overrides: Obj = {}): Obj {
  return {
    name: 'runtime',
    image: 'ghcr.io/gptoss/runtime:0.1.0',
    args: runtimeArgs(typeof model === 'string' ? `/models/${TEST_MODELS[model].file}` : model.path),
    env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
    ports: [
      { name: 'grpc', containerPort: RUNTIME_GRPC_PORT },
      { name: 'http', containerPort: RUNTIME_HTTP_PORT },
    ],
    volumeMounts: [{ name: 'models', mountPath: '/models', readOnly: true }],
    startupProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1, failureThreshold: 60 },
    readinessProbe: {
      grpc: { port: RUNTIME_GRPC_PORT, service: RUNTIME_GRPC_SERVICE },
      periodSeconds: 1,
      failureThreshold: 2,
    },
    livenessProbe: { tcpSocket: { port: 'grpc' }, periodSeconds: 5 },
    ...overrides,
  };
}

/**
 * A Deployment pinned to the agent's node (nodeSelector on the dev-agent label and its hostname), tolerating the GPU
 * taint.
 */
export function agentDeployment(name: string, namespace: string, nodeName: string, podSpec: Obj, replicas = 1): string {
  const labels = { app: name };
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          nodeSelector: { 'gptoss.io/dev-agent': 'true', 'kubernetes.io/hostname': nodeName },
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }, DEV_AGENT_TAINT],
          terminationGracePeriodSeconds: 10,
          volumes: [{ name: 'models', hostPath: { path: MODELS_DIR, type: 'Directory' } }],
          ...podSpec,
        },
      },
    },
  });
}

export const core = () => clusterAccess().kc.makeApiClient(CoreV1Api);

export async function listPods(namespace: string, app: string): Promise<V1Pod[]> {
  return (await core().listNamespacedPod({ namespace, labelSelector: `app=${app}` })).items;
}

export const isReady = (pod: V1Pod) =>
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Waits until `count` pods of the app are Ready (and none is being deleted); returns them. */
export async function readyPods(namespace: string, app: string, count: number, timeoutMs = 60_000): Promise<V1Pod[]> {
  let pods: V1Pod[] = [];
  await waitFor(
    async () => {
      pods = (await listPods(namespace, app)).filter((p) => !p.metadata?.deletionTimestamp);
      return pods.length === count && pods.every(isReady);
    },
    timeoutMs,
    `${count} Ready pods of ${namespace}/${app}`,
    200,
  );
  return pods;
}

export async function podEvents(namespace: string, podName: string): Promise<CoreV1Event[]> {
  return (await core().listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${podName}` })).items;
}

/** The pid behind a containerID of the agent (devagent://<pid>). */
export const pidOf = (containerID: string | undefined) => Number(/^devagent:\/\/(\d+)$/.exec(containerID ?? '')?.[1]);

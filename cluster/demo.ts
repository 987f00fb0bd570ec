import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, Metadata, status, type ClientReadableStream } from '@grpc/grpc-js';
import { CoreV1Api, CustomObjectsApi, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../operator/api/v1alpha1/gptOssModel.js';
import { RuntimeClient } from '../contract/grpc/protos.js';
import { MODEL_LABEL, RUNTIME_GRPC_PORT, RUNTIME_HTTP_PORT, hostPort } from '../contract/names.js';
import { modelCacheDir, PACKAGE_ROOT } from '../contract/paths.js';
import { CRD_FILE } from '../scripts/genCrd.js';
import { DEV_AGENT_TAINT } from './agent/config.js';
import { down, readState, stateDir, up, type ClusterState } from './cluster.js';
import { freePort, runs, startDaemon, stopDaemon, waitFor } from './processes.js';

/**
 * The local demo stack (`npm start`, `npm run stop`): the `demo` cluster, the CRD, the operator, a
 * dev agent and the gateway as background processes, a GptOssModel served by a synthetic gpt-oss
 * model that answers in harmony, and an API key for it. Everything is started again only where it is
 * not already running.
 */

/** GPTOSS_DEMO_CLUSTER names another cluster (the demo's own test uses one, so it never touches yours). */
export const DEMO_CLUSTER = process.env.GPTOSS_DEMO_CLUSTER ?? 'demo';
export const DEMO_NAMESPACE = 'gptoss-demo';
export const DEMO_MODEL = 'gpt-oss-demo';
/** The model's id at the gateway. */
export const DEMO_ID = `${DEMO_NAMESPACE}/${DEMO_MODEL}`;
const AGENT_NODE = 'gptoss-dev-0';
const GPTOSS = join(PACKAGE_ROOT, 'dist', 'cli', 'gptoss.js');
const AGENT = join(PACKAGE_ROOT, 'dist', 'cluster', 'agent', 'cli.js');
const MODEL_FILE = join(modelCacheDir(), 'gpt-oss-tiny-scripted-seed1.gguf');

interface DemoProcesses {
  operator?: { pid: number; metrics: string };
  agent?: { pid: number };
  gateway?: { pid: number; http: string; grpc: string };
  /** The gateway's ops port, chosen once: the operator's autoscaler reads the held requests there. */
  gatewayOpsPort?: number;
}
const processesFile = () => join(stateDir(DEMO_CLUSTER), 'demo.json');
const readProcesses = (): DemoProcesses =>
  existsSync(processesFile()) ? (JSON.parse(readFileSync(processesFile(), 'utf8')) as DemoProcesses) : {};

export interface DemoStack {
  kubeconfig: string;
  /** The model's pod, straight. */
  grpc: string;
  http: string;
  pod: string;
  /** The gateway in front of it, and the demo's API key. */
  gateway: { http: string; grpc: string; key: string };
}

type Say = (line: string) => void;

/** The demo's model (scripted harmony, tiny), written once into the model cache; its path. */
export async function ensureDemoModel(say: Say = () => undefined): Promise<string> {
  const { ensureSynthModel } = await import('../runtime/synth/synthModel.js');
  if (await ensureSynthModel({ arch: 'gpt-oss', preset: 'tiny', scripted: true, seed: 1, out: MODEL_FILE }))
    say(`wrote the synthetic model ${MODEL_FILE}`);
  return MODEL_FILE;
}

/** The agent and the operator as background processes, started only where their recorded pid no longer runs them. */
async function ensureBackground(cluster: ClusterState, say: Say): Promise<void> {
  const processes = readProcesses();
  const logs = join(cluster.dir, 'logs');
  const env = { ...process.env, KUBECONFIG: cluster.kubeconfig };
  if (!processes.agent || !runs(processes.agent.pid, process.execPath)) {
    processes.agent = {
      pid: startDaemon(
        process.execPath,
        [AGENT, '--name', DEMO_CLUSTER, '--node-name', AGENT_NODE],
        join(logs, 'agent.log'),
        env,
      ),
    };
    say(`started the dev agent (node ${AGENT_NODE}, pid ${processes.agent.pid}; log ${join(logs, 'agent.log')})`);
  }
  processes.gatewayOpsPort ??= await freePort();
  if (!processes.operator || !runs(processes.operator.pid, process.execPath)) {
    const port = await freePort();
    // the demo model is a file of the model cache: the admin policy allows that folder, and only it; the
    // autoscaler counts the requests the gateway holds
    const config = join(cluster.dir, 'operator.yaml');
    writeFileSync(
      config,
      `policy:\n  hostPathPrefixes: [${JSON.stringify(modelCacheDir())}]\n` +
        `autoscaler:\n  gateways: ["127.0.0.1:${processes.gatewayOpsPort}"]\n`,
    );
    processes.operator = {
      pid: startDaemon(
        process.execPath,
        [
          GPTOSS,
          'operator',
          '--config',
          config,
          '--namespace',
          DEMO_NAMESPACE,
          '--lease-namespace',
          DEMO_NAMESPACE,
          '--port',
          String(port),
          '--lease-duration-seconds',
          '5',
        ],
        join(logs, 'operator.log'),
        env,
      ),
      metrics: `http://127.0.0.1:${port}/metrics`,
    };
    say(
      `started the operator (pid ${processes.operator.pid}; metrics ${processes.operator.metrics}; ` +
        `log ${join(logs, 'operator.log')})`,
    );
  }
  if (!processes.gateway || !runs(processes.gateway.pid, process.execPath))
    processes.gateway = await startGateway(cluster, env, processes.gatewayOpsPort, say);
  writeFileSync(processesFile(), JSON.stringify(processes, null, 2));
}

/**
 * `gptoss gateway` for the demo namespace, its keys there too; it reads the pods (the dev agent's
 * loopback addresses cannot be in an EndpointSlice).
 */
async function startGateway(cluster: ClusterState, env: NodeJS.ProcessEnv, ops: number, say: Say) {
  const [http, grpc] = [await freePort(), await freePort()];
  const log = join(cluster.dir, 'logs', 'gateway.log');
  const pid = startDaemon(
    process.execPath,
    [GPTOSS, 'gateway', '--namespaces', DEMO_NAMESPACE, '--keys-namespace', DEMO_NAMESPACE]
      .concat(['--replica-source', 'pods', '--drain-seconds', '5'])
      .concat(['--http-port', String(http), '--grpc-port', String(grpc), '--ops-port', String(ops)]),
    log,
    env,
  );
  const gateway = { pid, http: `http://127.0.0.1:${http}`, grpc: `127.0.0.1:${grpc}` };
  say(`started the gateway (pid ${pid}; ${gateway.http}; log ${log})`);
  return gateway;
}

/**
 * The demo's API key, made once with `gptoss keys create` for the demo model only and kept in the
 * cluster's state folder (as its kubeconfig is): the key Secret holds only its hash, so this file is
 * where `npm start` finds it again. A key whose Secret is gone is made anew.
 */
function ensureDemoKey(cluster: ClusterState, kubectl: (args: string[]) => string, say: Say): string {
  const file = join(cluster.dir, 'demo-key');
  const kept = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  const id = /^gptoss_([a-z0-9-]+)_/.exec(kept)?.[1];
  const secrets = kubectl(['get', 'secrets', '-n', DEMO_NAMESPACE, '-o', 'name']);
  if (id && secrets.split('\n').includes(`secret/gptoss-key-${id}`)) return kept;
  const key = execFileSync(
    process.execPath,
    [GPTOSS, 'keys', 'create', '--namespace', DEMO_NAMESPACE, '--team', 'demo', '--models', DEMO_ID],
    { encoding: 'utf8', env: { ...process.env, KUBECONFIG: cluster.kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] },
  ).trim();
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  say(`created the demo's API key (team demo, model ${DEMO_ID}; kept in ${file})`);
  return key;
}

type Model = {
  metadata: { generation: number };
  status?: {
    observedGeneration?: number;
    conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
  };
};

/**
 * Brings the stack up (or finds it up), waits for the model to be Ready telling what happens, and returns its pod's
 * addresses.
 */
export async function startDemo(say: Say): Promise<DemoStack> {
  await ensureDemoModel(say);
  const cluster = await up({ name: DEMO_CLUSTER, log: say });
  const kubectl = (args: string[], input?: string) =>
    execFileSync(cluster.binaries.kubectl, [`--kubeconfig=${cluster.kubeconfig}`, ...args], {
      input,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  kubectl(['apply', '--server-side', '--field-manager=gptoss-demo', '-f', CRD_FILE]);
  kubectl(['wait', '--for=condition=Established', `crd/${PLURAL}.${GROUP}`, '--timeout=60s']);
  kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: DEMO_NAMESPACE } }),
  );
  await ensureBackground(cluster, say);
  kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'GptOssModel',
      metadata: { name: DEMO_MODEL, namespace: DEMO_NAMESPACE },
      spec: {
        variant: 'gpt-oss-20b',
        contextSize: 2048,
        parallelSlots: 4,
        reasoningEffort: 'medium',
        source: { hostPath: { path: MODEL_FILE } },
        // the dev agent's node, where pods really run; the kwok nodes run nothing
        gpu: { nodeSelector: { 'gptoss.io/dev-agent': 'true' }, tolerations: [DEV_AGENT_TAINT] },
        runtime: { args: ['--gpu', 'cpu'], terminationGracePeriodSeconds: 10 },
      },
    }),
  );
  say(`applied GptOssModel ${DEMO_NAMESPACE}/${DEMO_MODEL}; waiting for it to be Ready`);

  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const seen = new Set<string>();
  await waitFor(
    async () => {
      const model = (await custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: DEMO_NAMESPACE,
        plural: PLURAL,
        name: DEMO_MODEL,
      })) as Model;
      for (const c of model.status?.conditions ?? []) {
        const line = `  ${c.type}=${c.status} ${c.reason}: ${c.message}`;
        if (!seen.has(line)) say(line);
        seen.add(line);
      }
      return (
        model.status?.observedGeneration === model.metadata.generation &&
        (model.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
      );
    },
    300_000,
    `GptOssModel ${DEMO_MODEL} to be Ready`,
    500,
  );

  const pods = await kc
    .makeApiClient(CoreV1Api)
    .listNamespacedPod({ namespace: DEMO_NAMESPACE, labelSelector: `${MODEL_LABEL}=${DEMO_MODEL}` });
  const pod = pods.items.find((p: V1Pod) =>
    p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  )!;
  const ip = pod.status!.podIP!;
  const { gateway } = readProcesses();
  return {
    kubeconfig: cluster.kubeconfig,
    grpc: hostPort(ip, RUNTIME_GRPC_PORT),
    http: `http://${hostPort(ip, RUNTIME_HTTP_PORT)}`,
    pod: pod.metadata!.name!,
    gateway: { http: gateway!.http, grpc: gateway!.grpc, key: ensureDemoKey(cluster, kubectl, say) },
  };
}

type Delta = { channel?: string; text?: string; usage?: { completion_tokens?: number } };

/**
 * One chat over gRPC through the gateway, with the demo's key: reasoning (analysis channel) and
 * answer (final channel) written apart as they stream. The gateway may not have seen the pod turn
 * Ready yet (its watch and the operator's are apart): UNAVAILABLE before the first token is retried
 * for a while.
 */
export async function streamOneAnswer(gateway: DemoStack['gateway'], write: (text: string) => void): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const started = { value: false };
    try {
      return await streamOnce(gateway, write, started);
    } catch (error) {
      const unavailable = (error as { code?: number }).code === status.UNAVAILABLE;
      if (started.value || !unavailable || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function streamOnce(gateway: DemoStack['gateway'], write: (text: string) => void, started: { value: boolean }) {
  const client = new RuntimeClient(gateway.grpc, credentials.createInsecure()) as {
    Chat(r: object, metadata: Metadata): ClientReadableStream<Delta>;
    close(): void;
  };
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${gateway.key}`);
  const stream = client.Chat(
    { model: DEMO_ID, messages: [{ role: 'user', content: 'Hi! What can you do?' }] },
    metadata,
  );
  let channel = '';
  return new Promise<void>((resolve, reject) => {
    stream.on('data', (d: Delta) => {
      started.value = true;
      if (d.text && d.channel && d.channel !== channel) {
        channel = d.channel;
        write(
          channel === 'CHANNEL_ANALYSIS'
            ? '\nreasoning: '
            : channel === 'CHANNEL_FINAL'
              ? '\nanswer:    '
              : `\n${channel}: `,
        );
      }
      if (d.text) write(d.text);
      if (d.usage) write(`\n(${d.usage.completion_tokens} tokens)\n`);
    });
    stream.on('error', reject);
    stream.on('end', () => resolve());
  }).finally(() => client.close());
}

/** `npm run stop`: the gateway, the operator and the agent (its pods' processes with it), then the cluster. */
export async function stopDemo(say: Say): Promise<void> {
  const processes = readProcesses();
  if (processes.gateway) await stopDaemon(processes.gateway.pid, process.execPath);
  if (processes.operator) await stopDaemon(processes.operator.pid, process.execPath);
  if (processes.agent) await stopDaemon(processes.agent.pid, process.execPath, 30_000);
  if (readState(DEMO_CLUSTER)) await down(DEMO_CLUSTER, say);
  say('stopped the demo stack');
}

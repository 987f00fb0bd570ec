/**
 * Stack benchmark: time from `kubectl apply` of a GptOssModel to the first streamed token, on the
 * local cluster with the dev agent running the pod (synthetic model, weights already on disk),
 * against a baseline measured in the same run: `gptoss serve` started directly on the same model,
 * from spawn to first token. The ratio is what the control plane path costs (scheduling, the
 * agent, probes, the operator's reconciles) on top of starting the runtime.
 *
 *   npm run bench:stack [-- --rounds 3]
 */
import { execFileSync, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { credentials, type ClientReadableStream } from '@grpc/grpc-js';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { DEV_AGENT_TAINT } from '../cluster/agent/config.js';
import { up } from '../cluster/cluster.js';
import { ensureDemoModel } from '../cluster/demo.js';
import { freePort, waitFor } from '../cluster/processes.js';
import { RuntimeClient } from '../contract/grpc/protos.js';
import { MODEL_LABEL, RUNTIME_GRPC_PORT, hostPort } from '../contract/names.js';
import { PACKAGE_ROOT } from '../contract/paths.js';
import { CRD_FILE } from '../scripts/genCrd.js';
import { GPTOSS, hostPathPolicy, spawnOperator } from './operatorProcess.js';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const ROUNDS = Number(args.rounds);
const AGENT = join(PACKAGE_ROOT, 'dist', 'cluster', 'agent', 'cli.js');
const NAMESPACE = 'bench-stack';
const NODE = 'bench-dev-0';

type Stream = ClientReadableStream<{ text?: string }>;

/** Milliseconds until the first text of a Chat on `address`, retrying while nothing listens. */
async function firstToken(address: string, started: number): Promise<number> {
  for (;;) {
    const client = new RuntimeClient(address, credentials.createInsecure()) as {
      Chat(r: object): Stream;
      close(): void;
    };
    const got = await new Promise<boolean>((resolve) => {
      const stream = client.Chat({ messages: [{ role: 'user', content: 'Hi' }] });
      stream.on('data', (d: { text?: string }) => {
        if (d.text) {
          resolve(true);
          stream.cancel();
        }
      });
      stream.on('error', () => resolve(false));
      stream.on('end', () => resolve(false));
    });
    client.close();
    if (got) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function baseline(model: string): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      GPTOSS,
      'serve',
      '--model',
      model,
      '--gpu',
      'cpu',
      '--threads',
      '1',
      '--grpc-port',
      String(port),
      '--http-port',
      '0',
      '--parallel',
      '2',
      '--context-size',
      '1024',
    ],
    { stdio: 'ignore' },
  );
  try {
    return await firstToken(`127.0.0.1:${port}`, started);
  } finally {
    child.kill('SIGKILL');
  }
}

const INTERVAL_S = 2;
const STREAMS = 4;

type Kubectl = (a: string[], input?: string) => string;

/**
 * A load step against one replica of a builtin-autoscaled model: seconds to the decision and to a new replica
 * answering.
 */
async function autoscalerReaction(kubectl: Kubectl, core: CoreV1Api, model: string) {
  const name = 'scaled';
  kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'gptoss.io/v1alpha1',
      kind: 'GptOssModel',
      metadata: { name, namespace: NAMESPACE },
      spec: {
        variant: 'gpt-oss-20b',
        contextSize: 2048,
        parallelSlots: 2,
        source: { hostPath: { path: model } },
        gpu: { nodeSelector: { 'kubernetes.io/hostname': NODE }, tolerations: [DEV_AGENT_TAINT] },
        runtime: { args: ['--gpu', 'cpu', '--threads', '1'] },
        autoscaling: {
          mode: 'builtin',
          minReplicas: 1,
          maxReplicas: 2,
          targetUtilization: 0.5,
          scaleDownDelaySeconds: 600,
        },
      },
    }),
  );
  const ready = async () =>
    (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `${MODEL_LABEL}=${name}` })).items.filter(
      (p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
  await waitFor(async () => (await ready()).length === 1, 120_000, 'one ready replica', 100);
  const [first] = await ready();
  let loading = true;
  const load = Array.from({ length: STREAMS }, async (_, i) => {
    while (loading) {
      const client = new RuntimeClient(
        hostPort(first!.status!.podIP!, RUNTIME_GRPC_PORT),
        credentials.createInsecure(),
      ) as { Generate(r: object): Stream; close(): void };
      await new Promise<void>((resolve) => {
        const stream = client.Generate({ prompt: `load ${i}`, max_tokens: 1500, seed: i });
        stream.on('data', () => undefined);
        stream.on('error', () => resolve());
        stream.on('end', () => resolve());
      });
      client.close();
    }
  });
  const started = performance.now();
  await waitFor(
    () => Number(kubectl(['get', 'gom', name, '-n', NAMESPACE, '-o', 'jsonpath={.spec.replicas}'])) > 1,
    120_000,
    'the decision',
    50,
  );
  const decisionS = (performance.now() - started) / 1000;
  let second: string | undefined;
  await waitFor(
    async () => {
      second = (await ready()).find((p) => p.metadata!.name !== first!.metadata!.name)?.status?.podIP;
      return second !== undefined;
    },
    120_000,
    'the new replica',
    50,
  );
  await firstToken(hostPort(second!, RUNTIME_GRPC_PORT), started);
  const servingS = (performance.now() - started) / 1000;
  loading = false;
  await Promise.all(load);
  kubectl(['delete', 'gom', name, '-n', NAMESPACE, '--wait=true']);
  return { decisionS, servingS };
}

async function main() {
  const model = await ensureDemoModel();
  const cluster = await up({ name: 'bench' });
  const kubectl = (a: string[], input?: string) =>
    execFileSync(cluster.binaries.kubectl, [`--kubeconfig=${cluster.kubeconfig}`, ...a], { input, encoding: 'utf8' });
  kubectl(['apply', '--server-side', '-f', CRD_FILE]);
  kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } }));
  const agent = spawn(
    process.execPath,
    [AGENT, '--kubeconfig', cluster.kubeconfig, '--node-name', NODE, '--delete-node-on-stop', '--log-level', 'warn'],
    { stdio: 'ignore' },
  );
  const operator = spawnOperator({
    config: `autoscaler:\n  intervalSeconds: ${INTERVAL_S}\n  scrapeTimeoutMs: 1000\n${hostPathPolicy(dirname(model))}`,
    namespace: NAMESPACE,
    kubeconfig: cluster.kubeconfig,
  });
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const rows: Array<{ baselineMs: number; stackMs: number }> = [];
  let reaction: { decisionS: number; servingS: number };
  try {
    await waitFor(
      async () =>
        await core.readNode({ name: NODE }).then(
          () => true,
          () => false,
        ),
      60_000,
      'the agent node',
    );
    for (let round = 0; round < ROUNDS; round++) {
      const baselineMs = await baseline(model);
      const name = `m-${round}`;
      const started = performance.now();
      kubectl(
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: 'gptoss.io/v1alpha1',
          kind: 'GptOssModel',
          metadata: { name, namespace: NAMESPACE },
          spec: {
            variant: 'gpt-oss-20b',
            contextSize: 1024,
            parallelSlots: 2,
            source: { hostPath: { path: model } },
            gpu: { nodeSelector: { 'kubernetes.io/hostname': NODE }, tolerations: [DEV_AGENT_TAINT] },
            runtime: { args: ['--gpu', 'cpu', '--threads', '1'] },
          },
        }),
      );
      let ip = '';
      await waitFor(
        async () => {
          const pods = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `${MODEL_LABEL}=${name}` });
          ip = pods.items.find((p) => p.status?.podIP)?.status?.podIP ?? '';
          return ip !== '';
        },
        120_000,
        'a pod IP',
        10,
      );
      const stackMs = await firstToken(hostPort(ip, RUNTIME_GRPC_PORT), started);
      rows.push({ baselineMs, stackMs });
      kubectl(['delete', 'gom', name, '-n', NAMESPACE, '--wait=true']);
    }
    reaction = await autoscalerReaction(kubectl, core, model);
  } finally {
    operator.kill('SIGTERM');
    agent.kill('SIGTERM');
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log('| round | gptoss serve: spawn to first token | kubectl apply to first token | ratio |');
  console.log('|---|---|---|---|');
  rows.forEach((r, i) =>
    console.log(
      `| ${i + 1} | ${(r.baselineMs / 1000).toFixed(2)} s | ${(r.stackMs / 1000).toFixed(2)} s ` +
        `| ${(r.stackMs / r.baselineMs).toFixed(2)} |`,
    ),
  );
  const b = median(rows.map((r) => r.baselineMs));
  const s = median(rows.map((r) => r.stackMs));
  console.log(`| median | ${(b / 1000).toFixed(2)} s | ${(s / 1000).toFixed(2)} s | ${(s / b).toFixed(2)} |`);
  console.log(
    `\nAutoscaler (interval ${INTERVAL_S} s, ${STREAMS} streams on one 2-slot replica, target 0.5): decision after ` +
      `${reaction.decisionS.toFixed(1)} s (${(reaction.decisionS / INTERVAL_S).toFixed(1)} intervals), ` +
      'new replica serving after ' +
      `${reaction.servingS.toFixed(1)} s (${(reaction.servingS / INTERVAL_S).toFixed(1)} intervals)`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

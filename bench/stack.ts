/**
 * Stack benchmark: time from `kubectl apply` of a GptOssModel to the first streamed token, on the
 * local cluster with the dev agent running the pod (synthetic model, weights already on disk),
 * against a baseline measured in the same run: `gptoss serve` started directly on the same model,
 * from spawn to first token. The ratio is what the control plane path costs (scheduling, the
 * agent, probes, the operator's reconciles) on top of starting the runtime.
 *
 *   npm run bench:stack [-- --rounds 3]
 */
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { credentials, type ClientReadableStream } from '@grpc/grpc-js';
import type { CoreV1Api } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { DEV_AGENT_TAINT } from '../cluster/agent/config.js';
import { ensureDemoModel } from '../cluster/demo.js';
import { waitFor } from '../cluster/processes.js';
import { RuntimeClient } from '../contract/grpc/protos.js';
import { MODEL_LABEL, RUNTIME_GRPC_PORT, hostPort } from '../contract/names.js';
import { startLocalStack, type Kubectl } from './localStack.js';
import { baseline, firstToken } from './serveBaseline.js';
import { median } from './streamStats.js';
import { LOOPBACK_URL_POLICY, printWeightCache, weightCacheRounds, type SecondReplicaRow } from './weightCache.js';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const ROUNDS = Number(args.rounds);
const NAMESPACE = 'bench-stack';
const NODE = 'bench-dev-0';

type Stream = ClientReadableStream<{ text?: string }>;

const INTERVAL_S = 2;
const STREAMS = 4;

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
  const { kubectl, kc, core, stop } = await startLocalStack({
    namespace: NAMESPACE,
    node: NODE,
    operatorConfig: stringify({
      autoscaler: { intervalSeconds: INTERVAL_S, scrapeTimeoutMs: 1000 },
      // the synthetic model's folder for the hostPath models, the bench's file server for the url ones
      policy: { hostPathPrefixes: [dirname(model)], ...LOOPBACK_URL_POLICY },
    }),
  });
  const rows: Array<{ baselineMs: number; stackMs: number }> = [];
  let reaction: { decisionS: number; servingS: number };
  let secondReplicas: SecondReplicaRow[];
  try {
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
    secondReplicas = await weightCacheRounds(
      { kubectl, kc, core, namespace: NAMESPACE, node: NODE, modelFile: model },
      ROUNDS,
    );
  } finally {
    stop();
  }
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
  printWeightCache(secondReplicas, statSync(model).size);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

/**
 * Scale-to-zero benchmark: a builtin-autoscaled GptOssModel (min 0, max 1, scaleToZeroAfterSeconds 2)
 * on the local cluster with the dev agent (scripted synthetic gpt-oss tiny, weights on disk), the
 * operator and `gptoss gateway` as processes. Each round waits for the model to be at zero (no
 * replica asked for, no pod), then sends one streamed chat completion through the gateway and times
 * it to the first token: the gateway holds it, wakes the model (scale 0 -> 1), the operator scales
 * the Deployment, the pod is scheduled and started, turns Ready, and the gateway lets the request
 * go. The baseline of each round is `gptoss serve` started directly on the same model, from spawn
 * to first token (serveBaseline.ts); the ratio is what waking through the cluster costs on top of
 * starting the runtime. The steps between are timed from the gateway's log and from watches.
 *
 *   npm run bench:zero [-- --rounds 3]
 */
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { DEV_AGENT_TAINT } from '../cluster/agent/config.js';
import { ensureDemoModel } from '../cluster/demo.js';
import { freePort, waitFor } from '../cluster/processes.js';
import { createBenchKey, startClusterGateway, type ClusterGateway } from './clusterGateway.js';
import { startLocalStack, type LocalStack } from './localStack.js';
import { hostPathPolicy } from './operatorProcess.js';
import { baseline } from './serveBaseline.js';
import { streamedChat } from './streamedChat.js';
import { percentile } from './streamStats.js';
import { WAKE_STEPS, watchWake, type WakeTimeline } from './wakeTimeline.js';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const ROUNDS = Number(args.rounds);
const NAMESPACE = 'bench-zero';
const NODE = 'bench-zero-0';
const NAME = 'sleepy';
const IDLE_SECONDS = 2;
const INTERVAL_S = 1;

const modelSpec = (model: string) => ({
  apiVersion: 'gptoss.io/v1alpha1',
  kind: 'GptOssModel',
  metadata: { name: NAME, namespace: NAMESPACE },
  spec: {
    variant: 'gpt-oss-20b',
    // the baseline's settings (serveBaseline.ts)
    contextSize: 1024,
    parallelSlots: 2,
    replicas: 1,
    source: { hostPath: { path: model } },
    gpu: { nodeSelector: { 'kubernetes.io/hostname': NODE }, tolerations: [DEV_AGENT_TAINT] },
    runtime: { args: ['--gpu', 'cpu', '--threads', '1'], terminationGracePeriodSeconds: 10 },
    autoscaling: { mode: 'builtin', minReplicas: 0, maxReplicas: 1, scaleToZeroAfterSeconds: IDLE_SECONDS },
  },
});

/** Steps of a wake, milliseconds after the request was sent (undefined: not seen). */
type Steps = Record<string, number | undefined>;

interface Round {
  baselineMs: number;
  /** The request sent at zero, to its first token through the gateway. */
  zeroMs: number;
  steps: Steps;
  /** Seconds from the round's answer to the model at zero again (the next round's wait). */
  toZeroS: number;
}

/** When the gateway first logged `msg` at or after `since` (Date.now()). */
function loggedAt(gateway: ClusterGateway, msg: string, since: number): number | undefined {
  const line = gateway.logLines().find((l) => l.msg === msg && Date.parse(l.time ?? '') >= since);
  return line ? Date.parse(line.time!) : undefined;
}

/** Waits until the model asks for no replica and has no pod left (a terminating one included). */
async function waitForZero({ kubectl, core }: LocalStack) {
  await waitFor(
    async () =>
      kubectl(['get', 'gom', NAME, '-n', NAMESPACE, '-o', 'jsonpath={.spec.replicas}']) === '0' &&
      (await core.listNamespacedPod({ namespace: NAMESPACE })).items.length === 0,
    120_000,
    `${NAME} at zero`,
    100,
  );
}

interface Bench {
  stack: LocalStack;
  gateway: ClusterGateway;
  key: string;
  timeline: WakeTimeline;
  /** The model file. */
  model: string;
}

/** A baseline, then one request at zero through the gateway; returns once the model is at zero again. */
async function oneRound({ stack, gateway, key, timeline, model }: Bench): Promise<Round> {
  const baselineMs = await baseline(model);
  timeline.reset();
  const sent = Date.now();
  const answer = await streamedChat(gateway.http, key, {
    model: `${NAMESPACE}/${NAME}`,
    messages: [{ role: 'user', content: 'Hi' }],
    max_tokens: 32,
  });
  const zeroMs = answer.ttftS * 1000;
  const since = (at: number | undefined) => (at === undefined ? undefined : at - sent);
  const steps: Steps = {
    'held (the gateway)': since(loggedAt(gateway, 'Holding requests', sent)),
    'scale written 0 -> 1 (the gateway)': since(loggedAt(gateway, 'Woke model', sent)),
    ...Object.fromEntries(WAKE_STEPS.map((step) => [step, since(timeline.marks().get(step))])),
    'first token': zeroMs,
  };
  const answered = Date.now();
  await waitForZero(stack);
  return { baselineMs, zeroMs, steps, toZeroS: (Date.now() - answered) / 1000 };
}

function report(rows: Round[]) {
  const s = (value: number | undefined) => (value === undefined ? 'not seen' : `${(value / 1000).toFixed(2)} s`);
  console.log('| round | gptoss serve: spawn to first token | request at zero to first token | ratio |');
  console.log('|---|---|---|---|');
  rows.forEach((r, i) =>
    console.log(`| ${i + 1} | ${s(r.baselineMs)} | ${s(r.zeroMs)} | ${(r.zeroMs / r.baselineMs).toFixed(2)} |`),
  );
  const b = percentile(
    rows.map((r) => r.baselineMs),
    50,
  );
  const z = percentile(
    rows.map((r) => r.zeroMs),
    50,
  );
  console.log(`| median | ${s(b)} | ${s(z)} | ${(z / b).toFixed(2)} |`);
  console.log('\nWhere the time goes: each step, seconds after the request was sent\n');
  console.log(`| step | ${rows.map((_, i) => `round ${i + 1}`).join(' | ')} |`);
  console.log(`|---|${rows.map(() => '---|').join('')}`);
  for (const step of Object.keys(rows[0]!.steps))
    console.log(`| ${step} | ${rows.map((r) => s(r.steps[step])).join(' | ')} |`);
  console.log(
    `\nBack at zero after each answer (scaleToZeroAfterSeconds ${IDLE_SECONDS}, autoscaler interval ` +
      `${INTERVAL_S} s, pod gone): ${rows.map((r) => `${r.toZeroS.toFixed(1)} s`).join(', ')}`,
  );
}

async function main() {
  const model = await ensureDemoModel();
  // the gateway's ops port is chosen first: the operator's autoscaler reads the held requests there
  const opsPort = await freePort();
  const stack = await startLocalStack({
    namespace: NAMESPACE,
    node: NODE,
    operatorConfig:
      `autoscaler:\n  intervalSeconds: ${INTERVAL_S}\n  scrapeTimeoutMs: 500\n` +
      `  gateways: ["127.0.0.1:${opsPort}"]\n${hostPathPolicy(dirname(model))}`,
  });
  const rows: Round[] = [];
  let gateway: ClusterGateway | undefined;
  let timeline: WakeTimeline | undefined;
  try {
    gateway = await startClusterGateway(stack.kubeconfig, NAMESPACE, ['--ops-port', String(opsPort)]);
    const key = await createBenchKey(stack.kubeconfig, NAMESPACE, [gateway]);
    timeline = await watchWake(stack.kc, NAMESPACE, NAME);
    stack.kubectl(['apply', '-f', '-'], JSON.stringify(modelSpec(model)));
    // it starts at one replica, serves nothing, and goes to zero on its own
    await waitForZero(stack);
    for (let round = 0; round < ROUNDS; round++) rows.push(await oneRound({ stack, gateway, key, timeline, model }));
  } finally {
    stack.kubectl(['delete', 'gom', NAME, '-n', NAMESPACE, '--ignore-not-found', '--wait=true']);
    timeline?.stop();
    await gateway?.stop();
    stack.stop();
  }
  report(rows);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

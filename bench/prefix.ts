/**
 * Multi-turn benchmark: prefix-aware routing (`gptoss gateway --routing prefix-hash`) against routing
 * by load alone (`--routing least-load`), in the same run, on the same two runtime pods. The local
 * cluster with the dev agent runs a GptOssModel of 2 replicas x 2 slots (scripted synthetic gpt-oss
 * small: the small preset's cost per token, answering a fixed text, so every run does the same work);
 * a gateway process per strategy serves it. 16 conversations of 4 turns each, 4 conversations at a
 * time, go through one gateway, then the same through the other: each turn is a streamed chat
 * completion sent once the previous turn's answer is in and the user has paused (1 s on average, the
 * same pauses for both), the answer appended to the messages as a chat client does. Every
 * conversation starts with the run's system prompt (a few hundred tokens) and a first message of its
 * own. Measured per strategy: time to first token (p50, p99; the client's, streamed, through the
 * gateway), the prompt tokens the runtimes evaluated and found cached (the deltas of
 * gptoss_runtime_prompt_tokens_{evaluated,cached}_sum over both pods), and the gateway's routing
 * decisions by reason. docs/benchmarks.md has the figures and why the cluster rather than bare runtimes.
 *
 *   npm run bench:prefix [-- --conversations 16 --turns 4 --concurrency 4 --think-ms 1000 --rounds 1 --trace]
 */
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEV_AGENT_TAINT } from '../cluster/agent/config.js';
import { waitFor } from '../cluster/processes.js';
import { MODEL_LABEL, RUNTIME_HTTP_PORT } from '../contract/names.js';
import { modelCacheDir } from '../contract/paths.js';
import { ensureSynthModel } from '../runtime/synth/synthModel.js';
import { createBenchKey, startClusterGateway, type ClusterGateway } from './clusterGateway.js';
import { startLocalStack, type LocalStack } from './localStack.js';
import { hostPathPolicy } from './operatorProcess.js';
import { streamedChat, type ChatMessage } from './streamedChat.js';
import { ms, percentile } from './streamStats.js';

const { values: args } = parseArgs({
  options: {
    conversations: { type: 'string', default: '16' },
    turns: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '1' },
    'think-ms': { type: 'string', default: '1000' },
    trace: { type: 'boolean', default: false },
  },
});
const CONVERSATIONS = Number(args.conversations);
const TURNS = Number(args.turns);
const CONCURRENCY = Number(args.concurrency);
const ROUNDS = Number(args.rounds);
const THINK_MS = Number(args['think-ms']);
const NAMESPACE = 'bench-prefix';
const NODE = 'bench-prefix-0';
const NAME = 'chat';
const MODEL_ID = `${NAMESPACE}/${NAME}`;
const MAX_TOKENS = 64;
const MODEL_FILE = join(modelCacheDir(), 'gpt-oss-small-scripted-seed1.gguf');
const STRATEGIES = ['prefix-hash', 'least-load'] as const;
type Strategy = (typeof STRATEGIES)[number];

const modelSpec = {
  apiVersion: 'gptoss.io/v1alpha1',
  kind: 'GptOssModel',
  metadata: { name: NAME, namespace: NAMESPACE },
  spec: {
    variant: 'gpt-oss-20b',
    // the 4th turn's prompt is about 950 tokens (the synthetic tokenizer makes about a token a character)
    contextSize: 2048,
    parallelSlots: 2,
    replicas: 2,
    source: { hostPath: { path: MODEL_FILE } },
    gpu: { nodeSelector: { 'kubernetes.io/hostname': NODE }, tolerations: [DEV_AGENT_TAINT] },
    runtime: { args: ['--gpu', 'cpu', '--threads', '1'], terminationGracePeriodSeconds: 10 },
  },
};

/**
 * The application's instructions, the same for every conversation of a run; each run's own (its
 * number first), so no run finds another's tokens in a slot. About 340 tokens, with harmony's header 520.
 */
const systemPrompt = (run: number) =>
  `Session ${run}. You are the harbour archive assistant. Answer in one short sentence, quote the notes ` +
  'the user gave you, say so when they do not tell, and never invent ships, dates or ports. Keep a polite, ' +
  'plain tone; no lists, no markdown, no greetings beyond one word. When two notes disagree, say which ' +
  'one is newer and prefer it.';

/** A conversation's first message: notes of its own (about 170 tokens), so conversations part after the system. */
const firstMessage = (c: number) =>
  `Conversation ${c}. My notes: ` +
  Array.from({ length: 4 }, (_, i) => `ship ${i} is Vessel-${c * 7 + i}, out of port ${c + i + 11}.`).join(' ') +
  ' Tell me about them.';

const question = (turn: number) => `Question ${turn + 1}: which of them sailed farthest, and why?`;

/**
 * The user's pause before a turn: uniform in [0, 2 x THINK_MS), the same for a conversation's turn in
 * every run (a hash of the two, not Math.random), so both strategies see the same arrivals.
 */
function thinkMs(c: number, turn: number): number {
  let h = Math.imul(c + 1, 0x9e3779b1) ^ Math.imul(turn + 1, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h ^= h >>> 13;
  return ((h >>> 0) / 2 ** 32) * 2 * THINK_MS;
}

/** The value of an unlabelled sample (Prometheus text format); 0 when absent. */
const sample = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);

async function readyPodIps({ core }: LocalStack): Promise<string[]> {
  const pods = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `${MODEL_LABEL}=${NAME}` });
  return pods.items
    .filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((p) => p.status!.podIP!);
}

/** Prompt tokens evaluated and cached so far, over the model's pods. */
async function promptTokens(ips: readonly string[]) {
  let evaluated = 0;
  let cached = 0;
  for (const ip of ips) {
    const text = await (await fetch(`http://${ip}:${RUNTIME_HTTP_PORT}/metrics`)).text();
    evaluated += sample(text, 'gptoss_runtime_prompt_tokens_evaluated_sum');
    cached += sample(text, 'gptoss_runtime_prompt_tokens_cached_sum');
  }
  return { evaluated, cached };
}

/** The gateway's routing decisions for the model so far, by reason. */
async function routingDecisions(gateway: ClusterGateway): Promise<Map<string, number>> {
  const text = await (await fetch(`${gateway.ops}/metrics`)).text();
  const decisions = new Map<string, number>();
  for (const match of text.matchAll(/^gptoss_gateway_routing_decisions_total\{([^}]*)\} (\S+)$/gm)) {
    const reason = /reason="([^"]*)"/.exec(match[1]!)?.[1];
    if (match[1]!.includes(`model="${MODEL_ID}"`) && reason) decisions.set(reason, Number(match[2]));
  }
  return decisions;
}

/** The ready replicas the gateway last logged for the model (discovery's "Added model" / "Updated replicas"). */
const replicasSeen = (gateway: ClusterGateway) =>
  gateway
    .logLines()
    .filter((l) => (l.msg === 'Added model' || l.msg === 'Updated replicas') && l.name === NAME)
    .map((l) => l.readyReplicas as number)
    .at(-1) ?? 0;

interface RunResult {
  strategy: Strategy;
  /** Every turn's TTFT in seconds, and the later turns' (2 on) apart: those a slot may have kept. */
  ttfts: number[];
  laterTtfts: number[];
  /** Later turns whose slot still held the conversation's previous prompt (all of it cached). */
  historyFound: number;
  evaluated: number;
  cached: number;
  seconds: number;
  decisions: Map<string, number>;
}

/** One conversation: TURNS streamed turns, each sent once the previous answer is in and the user paused. */
async function converse(gateway: ClusterGateway, key: string, run: number, c: number, result: RunResult) {
  const messages: ChatMessage[] = [
    { role: 'system', content: systemPrompt(run) },
    { role: 'user', content: firstMessage(c) },
  ];
  let previousPrompt = Infinity;
  for (let turn = 0; turn < TURNS; turn++) {
    await new Promise((resolve) => setTimeout(resolve, thinkMs(c, turn)));
    const answer = await streamedChat(gateway.http, key, { model: MODEL_ID, messages, max_tokens: MAX_TOKENS });
    result.ttfts.push(answer.ttftS);
    if (turn > 0) result.laterTtfts.push(answer.ttftS);
    if (answer.cachedTokens >= previousPrompt) result.historyFound += 1;
    previousPrompt = answer.promptTokens;
    if (args.trace)
      process.stderr.write(
        `${result.strategy} conversation ${c} turn ${turn + 1}: prompt ${answer.promptTokens} tokens, ` +
          `${answer.cachedTokens} cached, TTFT ${ms(answer.ttftS)}\n`,
      );
    messages.push({ role: 'assistant', content: answer.content }, { role: 'user', content: question(turn + 1) });
  }
}

/** Every conversation through the gateway, CONCURRENCY at a time. */
async function runWorkload(
  stack: LocalStack,
  gateway: ClusterGateway,
  key: string,
  run: number,
  strategy: Strategy,
): Promise<RunResult> {
  const ips = await readyPodIps(stack);
  const tokensBefore = await promptTokens(ips);
  const decisionsBefore = await routingDecisions(gateway);
  const result: RunResult = {
    strategy,
    ttfts: [],
    laterTtfts: [],
    historyFound: 0,
    evaluated: 0,
    cached: 0,
    seconds: 0,
    decisions: new Map(),
  };
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CONVERSATIONS) await converse(gateway, key, run, next++, result);
    }),
  );
  result.seconds = (performance.now() - started) / 1000;
  const tokensAfter = await promptTokens(ips);
  result.evaluated = tokensAfter.evaluated - tokensBefore.evaluated;
  result.cached = tokensAfter.cached - tokensBefore.cached;
  for (const [reason, count] of await routingDecisions(gateway))
    result.decisions.set(reason, count - (decisionsBefore.get(reason) ?? 0));
  return result;
}

/** The two strategies' runs added up (over rounds). */
function total(runs: RunResult[], strategy: Strategy): RunResult {
  const mine = runs.filter((r) => r.strategy === strategy);
  const decisions = new Map<string, number>();
  for (const r of mine) for (const [reason, n] of r.decisions) decisions.set(reason, (decisions.get(reason) ?? 0) + n);
  return {
    strategy,
    ttfts: mine.flatMap((r) => r.ttfts),
    laterTtfts: mine.flatMap((r) => r.laterTtfts),
    historyFound: mine.reduce((s, r) => s + r.historyFound, 0),
    evaluated: mine.reduce((s, r) => s + r.evaluated, 0),
    cached: mine.reduce((s, r) => s + r.cached, 0),
    seconds: mine.reduce((s, r) => s + r.seconds, 0),
    decisions,
  };
}

function report(runs: RunResult[]) {
  const [hash, load] = STRATEGIES.map((s) => total(runs, s)) as [RunResult, RunResult];
  const share = (r: RunResult) => `${((100 * r.cached) / (r.cached + r.evaluated)).toFixed(0)} %`;
  const decisions = (r: RunResult) => [...r.decisions].map(([reason, n]) => `${reason} ${n}`).join(', ');
  const row = (r: RunResult) =>
    `| ${r.strategy} | ${ms(percentile(r.ttfts, 50))} | ${ms(percentile(r.ttfts, 99))} ` +
    `| ${ms(percentile(r.laterTtfts, 50))} | ${r.historyFound} of ${r.laterTtfts.length} | ${r.evaluated} ` +
    `| ${r.cached} (${share(r)}) | ${r.seconds.toFixed(1)} s | ${decisions(r)} |`;
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  console.log(
    `${CONVERSATIONS} conversations x ${TURNS} turns, ${CONCURRENCY} at a time, ${ROUNDS} round(s); ` +
      `a pause of ${THINK_MS} ms on average before each turn; 2 replicas x 2 slots, scripted gpt-oss ` +
      `small, ${hash.ttfts.length} requests per strategy\n`,
  );
  console.log(
    '| routing | TTFT p50 | TTFT p99 | TTFT p50, turns 2 on | turns 2 on finding their history ' +
      '| prompt tokens evaluated | cached | wall | decisions |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  console.log(row(hash));
  console.log(row(load));
  console.log(
    `| prefix-hash / least-load | ${ratio(percentile(hash.ttfts, 50), percentile(load.ttfts, 50))} ` +
      `| ${ratio(percentile(hash.ttfts, 99), percentile(load.ttfts, 99))} ` +
      `| ${ratio(percentile(hash.laterTtfts, 50), percentile(load.laterTtfts, 50))} ` +
      `| ${ratio(hash.historyFound, load.historyFound)} | ${ratio(hash.evaluated, load.evaluated)} ` +
      `| ${ratio(hash.cached, load.cached)} | ${ratio(hash.seconds, load.seconds)} | |`,
  );
}

/** Both replicas Ready and known to both gateways, and each runtime's first request (its warm-up) done. */
async function modelReady(stack: LocalStack, gateways: readonly ClusterGateway[]) {
  await waitFor(async () => (await readyPodIps(stack)).length === 2, 180_000, 'two ready replicas', 200);
  await waitFor(() => gateways.every((g) => replicasSeen(g) === 2), 30_000, 'the gateways to see both replicas');
  for (const ip of await readyPodIps(stack)) {
    const res = await fetch(`http://${ip}:${RUNTIME_HTTP_PORT}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: NAME, messages: [{ role: 'user', content: 'Warm up.' }], max_tokens: 8 }),
    });
    if (!res.ok) throw new Error(`warm-up of ${ip}: HTTP ${res.status}: ${await res.text()}`);
  }
}

async function main() {
  await ensureSynthModel({ arch: 'gpt-oss', preset: 'small', scripted: true, seed: 1, out: MODEL_FILE });
  const stack = await startLocalStack({
    namespace: NAMESPACE,
    node: NODE,
    operatorConfig: hostPathPolicy(dirname(MODEL_FILE)),
  });
  const gateways = new Map<Strategy, ClusterGateway>();
  const runs: RunResult[] = [];
  try {
    for (const strategy of STRATEGIES)
      gateways.set(strategy, await startClusterGateway(stack.kubeconfig, NAMESPACE, ['--routing', strategy]));
    const key = await createBenchKey(stack.kubeconfig, NAMESPACE, [...gateways.values()]);
    stack.kubectl(['apply', '-f', '-'], JSON.stringify(modelSpec));
    await modelReady(stack, [...gateways.values()]);
    let run = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // the order alternates between rounds, so what a machine's drift does hits both alike
      const order = round % 2 === 0 ? STRATEGIES : [...STRATEGIES].reverse();
      for (const strategy of order) {
        run += 1;
        process.stderr.write(`round ${round + 1}: ${strategy}\n`);
        runs.push(await runWorkload(stack, gateways.get(strategy)!, key, run, strategy));
      }
    }
  } finally {
    stack.kubectl(['delete', 'gom', NAME, '-n', NAMESPACE, '--ignore-not-found', '--wait=true']);
    for (const gateway of gateways.values()) await gateway.stop();
    stack.stop();
  }
  report(runs);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

/**
 * Gateway benchmark, two parts in one run:
 * 1. tokens per second and time to first token through the gateway against straight to the runtime
 *    (`gptoss serve` in its own process, the same model, prompts and settings), over HTTP (SSE) and
 *    gRPC, at 1 and 8 streams, in interleaved rounds;
 * 2. against a stand-in upstream that answers at once: the latency the gateway adds to one request,
 *    and how many requests one gateway core authorises (a real key, SHA-256 and a constant-time
 *    comparison), admits (quota bookkeeping) and routes per second: requests completed per CPU
 *    second of the gateway process, read from /proc.
 * The gateway runs in a process of its own (bench/gatewayProcess.ts: the relay with a fixed model
 * directory in place of the informers).
 *
 *   npm run bench:gateway [-- --preset small --tokens 128 --rounds 2 --seconds 10 --clients 32
 *                            --parts streaming,routing]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { credentials, Metadata, type ClientReadableStream } from '@grpc/grpc-js';
import { newApiKey } from '../contract/keys.js';
import { RuntimeClient } from '../contract/grpc/protos.js';
import { modelCacheDir, PACKAGE_ROOT } from '../contract/paths.js';
import { defaultThreads } from '../runtime/engine/threads.js';
import { ensureSynthModel } from '../runtime/synth/synthModel.js';
import type { BenchGatewaySpec } from './gatewayProcess.js';
import { merge, ms, percentile, type Sample } from './streamStats.js';

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'small' },
    tokens: { type: 'string', default: '128' },
    rounds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '1,8' },
    seconds: { type: 'string', default: '10' },
    clients: { type: 'string', default: '32' },
    parts: { type: 'string', default: 'streaming,routing' },
  },
});
const TOKENS = Number(args.tokens);
const ROUNDS = Number(args.rounds);
const CONCURRENCY = args.concurrency.split(',').map(Number);
const THREADS = defaultThreads();
const SEED = 42;
const MODEL = { namespace: 'bench', name: 'chat' };
const KEY = newApiKey();
const DIST = join(PACKAGE_ROOT, 'dist');

/** Starts a node script and waits for the KEY=value lines it prints. */
async function child(script: string, scriptArgs: string[], keys: string[]) {
  const proc = spawn(process.execPath, [script, ...scriptArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
  const printed = await new Promise<Record<string, string>>((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const found = keys.map((k) => new RegExp(`^${k}=(\\S+)$`, 'm').exec(out)?.[1]);
      if (found.every(Boolean)) resolve(Object.fromEntries(keys.map((k, i) => [k, found[i]!])));
    });
    proc.on('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
  return { proc: proc as ChildProcess, printed };
}

const stop = async (proc: ChildProcess) => {
  proc.kill('SIGTERM');
  if (proc.exitCode === null) await new Promise((r) => proc.once('exit', r));
};

const replicaAt = (http: string, grpc: string) => {
  const { hostname, port } = new URL(http);
  return { pod: 'bench-0', ip: hostname, httpPort: Number(port), grpcPort: Number(grpc.split(':').at(-1)) };
};

function startGateway(replicas: BenchGatewaySpec['replicas']) {
  const spec: BenchGatewaySpec = { model: MODEL, replicas, key: KEY };
  return child(join(DIST, 'bench', 'gatewayProcess.js'), [JSON.stringify(spec)], ['HTTP', 'GRPC']);
}

/** N streams at once, `perStream` requests each. */
async function drive(
  concurrency: number,
  perStream: number,
  one: (i: number) => Promise<{ tokens: number; ttft: number }>,
) {
  const ttfts: number[] = [];
  let tokens = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, stream) => {
      for (let k = 0; k < perStream; k++) {
        const r = await one(stream * perStream + k);
        tokens += r.tokens;
        ttfts.push(r.ttft);
      }
    }),
  );
  return { tokens, seconds: (performance.now() - start) / 1000, ttfts };
}

const messages = (i: number) => [
  { role: 'user', content: `Benchmark request ${i}: tell me a long story about the sea.` },
];
const sampling = { max_tokens: TOKENS, temperature: 1, top_p: 1, seed: SEED };
/** The first text of an answer (reasoning or content), in an SSE chunk. */
const FIRST_TEXT = /"(reasoning_content|content)":"[^"]/;

/** Streamed chat completions over HTTP; TTFT is the first chunk with text. */
const viaHttp = (url: string, model: string, key: string | null) => (concurrency: number, perStream: number) =>
  drive(concurrency, perStream, async (i) => {
    const start = performance.now();
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({
        model,
        messages: messages(i),
        ...sampling,
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
    const decoder = new TextDecoder();
    let ttft = 0;
    let tokens = 0;
    let tail = '';
    for await (const chunk of res.body! as AsyncIterable<Uint8Array>) {
      tail = (tail + decoder.decode(chunk, { stream: true })).slice(-400);
      if (ttft === 0 && FIRST_TEXT.test(tail)) ttft = (performance.now() - start) / 1000;
      const usage = /"completion_tokens":(\d+)/.exec(tail);
      if (usage) tokens = Number(usage[1]);
    }
    return { tokens, ttft };
  });

type Delta = { text?: string; usage?: { completion_tokens: number } };
type Stub = { Chat(req: object, metadata: Metadata): ClientReadableStream<Delta>; close(): void };

/** Streamed Chat over gRPC; TTFT is the first message with text. */
function viaGrpc(address: string, model: string, key: string | null) {
  const stub = new RuntimeClient(address, credentials.createInsecure()) as Stub;
  const metadata = new Metadata();
  if (key) metadata.set('authorization', `Bearer ${key}`);
  const run = (concurrency: number, perStream: number) =>
    drive(
      concurrency,
      perStream,
      (i) =>
        new Promise((resolve, reject) => {
          const start = performance.now();
          let ttft = 0;
          let tokens = 0;
          const call = stub.Chat({ model, messages: messages(i), ...sampling }, metadata);
          call.on('data', (m: Delta) => {
            if (m.text && ttft === 0) ttft = (performance.now() - start) / 1000;
            if (m.usage) tokens = m.usage.completion_tokens;
          });
          call.on('end', () => resolve({ tokens, ttft }));
          call.on('error', reject);
        }),
    );
  return { run, close: () => stub.close() };
}

const tps = (s: Sample) => s.tokens / s.seconds;

/** Part 1: the same streams straight to the runtime and through the gateway, interleaved. */
async function streaming(modelPath: string): Promise<string[]> {
  const runtime = await child(
    join(DIST, 'cli', 'gptoss.js'),
    ['serve', '--model', modelPath, '--model-name', MODEL.name, '--grpc-port', '0', '--http-port', '0']
      .concat(['--parallel', String(Math.max(...CONCURRENCY)), '--context-size', '1024', '--threads', String(THREADS)])
      .concat(['--gpu', 'cpu', '--log-level', 'warn']),
    ['GRPC', 'HTTP'],
  );
  const gateway = await startGateway([replicaAt(runtime.printed.HTTP!, runtime.printed.GRPC!)]);
  const id = `${MODEL.namespace}/${MODEL.name}`;
  const grpcDirect = viaGrpc(runtime.printed.GRPC!, MODEL.name, null);
  const grpcGateway = viaGrpc(gateway.printed.GRPC!, id, KEY.key);
  const paths = {
    'http, straight to the runtime': viaHttp(runtime.printed.HTTP!, MODEL.name, null),
    'http, through the gateway': viaHttp(gateway.printed.HTTP!, id, KEY.key),
    'grpc, straight to the runtime': grpcDirect.run,
    'grpc, through the gateway': grpcGateway.run,
  };
  const rows: string[] = [];
  for (const concurrency of CONCURRENCY) {
    const perStream = concurrency === 1 ? 8 : 3;
    for (const run of Object.values(paths)) await run(concurrency, 1); // warm-up of this batch shape
    const results = new Map<string, Sample[]>(Object.keys(paths).map((name) => [name, []]));
    for (let round = 0; round < ROUNDS; round++)
      for (const [name, run] of Object.entries(paths)) results.get(name)!.push(await run(concurrency, perStream));
    const straight = {
      http: merge(results.get('http, straight to the runtime')!),
      grpc: merge(results.get('grpc, straight to the runtime')!),
    };
    for (const [name, samples] of results) {
      const m = merge(samples);
      const base = straight[name.startsWith('http') ? 'http' : 'grpc'];
      rows.push(
        `| ${concurrency} | ${name} | ${tps(m).toFixed(1)} | ${(tps(m) / tps(base)).toFixed(3)} ` +
          `| ${ms(percentile(m.ttfts, 50))} | ${ms(percentile(m.ttfts, 50) - percentile(base.ttfts, 50))} ` +
          `| ${ms(percentile(m.ttfts, 99))} | ${m.ttfts.length} |`,
      );
    }
  }
  grpcDirect.close();
  grpcGateway.close();
  await stop(gateway.proc);
  await stop(runtime.proc);
  return rows;
}

/** User plus system CPU seconds a process has used, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return (Number(fields[11]) + Number(fields[12])) / ticks;
}

/** `clients` loops of non-streamed chat completions for `seconds`; requests completed. */
async function hammer(url: string, model: string, key: string | null, seconds: number, clients: number) {
  const body = JSON.stringify({ model, messages: messages(0), max_tokens: 1 });
  const headers = { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) };
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) {
        const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers, body });
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
        done += 1;
      }
    }),
  );
  return done;
}

/** One request at a time, `count` of them: each one's latency, in seconds. */
async function latencies(url: string, model: string, key: string | null, count: number): Promise<number[]> {
  const body = JSON.stringify({ model, messages: messages(0), max_tokens: 1 });
  const headers = { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) };
  const seconds: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers, body });
    await res.arrayBuffer();
    seconds.push((performance.now() - start) / 1000);
  }
  return seconds;
}

/**
 * Part 2: what the gateway adds to one request's latency (one client, interleaved batches, so the
 * stand-in answering at once leaves only the gateway's own time), and requests per second one gateway
 * core authorises and routes (many clients), against the stand-in upstream.
 */
async function routing(): Promise<{ latency: string[]; throughput: string[] }> {
  const seconds = Number(args.seconds);
  const clients = Number(args.clients);
  const upstream = await child(join(DIST, 'bench', 'standInUpstream.js'), [], ['HTTP']);
  const address = new URL(upstream.printed.HTTP!);
  const gateway = await startGateway([replicaAt(upstream.printed.HTTP!, `${address.hostname}:${address.port}`)]);
  const id = `${MODEL.namespace}/${MODEL.name}`;
  await hammer(gateway.printed.HTTP!, id, KEY.key, 1, clients); // warm-up: connections, JIT
  const through: number[] = [];
  const straightLatency: number[] = [];
  for (let batch = 0; batch < 10; batch++) {
    through.push(...(await latencies(gateway.printed.HTTP!, id, KEY.key, 100)));
    straightLatency.push(...(await latencies(upstream.printed.HTTP!, 'standin', null, 100)));
  }
  const row = (name: string, values: number[]) =>
    `| ${name} | ${ms(percentile(values, 50))} | ${ms(percentile(values, 99))} | ${values.length} |`;
  const latency = [
    row('straight to the stand-in', straightLatency),
    row('through the gateway', through),
    `| added by the gateway (p50) | ${ms(percentile(through, 50) - percentile(straightLatency, 50))} | | |`,
  ];
  const cpuBefore = cpuSeconds(gateway.proc.pid!);
  const throughGateway = await hammer(gateway.printed.HTTP!, id, KEY.key, seconds, clients);
  const cpu = cpuSeconds(gateway.proc.pid!) - cpuBefore;
  const straight = await hammer(upstream.printed.HTTP!, 'standin', null, seconds, clients);
  await stop(gateway.proc);
  await stop(upstream.proc);
  return {
    latency,
    throughput: [
      `| through the gateway | ${(throughGateway / seconds).toFixed(0)} | ${cpu.toFixed(1)} s ` +
        `| ${(throughGateway / cpu).toFixed(0)} |`,
      `| straight to the stand-in (the client's own ceiling) | ${(straight / seconds).toFixed(0)} | | |`,
    ],
  };
}

const modelPath = join(modelCacheDir(), `gpt-oss-${args.preset}-seed1.gguf`);
await ensureSynthModel({ arch: 'gpt-oss', preset: args.preset as 'small', seed: 1, out: modelPath });
process.stderr.write(
  `model ${modelPath}, ${TOKENS} tokens a request, ${THREADS} llama.cpp thread(s), ${ROUNDS} rounds\n`,
);
const parts = args.parts.split(',');
const streamRows = parts.includes('streaming') ? await streaming(modelPath) : [];
const routingRows = parts.includes('routing') ? await routing() : { latency: [], throughput: [] };
const cpu = cpus()[0]?.model ?? 'unknown CPU';
process.stdout.write(
  [
    `Machine: ${cpus().length} x ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
    `Model: synthetic gpt-oss ${args.preset} (random weights), chat, ${TOKENS} tokens a request, temperature 1, ` +
      `seed ${SEED}`,
    '',
    '| streams | path | tokens/s | ratio to straight | TTFT p50 | TTFT p50 added | TTFT p99 | requests |',
    '|---|---|---|---|---|---|---|---|',
    ...streamRows,
    '',
    'Latency, one client, non-streamed chat completions, stand-in upstream (answers at once, no model)',
    '',
    '| path | p50 | p99 | requests |',
    '|---|---|---|---|',
    ...routingRows.latency,
    '',
    `Routing: ${args.clients} clients, non-streamed chat completions for ${args.seconds} s, stand-in upstream ` +
      '(answers at once, no model)',
    '',
    '| path | requests/s | gateway CPU | requests per gateway CPU second |',
    '|---|---|---|---|',
    ...routingRows.throughput,
    '',
  ].join('\n'),
);

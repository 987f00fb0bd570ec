/**
 * Runtime benchmark: tokens per second through gRPC and through the OpenAI HTTP API against
 * node-llama-cpp called in-process, on the same synthetic model, prompts and settings, in one run.
 * Reported as ratios to that baseline, at 1 and 8 concurrent streams, with time to first token.
 *
 *   npm run bench [-- --preset small --tokens 128 --rounds 2]
 */
import { spawn } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { credentials, type ClientReadableStream } from '@grpc/grpc-js';
import { HarmonyChatWrapper, LlamaChat, LlamaLogLevel, getLlama } from 'node-llama-cpp';
import { Engine } from '../runtime/engine/engine.js';
import { defaultThreads } from '../runtime/engine/threads.js';
import { CHAT_DEFAULTS } from '../contract/api/chat.js';
import { systemClock } from '../contract/clock.js';
import { createLogger } from '../contract/log.js';
import { RuntimeClient } from '../contract/grpc/protos.js';
import { modelCacheDir, PACKAGE_ROOT } from '../contract/paths.js';
import { ensureSynthModel } from '../runtime/synth/synthModel.js';
import { merge, ms, percentile, type Sample } from './streamStats.js';

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'small' },
    tokens: { type: 'string', default: '128' },
    rounds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '1,8' },
  },
});
const TOKENS = Number(args.tokens);
const ROUNDS = Number(args.rounds);
const CONCURRENCY = args.concurrency.split(',').map(Number);
const MAX_SLOTS = Math.max(...CONCURRENCY);
const THREADS = defaultThreads();
const CONTEXT = 1024;
const SEED = 42;

const prompt = (i: number) => [
  { role: 'user', content: `Benchmark request ${i}: tell me a long story about the sea.` },
];

async function ensureModel(): Promise<string> {
  const path = join(modelCacheDir(), `gpt-oss-${args.preset}-seed1.gguf`);
  await ensureSynthModel({ arch: 'gpt-oss', preset: args.preset as 'small', seed: 1, out: path });
  return path;
}

/** N streams at once, `perStream` requests each; every request generates exactly TOKENS tokens. */
async function drive(
  concurrency: number,
  perStream: number,
  one: (i: number) => Promise<{ tokens: number; ttft: number }>,
): Promise<Sample> {
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

async function baseline(modelPath: string) {
  const llama = await getLlama({ gpu: false, build: 'never', maxThreads: THREADS, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({ contextSize: CONTEXT, sequences: MAX_SLOTS, threads: THREADS });
  const sequences = Array.from({ length: MAX_SLOTS }, () => context.getSequence());
  const free = [...sequences];
  return {
    run: (concurrency: number, perStream: number) =>
      drive(concurrency, perStream, async (i) => {
        const sequence = free.pop()!;
        const chat = new LlamaChat({
          contextSequence: sequence,
          chatWrapper: new HarmonyChatWrapper({ reasoningEffort: 'medium' }),
          autoDisposeSequence: false,
        });
        const start = performance.now();
        let ttft = 0;
        let chunks = 0;
        await chat.generateResponse(
          [
            { type: 'user', text: prompt(i)[0]!.content },
            { type: 'model', response: [] },
          ],
          {
            maxTokens: TOKENS,
            temperature: 1,
            topP: 1,
            seed: SEED,
            onResponseChunk: (c) => {
              if (c.text && chunks++ === 0) ttft = (performance.now() - start) / 1000;
            },
          },
        );
        chat.dispose({ disposeSequence: false });
        free.push(sequence);
        return { tokens: TOKENS, ttft };
      }),
    close: async () => {
      await context.dispose();
      await model.dispose();
    },
  };
}

/** Our engine called in-process: what the serving layer costs before any transport or process hop. */
async function inProcessEngine(modelPath: string) {
  const quiet = { promptTokens() {}, firstToken() {}, interDelta() {}, generated() {}, finished() {} };
  const engine = await Engine.load(
    {
      modelPath,
      modelName: 'bench',
      currentDate: 'today',
      parallel: MAX_SLOTS,
      contextSize: CONTEXT,
      reasoningEffort: 'medium',
      threads: THREADS,
      gpu: 'cpu',
      maxQueue: MAX_SLOTS,
    },
    quiet,
    systemClock,
    createLogger('warn'),
  );
  return {
    run: (concurrency: number, perStream: number) =>
      drive(concurrency, perStream, async (i) => {
        const start = performance.now();
        let ttft = 0;
        const outcome = await engine.chat(
          {
            ...CHAT_DEFAULTS,
            model: '',
            messages: prompt(i) as never,
            stop: [],
            maxTokens: TOKENS,
            temperature: 1,
            topP: 1,
            seed: SEED,
          },
          () => {
            if (ttft === 0) ttft = (performance.now() - start) / 1000;
          },
          new AbortController().signal,
        );
        return { tokens: outcome.usage.completionTokens, ttft };
      }),
    close: () => engine.dispose(),
  };
}

async function server(modelPath: string) {
  const child = spawn(
    process.execPath,
    [
      join(PACKAGE_ROOT, 'dist', 'cli', 'gptoss.js'),
      'serve',
      '--model',
      modelPath,
      '--grpc-port',
      '0',
      '--http-port',
      '0',
      '--parallel',
      String(MAX_SLOTS),
      '--context-size',
      String(CONTEXT),
      '--threads',
      String(THREADS),
      '--gpu',
      'cpu',
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const { grpc, http } = await new Promise<{ grpc: string; http: string }>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const g = /GRPC=(\S+)/.exec(out)?.[1];
      const h = /HTTP=(\S+)/.exec(out)?.[1];
      if (g && h) resolve({ grpc: g, http: h });
    });
    child.on('exit', (code) => reject(new Error(`gptoss serve exited ${code}`)));
  });
  type Stub = {
    Chat(req: object): ClientReadableStream<{ text?: string; usage?: { completion_tokens: number } }>;
    close(): void;
  };
  const stub = new RuntimeClient(grpc, credentials.createInsecure()) as Stub;
  const viaGrpc = (concurrency: number, perStream: number) =>
    drive(
      concurrency,
      perStream,
      (i) =>
        new Promise((resolve, reject) => {
          const start = performance.now();
          let ttft = 0;
          let tokens = 0;
          const call = stub.Chat({ messages: prompt(i), max_tokens: TOKENS, temperature: 1, top_p: 1, seed: SEED });
          call.on('data', (m: { text?: string; usage?: { completion_tokens: number } }) => {
            if (m.text && ttft === 0) ttft = (performance.now() - start) / 1000;
            if (m.usage) tokens = m.usage.completion_tokens;
          });
          call.on('end', () => resolve({ tokens, ttft }));
          call.on('error', reject);
        }),
    );
  const viaHttp = (concurrency: number, perStream: number) =>
    drive(concurrency, perStream, async (i) => {
      const start = performance.now();
      const res = await fetch(`${http}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          messages: prompt(i),
          max_tokens: TOKENS,
          temperature: 1,
          top_p: 1,
          seed: SEED,
          stream: true,
          stream_options: { include_usage: true },
        }),
      });
      const decoder = new TextDecoder();
      let ttft = 0;
      let tokens = 0;
      let buffered = '';
      for await (const chunk of res.body! as AsyncIterable<Uint8Array>) {
        if (ttft === 0) ttft = (performance.now() - start) / 1000;
        buffered += decoder.decode(chunk, { stream: true });
        const usage = /"completion_tokens":(\d+)/.exec(buffered);
        if (usage) tokens = Number(usage[1]);
        buffered = buffered.slice(-200);
      }
      return { tokens, ttft };
    });
  return {
    viaGrpc,
    viaHttp,
    close: async () => {
      stub.close();
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

const modelPath = await ensureModel();
const base = await baseline(modelPath);
const engine = await inProcessEngine(modelPath);
const srv = await server(modelPath);
process.stderr.write(
  `model ${modelPath}, ${TOKENS} tokens a request, ${THREADS} llama.cpp thread(s), ${ROUNDS} rounds\n`,
);
const rows: string[] = [];
for (const concurrency of CONCURRENCY) {
  const perStream = concurrency === 1 ? 8 : 3;
  await base.run(concurrency, 1); // warm-up of this batch shape
  await srv.viaGrpc(concurrency, 1);
  const results = { baseline: [] as Sample[], engine: [] as Sample[], grpc: [] as Sample[], http: [] as Sample[] };
  // interleaved rounds, so drift of the machine hits all three alike
  for (let round = 0; round < ROUNDS; round++) {
    results.baseline.push(await base.run(concurrency, perStream));
    results.engine.push(await engine.run(concurrency, perStream));
    results.grpc.push(await srv.viaGrpc(concurrency, perStream));
    results.http.push(await srv.viaHttp(concurrency, perStream));
  }
  const tps = (s: Sample) => s.tokens / s.seconds;
  const b = merge(results.baseline);
  for (const [name, samples] of Object.entries(results)) {
    const m = merge(samples);
    rows.push(
      `| ${concurrency} | ${name} | ${tps(m).toFixed(1)} | ${(tps(m) / tps(b)).toFixed(3)} ` +
        `| ${ms(percentile(m.ttfts, 50))} | ${ms(percentile(m.ttfts, 99))} | ${m.ttfts.length} |`,
    );
  }
  if (concurrency === 1) rows.push(`|   | (baseline decode cost) | ${ms(b.seconds / b.tokens)} a token | | | | |`);
}
await srv.close();
await engine.close();
await base.close();
const cpu = cpus()[0]?.model ?? 'unknown CPU';
process.stdout.write(
  [
    `Machine: ${cpus().length} x ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ` +
      'node-llama-cpp CPU build',
    `Model: synthetic gpt-oss ${args.preset} (random weights), chat with harmony, ${TOKENS} tokens a request, ` +
      `temperature 1, seed ${SEED}`,
    '',
    '| streams | path | tokens/s | ratio to in-process | TTFT p50 | TTFT p99 | requests |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n'),
);

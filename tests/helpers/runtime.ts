import { credentials, type Client, type ClientReadableStream, type Metadata, type ServiceError } from '@grpc/grpc-js';
import OpenAI from 'openai';
import type { ServeOptions } from '../../contract/argv/serve.js';
import { loadServeConfig } from '../../runtime/config.js';
import { RpcStatus, BadRequest, RuntimeClient } from '../../contract/grpc/protos.js';
import { createLogger, type Logger } from '../../contract/log.js';
import { startRuntime, type RunningRuntime, type RuntimeDeps } from '../../runtime/serve.js';
import { modelPath, type TestModel } from './models.js';

export interface TestRuntime {
  runtime: RunningRuntime;
  grpc: RuntimeStub;
  openai: OpenAI;
  httpUrl: string;
  stop(): Promise<void>;
}

type Wire = Record<string, unknown>;
export interface RuntimeStub extends Client {
  Chat(request: Wire, options?: { deadline?: Date }): ClientReadableStream<Wire>;
  Generate(request: Wire, options?: { deadline?: Date }): ClientReadableStream<Wire>;
  CountTokens(request: Wire, callback: (error: ServiceError | null, response: Wire) => void): void;
  GetModelInfo(request: Wire, callback: (error: ServiceError | null, response: Wire) => void): void;
}

/**
 * A real runtime on ports 0 of 127.0.0.1, with a real grpc-js client and the openai SDK pointed at it.
 * `deps` may shorten its gRPC timeouts or give it a logger to read.
 */
export async function startTestRuntime(
  model: TestModel,
  overrides: Partial<ServeOptions> = {},
  { log, ...deps }: RuntimeDeps & { log?: Logger } = {},
): Promise<TestRuntime> {
  const config = loadServeConfig({
    model: modelPath(model),
    grpcPort: 0,
    httpPort: 0,
    parallel: 2,
    contextSize: 1024,
    threads: 1,
    gpu: 'cpu',
    ...overrides,
  });
  const runtime = await startRuntime(config, log ?? createLogger(process.env.GPTOSS_TEST_LOG ?? 'warn'), deps);
  const grpc = new RuntimeClient(runtime.grpcAddress, credentials.createInsecure()) as RuntimeStub;
  const openai = new OpenAI({ baseURL: `${runtime.httpUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
  return {
    runtime,
    grpc,
    openai,
    httpUrl: runtime.httpUrl,
    async stop() {
      grpc.close();
      await runtime.shutdown();
    },
  };
}

/** Everything a server stream sent, or the error that ended it. */
export function collect<T = Wire>(
  stream: ClientReadableStream<T>,
): Promise<{ messages: T[]; error: ServiceError | null }> {
  const messages: T[] = [];
  return new Promise((resolve) => {
    stream.on('data', (m: T) => messages.push(m));
    stream.on('error', (error: ServiceError) => resolve({ messages, error }));
    stream.on('end', () => resolve({ messages, error: null }));
  });
}

/**
 * A plain chat over gRPC ("Hi", unless messages are given): the error that ended it, and the final
 * channel's text, which a healthy runtime on the scripted model answers with SCRIPTED_ANSWER.
 */
export async function plainChat(
  client: Pick<RuntimeStub, 'Chat'>,
  messages: Wire[] = [{ role: 'user', content: 'Hi' }],
): Promise<{ error: ServiceError | null; answer: string }> {
  const { messages: sent, error } = await collect(client.Chat({ messages }));
  const answer = sent
    .filter((m) => m.channel === 'CHANNEL_FINAL')
    .map((m) => m.text as string)
    .join('');
  return { error, answer };
}

export function unary(fn: (req: Wire, cb: (e: ServiceError | null, r: Wire) => void) => void, request: Wire) {
  return new Promise<{ response: Wire | null; error: ServiceError | null }>((resolve) =>
    fn(request, (error, response) => resolve({ response: error ? null : response, error })),
  );
}

/** The details of one type (google.rpc.BadRequest, ...) in a gRPC error's grpc-status-details-bin, decoded. */
export function statusDetails(metadata: Metadata | undefined, type: typeof BadRequest): Array<Record<string, unknown>> {
  const raw = metadata?.get('grpc-status-details-bin')[0];
  if (!raw) return [];
  const status = RpcStatus.toObject(RpcStatus.decode(raw as Buffer), { defaults: true }) as {
    details: Array<{ type_url: string; value: Uint8Array }>;
  };
  return status.details
    .filter((d) => d.type_url === `type.googleapis.com/${type.fullName.slice(1)}`)
    .map((d) => type.toObject(type.decode(d.value), { longs: Number }));
}

/** The BadRequest field violations in a gRPC error's grpc-status-details-bin. */
export function fieldViolations(metadata: Metadata | undefined): Array<{ field: string; description: string }> {
  return statusDetails(metadata, BadRequest).flatMap(
    (d) => d.field_violations as Array<{ field: string; description: string }>,
  );
}

async function sample(httpUrl: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

/** A counter's sample, 0 while the series does not exist yet (labels as written in the exposition). */
export async function counter(httpUrl: string, name: string): Promise<number> {
  return (await sample(httpUrl, name)) ?? 0;
}

/** Scrapes /metrics and reads one sample's value (labels as written in the exposition). */
export async function metric(httpUrl: string, name: string): Promise<number> {
  const value = await sample(httpUrl, name);
  if (value === undefined) throw new Error(`metric ${name} not found`);
  return value;
}

export { waitFor } from './wait.js';

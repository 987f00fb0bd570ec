import { credentials, type Client, type ClientReadableStream, type Metadata, type ServiceError } from '@grpc/grpc-js';
import OpenAI from 'openai';
import type { ServeOptions } from '../../contract/argv/serve.js';
import { loadServeConfig } from '../../runtime/config.js';
import { RpcStatus, BadRequest, RuntimeClient } from '../../contract/grpc/protos.js';
import { createLogger } from '../../contract/log.js';
import { startRuntime, type RunningRuntime } from '../../runtime/serve.js';
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

/** A real runtime on ports 0 of 127.0.0.1, with a real grpc-js client and the openai SDK pointed at it. */
export async function startTestRuntime(model: TestModel, overrides: Partial<ServeOptions> = {}): Promise<TestRuntime> {
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
  const runtime = await startRuntime(config, createLogger(process.env.GPTOSS_TEST_LOG ?? 'warn'));
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
export function collect(stream: ClientReadableStream<Wire>): Promise<{ messages: Wire[]; error: ServiceError | null }> {
  const messages: Wire[] = [];
  return new Promise((resolve) => {
    stream.on('data', (m: Wire) => messages.push(m));
    stream.on('error', (error: ServiceError) => resolve({ messages, error }));
    stream.on('end', () => resolve({ messages, error: null }));
  });
}

export function unary(fn: (req: Wire, cb: (e: ServiceError | null, r: Wire) => void) => void, request: Wire) {
  return new Promise<{ response: Wire | null; error: ServiceError | null }>((resolve) =>
    fn(request, (error, response) => resolve({ response: error ? null : response, error })),
  );
}

/** The BadRequest field violations in a gRPC error's grpc-status-details-bin. */
export function fieldViolations(metadata: Metadata | undefined): Array<{ field: string; description: string }> {
  const raw = metadata?.get('grpc-status-details-bin')[0];
  if (!raw) return [];
  const status = RpcStatus.toObject(RpcStatus.decode(raw as Buffer), { defaults: true }) as {
    details: Array<{ type_url: string; value: Uint8Array }>;
  };
  return status.details
    .filter((d) => d.type_url.endsWith('google.rpc.BadRequest'))
    .flatMap(
      (d) =>
        (
          BadRequest.toObject(BadRequest.decode(d.value)) as {
            field_violations: Array<{ field: string; description: string }>;
          }
        ).field_violations,
    );
}

/** Scrapes /metrics and reads one sample's value (labels as written in the exposition). */
export async function metric(httpUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`metric ${name} not found`);
  return Number(line.slice(name.length + 1));
}

export { waitFor } from './wait.js';

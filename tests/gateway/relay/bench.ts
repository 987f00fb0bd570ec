import { Writable } from 'node:stream';
import { credentials } from '@grpc/grpc-js';
import OpenAI from 'openai';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { systemClock } from '../../../contract/clock.js';
import { RuntimeClient } from '../../../contract/grpc/protos.js';
import { GatewayMetrics } from '../../../gateway/metrics.js';
import { RELAY_DEFAULTS, type RelayConfig } from '../../../gateway/relay/config.js';
import { startRelay, type RunningRelay } from '../../../gateway/relay/relay.js';
import type { ServedModel } from '../../../gateway/types.js';
import type { RuntimeStub, TestRuntime } from '../../helpers/runtime.js';
import { FakeKeyDirectory, FixedModelDirectory, RecordingQuotaKeeper, RecordingWaker, replicaAt } from './fakes.js';

/** The key every test calls with unless it says otherwise: every model, no limits. */
export const KEY = 'sk-gptoss-test-open-key-0123456789';

/** A relay on loopback ports 0 in front of the fakes, with its logs and metrics readable. */
export interface RelayBench {
  relay: RunningRelay;
  directory: FixedModelDirectory;
  keys: FakeKeyDirectory;
  quotas: RecordingQuotaKeeper;
  waker: RecordingWaker;
  /** Every log line the relay wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  openai(key?: string): OpenAI;
  /** A Runtime client at the relay's gRPC address (close it after use). */
  grpc(): RuntimeStub;
  /** A sample of the relay's metrics (labels as written in the exposition), 0 while it does not exist. */
  metric(sample: string): Promise<number>;
  close(): Promise<void>;
}

/** A model whose replicas are the given runtimes, pods named after their index. */
export function modelOn(namespace: string, name: string, runtimes: TestRuntime[]): ServedModel {
  return {
    namespace,
    name,
    replicas: runtimes.map((t, i) => replicaAt(`${name}-${i}`, t.httpUrl, t.runtime.grpcAddress)),
    scaling: { replicas: runtimes.length, mode: 'off' },
  };
}

export async function startRelayBench(
  models: ServedModel[],
  options: { random?: () => number; config?: Partial<RelayConfig> } = {},
): Promise<RelayBench> {
  const directory = new FixedModelDirectory(models);
  const keys = new FakeKeyDirectory().add(KEY, 'key-open');
  const quotas = new RecordingQuotaKeeper();
  const waker = new RecordingWaker();
  const registry = new Registry();
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const relay = await startRelay({
    directory,
    keys,
    quotas,
    waker,
    config: {
      ...RELAY_DEFAULTS,
      // by load unless a test says otherwise: the tests know which runtime answers a tie
      routing: { ...RELAY_DEFAULTS.routing, strategy: 'least-load' },
      http: { host: '127.0.0.1', port: 0 },
      grpc: { host: '127.0.0.1', port: 0 },
      ...options.config,
    },
    log: pino({ level: 'debug' }, sink),
    metrics: new GatewayMetrics(registry),
    clock: systemClock,
    // the first replica first, whenever the counts tie: the tests know which runtime answers
    random: options.random ?? (() => 0),
  });
  return {
    relay,
    directory,
    keys,
    quotas,
    waker,
    logs,
    openai: (key = KEY) => new OpenAI({ baseURL: `${relay.httpUrl}/v1`, apiKey: key, maxRetries: 0 }),
    grpc: () => new RuntimeClient(relay.grpcAddress, credentials.createInsecure()) as RuntimeStub,
    async metric(sample) {
      const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${sample} `));
      return line === undefined ? 0 : Number(line.slice(sample.length + 1));
    },
    close: () => relay.close(),
  };
}

import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import type { ChatJob, ChatPrompt, GenerateJob } from '../../../contract/api/chat.js';
import { createLogger } from '../../../contract/log.js';
import { EngineRef } from '../../../runtime/engine/engineRef.js';
import type { Delta, FinishReason, ModelInfo, Outcome } from '../../../runtime/engine/types.js';
import { createHttpApp } from '../../../runtime/http/app.js';
import type { HttpEngine } from '../../../runtime/http/engines.js';
import { ResponseStore, type StoreLimits } from '../../../runtime/http/responses/store.js';
import { RuntimeMetrics } from '../../../runtime/metrics.js';

export { args, call, text } from './deltas.js';

export const FAKE_MODEL = 'fake-gpt-oss';

/** One answer of the fake engine: the deltas it streams, then how the turn ends (or what it throws). */
export interface ScriptedTurn {
  deltas: Delta[];
  finishReason?: FinishReason;
  /** Thrown after the deltas, as an engine failing mid-generation. */
  error?: Error;
  /** After the deltas, generate on until the request is aborted (a client that goes away). */
  untilAborted?: boolean;
  usage?: { promptTokens: number; completionTokens: number; reasoningTokens: number };
}

/**
 * A fake engine (the HTTP app's collaborator): it answers each chat with the next scripted turn,
 * one delta per event-loop turn so they stream as separate chunks, and records every job it was
 * given, so the tests see what the HTTP layer asked of it.
 */
export class FakeEngine implements HttpEngine {
  readonly jobs: ChatJob[] = [];
  readonly generated: GenerateJob[] = [];
  /** The abort signal of every generation, in order: aborted once its client has gone. */
  readonly signals: AbortSignal[] = [];
  /** How every generation that returned ended, in order. */
  readonly outcomes: Outcome[] = [];
  private readonly turns: ScriptedTurn[] = [];

  /** Queues the answers of the next chats, in order. */
  answer(...turns: ScriptedTurn[]): void {
    this.turns.push(...turns);
  }

  info(): ModelInfo {
    return {
      servedName: FAKE_MODEL,
      variant: '',
      architecture: 'gpt-oss',
      fileSizeBytes: 0,
      files: 1,
      harmony: true,
      contextSize: 1024,
      trainContextSize: 1024,
      parallelSlots: 1,
      maxQueue: 1,
      defaultReasoningEffort: 'medium',
      gpu: 'cpu',
      threads: 1,
    };
  }

  async chat(job: ChatJob, onDelta: (delta: Delta) => void, signal: AbortSignal): Promise<Outcome> {
    this.jobs.push(job);
    return this.play(onDelta, signal);
  }

  async generate(job: GenerateJob, onDelta: (delta: Delta) => void, signal: AbortSignal): Promise<Outcome> {
    this.generated.push(job);
    return this.play(onDelta, signal);
  }

  renderText(prompt: ChatPrompt): string {
    return `rendered ${prompt.messages.length} messages: ${prompt.messages.map((m) => m.content).join('|')}`;
  }

  private async play(onDelta: (delta: Delta) => void, signal: AbortSignal): Promise<Outcome> {
    this.signals.push(signal);
    const turn = this.turns.shift();
    if (!turn) throw new Error('the fake engine has no scripted turn left');
    for (const delta of turn.deltas) {
      await new Promise((resolve) => setImmediate(resolve));
      if (signal.aborted) break;
      onDelta(delta);
    }
    if (turn.untilAborted && !signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve));
    if (turn.error) throw turn.error;
    const usage = turn.usage ?? { promptTokens: 11, completionTokens: 7, reasoningTokens: 3 };
    const outcome: Outcome = {
      finishReason: signal.aborted ? 'cancelled' : (turn.finishReason ?? 'stop'),
      usage: { ...usage, timeToFirstTokenSeconds: 0, tokensPerSecond: 0 },
    };
    this.outcomes.push(outcome);
    return outcome;
  }
}

export interface FakeServer {
  engine: FakeEngine;
  store: ResponseStore;
  url: string;
  openai: OpenAI;
  close(): Promise<void>;
}

/** The real HTTP app on port 0 of 127.0.0.1 in front of a fake engine, with the openai SDK pointed at it. */
export async function startFakeServer(storeLimits?: StoreLimits): Promise<FakeServer> {
  const engine = new FakeEngine();
  const store = new ResponseStore(storeLimits);
  const app = createHttpApp({
    engines: { ready: true, loaded: engine, get: () => engine },
    metrics: new RuntimeMetrics(new EngineRef(), 1),
    log: createLogger('silent'),
    maxBodyBytes: 1024 * 1024,
    responseStore: store,
  });
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    engine,
    store,
    url,
    openai: new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 }),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** POSTs JSON and returns the status and the parsed body. */
export async function post(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** POSTs JSON for a stream and returns its server-sent events, parsed (`[DONE]` as the string). */
export async function postEvents(url: string, body: unknown): Promise<Array<{ event?: string; data: unknown }>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const raw = await res.text();
  return raw
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice('event: '.length);
      const data = lines.find((l) => l.startsWith('data: '))!.slice('data: '.length);
      return { ...(event && { event }), data: data === '[DONE]' ? data : (JSON.parse(data) as unknown) };
    });
}

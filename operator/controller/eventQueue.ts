import { ApiException } from '../../contract/kube/client.js';
import { describeError } from '../../contract/errors.js';
import type { Logger } from '../../contract/log.js';
import { KIND, type GptOssModel } from '../api/v1alpha1/gptOssModel.js';
import { realScheduler, type Scheduler } from '../../contract/kube/scheduler.js';

/** One Event on a model, as the reconciler decided it (its time is the decision's, not the send's). */
export interface ModelEvent {
  model: GptOssModel;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  at: Date;
}

/** Where a reconcile hands its Events: straight to the API server (tests, one-shot use) or to an EventQueue. */
export interface EventSink {
  record(event: ModelEvent): void | Promise<void>;
}

interface Entry {
  event: ModelEvent;
  attempt: number;
}

/** Why an Event was not delivered: each is logged (an error naming the model and reason) and counted. */
export type EventDropCause = 'queueFull' | 'refused' | 'retriesExhausted' | 'shutdown';

export interface EventQueueOptions {
  /** Events waiting or between tries; one more is dropped (and said), never blocking a reconcile. */
  capacity: number;
  /** Events in flight at once. */
  concurrency: number;
  /** Tries per Event, the first included. */
  maxAttempts: number;
  /** Delay before the second try, doubling up to backoffMaxMs. */
  backoffBaseMs: number;
  backoffMaxMs: number;
}

/**
 * 5000 waiting Events is the first reconciles of 1250 models at once (four each), a few MiB; one in flight, as
 * client-go's recorder sends them, leaves a busy API server to the reconciles' own writes first (with two, Events were
 * 122 of the operator's 280 writes while a benchmark created 200 models, the twin's 50: docs/benchmarks.md); five
 * tries over about 1.5 s ride out an API server restart's refusals without holding an Event long.
 */
export const EVENT_QUEUE_DEFAULTS: EventQueueOptions = {
  capacity: 5000,
  concurrency: 1,
  maxAttempts: 5,
  backoffBaseMs: 100,
  backoffMaxMs: 2000,
};

/** A refusal that the same request cannot get past (400, 403, 404, 422: a namespace being deleted, say). */
function permanent(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e instanceof ApiException) return e.code >= 400 && e.code < 500 && e.code !== 409 && e.code !== 429;
  }
  return false;
}

/**
 * Events off the reconcile's critical path, as client-go's recorder sends them, but never lost silently: a bounded
 * FIFO sent by a few workers; a failed send is tried again with back-off; an Event that cannot be delivered (queue
 * full, refused, out of tries, or still waiting at shutdown) is logged as an error with the model and reason and
 * counted by cause (`gptoss_operator_events_dropped_total`).
 */
export class EventQueue implements EventSink {
  private readonly waiting: Entry[] = [];
  private readonly inFlight = new Set<Entry>();
  private readonly retrying = new Map<unknown, Entry>();
  private closed = false;
  private idle: Array<() => void> = [];
  private readonly options: EventQueueOptions;
  private readonly scheduler: Scheduler;

  constructor(
    private readonly parts: {
      send: (event: ModelEvent) => Promise<void>;
      log: Logger;
      onDrop?: (cause: EventDropCause) => void;
      options?: Partial<EventQueueOptions>;
      scheduler?: Scheduler;
    },
  ) {
    this.options = { ...EVENT_QUEUE_DEFAULTS, ...parts.options };
    this.scheduler = parts.scheduler ?? realScheduler;
  }

  /** Events not yet delivered: waiting, in flight or between tries. */
  get depth(): number {
    return this.waiting.length + this.inFlight.size + this.retrying.size;
  }

  record(event: ModelEvent): void {
    if (this.closed) this.drop(event, 'shutdown', 'the operator is stopping');
    else if (this.depth >= this.options.capacity)
      this.drop(event, 'queueFull', `${this.options.capacity} Events are waiting`);
    else {
      this.waiting.push({ event, attempt: 1 });
      this.pump();
    }
  }

  /**
   * Stops taking Events and gives those queued up to `timeoutMs` to be delivered (tries waiting for their back-off
   * go at once); whatever is undelivered then is dropped, each said.
   */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    for (const [timer, entry] of this.retrying) {
      this.scheduler.clearTimeout(timer);
      this.waiting.push(entry);
    }
    this.retrying.clear();
    this.pump();
    if (this.depth > 0) {
      let timer: unknown;
      await Promise.race([
        new Promise<void>((resolve) => this.idle.push(resolve)),
        new Promise<void>((resolve) => {
          timer = this.scheduler.setTimeout(resolve, timeoutMs);
        }),
      ]);
      this.scheduler.clearTimeout(timer);
    }
    this.abandon('the operator stopped first');
  }

  /** Drops every undelivered Event at once, each said: the process is about to exit (leadership lost). */
  abandon(why: string): void {
    this.closed = true;
    for (const timer of this.retrying.keys()) this.scheduler.clearTimeout(timer);
    const left = [...this.waiting.splice(0), ...this.inFlight, ...this.retrying.values()];
    this.inFlight.clear();
    this.retrying.clear();
    for (const { event } of left) this.drop(event, 'shutdown', why);
  }

  private pump(): void {
    while (this.inFlight.size < this.options.concurrency && this.waiting.length > 0) {
      const entry = this.waiting.shift()!;
      this.inFlight.add(entry);
      void this.deliver(entry).finally(() => {
        this.inFlight.delete(entry);
        this.pump();
        if (this.depth === 0) for (const resolve of this.idle.splice(0)) resolve();
      });
    }
  }

  private async deliver(entry: Entry): Promise<void> {
    try {
      await this.parts.send(entry.event);
    } catch (error) {
      // abandoned meanwhile: already said
      if (!this.inFlight.has(entry)) return;
      if (permanent(error)) return this.drop(entry.event, 'refused', describeError(error));
      if (entry.attempt >= this.options.maxAttempts || this.closed)
        return this.drop(entry.event, 'retriesExhausted', `${entry.attempt} tries: ${describeError(error)}`);
      const delay = Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** (entry.attempt - 1));
      const retry = { event: entry.event, attempt: entry.attempt + 1 };
      const timer = this.scheduler.setTimeout(() => {
        this.retrying.delete(timer);
        this.waiting.push(retry);
        this.pump();
      }, delay);
      this.retrying.set(timer, retry);
    }
  }

  private drop(event: ModelEvent, cause: EventDropCause, why: string): void {
    const { namespace, name } = event.model.metadata;
    this.parts.log.error(
      { kind: KIND, namespace, name, eventType: event.type, reason: event.reason, cause, err: why },
      'Dropped model event',
    );
    this.parts.onDrop?.(cause);
  }
}

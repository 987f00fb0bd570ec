import { quoted } from '../../contract/api/limits.js';
import { describeError } from '../../contract/errors.js';
import type { Logger } from '../../contract/log.js';
import type { GatewayMetrics, HoldOutcome } from '../metrics.js';
import type { ModelDirectory, ModelWaker, ServedModel } from '../types.js';
import { modelId } from './modelIds.js';
import { Refusal } from './refusal.js';

/** How requests for a model without a Ready replica are held (gateway/relay/config.ts has the defaults). */
export interface HoldConfig {
  /** The longest a request waits for a Ready replica: a 120b load on a cold node takes minutes. */
  holdSeconds: number;
  /** Requests held per model at once; one more is refused at once. */
  maxHeldPerModel: number;
  /** How often a model with held requests is looked at: its replicas, and its wake retried. */
  pollMs: number;
  /** After a failed or unanswered wake, how long before the scale is written again. */
  wakeRetryMs: number;
  /**
   * The longest the next held request waits for the one before it to be handed on (written to its
   * replica: `ReadyModel.handedOn`); a bound should a relay never say so, not a pace.
   */
  handOffTimeoutMs: number;
  /** The retry-after of a request held past the limit, or refused for a full queue. */
  retryAfterSeconds: number;
}

/** The model a request may go on to, and how it says it has. */
export interface ReadyModel {
  model: ServedModel;
  /**
   * Says the request was written to a replica (or never will be: it failed, its client left). A held request's
   * successor goes on only then, so that a replica takes held requests in the order they came. Idempotent.
   */
  readonly handedOn: () => void;
}

const NOT_HELD = () => undefined;

interface Waiter {
  resolve: (ready: ReadyModel) => void;
  reject: (error: Error) => void;
  /** Clears the hold's timer and the client's abort listener. */
  settle: () => void;
}

interface ModelQueue {
  namespace: string;
  name: string;
  waiters: Waiter[];
  timer: NodeJS.Timeout;
  /** When the model was last woken (Date.now()); null: not yet. */
  wokeAt: number | null;
  /** A wake (scale write) in flight. */
  waking: boolean;
  /** A released request not yet handed on: the next waits, and the queue stays open for newcomers. */
  handingOn: boolean;
}

/**
 * Requests held for models with no Ready replica: at zero (the first held request wakes a builtin
 * model to one replica through the scale subresource; KEDA wakes an external one on the queue
 * metric), or starting. Each model has a bounded FIFO queue; once a replica is Ready the held
 * requests go on in arrival order, each once the one before it was written to its replica, and a
 * request that comes meanwhile queues behind them: a replica takes them in the order they came (the
 * runtime keeps arrival order from there: runtime/engine/arrivalOrder.ts). A request held past the
 * limit is answered 503 with retry-after; one
 * whose client left is dropped from the queue at once. (A model at zero that nothing scales is
 * refused before it gets here: models.ts requireWakeable.)
 */
export class HeldRequests {
  private readonly queues = new Map<string, ModelQueue>();

  constructor(
    private readonly deps: {
      directory: ModelDirectory;
      waker: ModelWaker;
      metrics: GatewayMetrics;
      log: Logger;
      config: HoldConfig;
      now?: () => number;
    },
  ) {}

  /**
   * The model as it is once it has a Ready replica: at once when it has one and nothing is held for
   * it (held requests go first), else after holding. Rejects with the refusal the client is to hear,
   * or with `signal`'s reason when the client left. The caller calls `handedOn` once its request is
   * written to a replica, or has failed.
   */
  ready(model: ServedModel, signal: AbortSignal): Promise<ReadyModel> {
    const id = modelId(model);
    const queue = this.queues.get(id);
    if (!queue && model.replicas.length > 0) return Promise.resolve({ model, handedOn: NOT_HELD });
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    const held = queue ?? this.open(model);
    if (held.waiters.length >= this.deps.config.maxHeldPerModel) {
      this.deps.metrics.holdEnded(id, 'full');
      return Promise.reject(
        new Refusal(
          'unavailable',
          `model ${quoted(id)} has no ready replica yet and already holds ${held.waiters.length} requests; retry later`,
          { retryAfterSeconds: this.deps.config.retryAfterSeconds },
        ),
      );
    }
    return this.hold(id, held, signal);
  }

  /** Stops holding: every held request is refused (the gateway is shutting down). */
  close(): void {
    for (const [id, queue] of this.queues) {
      for (const waiter of [...queue.waiters])
        this.end(id, queue, waiter, 'timeout', new Refusal('unavailable', 'the gateway is shutting down; retry'));
    }
  }

  private open(model: ServedModel): ModelQueue {
    const id = modelId(model);
    const queue: ModelQueue = {
      namespace: model.namespace,
      name: model.name,
      waiters: [],
      timer: setInterval(() => this.look(id), this.deps.config.pollMs),
      wokeAt: null,
      waking: false,
      handingOn: false,
    };
    queue.timer.unref();
    this.queues.set(id, queue);
    this.deps.log.info({ kind: 'GptOssModel', namespace: model.namespace, name: model.name }, 'Holding requests');
    setImmediate(() => this.look(id));
    return queue;
  }

  private hold(id: string, queue: ModelQueue, signal: AbortSignal): Promise<ReadyModel> {
    const { holdSeconds, retryAfterSeconds } = this.deps.config;
    return new Promise<ReadyModel>((resolve, reject) => {
      const timeout = setTimeout(() => {
        const refusal = new Refusal(
          'unavailable',
          `model ${quoted(id)} had no ready replica within the hold limit of ${holdSeconds}s; retry later`,
          { retryAfterSeconds },
        );
        this.end(id, queue, waiter, 'timeout', refusal);
      }, holdSeconds * 1000);
      const onAbort = () => this.end(id, queue, waiter, 'left', signal.reason as Error);
      const waiter: Waiter = {
        resolve,
        reject,
        settle: () => {
          clearTimeout(timeout);
          signal.removeEventListener('abort', onAbort);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      queue.waiters.push(waiter);
      this.deps.metrics.held(id, queue.waiters.length);
    });
  }

  /** Takes the waiter out of its queue and answers it: the model, or the error. */
  private end(id: string, queue: ModelQueue, waiter: Waiter, outcome: HoldOutcome, answer: ReadyModel | Error) {
    const at = queue.waiters.indexOf(waiter);
    if (at < 0) return;
    queue.waiters.splice(at, 1);
    waiter.settle();
    this.deps.metrics.held(id, queue.waiters.length);
    this.deps.metrics.holdEnded(id, outcome);
    if (answer instanceof Error) waiter.reject(answer);
    else waiter.resolve(answer);
    if (queue.waiters.length === 0 && !queue.handingOn) this.closeQueue(id, queue);
  }

  private closeQueue(id: string, queue: ModelQueue): void {
    clearInterval(queue.timer);
    if (this.queues.get(id) === queue) this.queues.delete(id);
  }

  /** The model now: Ready, the held go on in order; gone, they hear so; at zero, it is woken. */
  private look(id: string): void {
    const queue = this.queues.get(id);
    if (!queue || queue.waiters.length === 0) return;
    const model = this.deps.directory.get(queue.namespace, queue.name);
    if (!model) {
      const gone = new Refusal('model_not_found', `model ${quoted(id)} is not served here any more`, {
        field: 'model',
      });
      for (const waiter of [...queue.waiters]) this.end(id, queue, waiter, 'timeout', gone);
      return;
    }
    if (model.replicas.length > 0) return this.release(id, queue);
    if (model.scaling.mode === 'builtin' && model.scaling.replicas === 0) this.wake(queue);
  }

  /**
   * The first held request goes on; the next once it was handed on (or handOffTimeoutMs passed). The queue
   * closes once the last is handed on, so that one arriving before then goes behind it.
   */
  private release(id: string, queue: ModelQueue): void {
    const next = queue.waiters[0];
    if (!next || queue.handingOn) return;
    const model = this.deps.directory.get(queue.namespace, queue.name);
    if (!model || model.replicas.length === 0) return;
    queue.handingOn = true;
    let said = false;
    const handedOn = () => {
      if (said) return;
      said = true;
      queue.handingOn = false;
      clearTimeout(bound);
      if (queue.waiters.length > 0) this.release(id, queue);
      else this.closeQueue(id, queue);
    };
    const bound = setTimeout(handedOn, this.deps.config.handOffTimeoutMs);
    bound.unref();
    this.end(id, queue, next, 'served', { model, handedOn });
  }

  private wake(queue: ModelQueue): void {
    const now = (this.deps.now ?? Date.now)();
    if (queue.waking || (queue.wokeAt !== null && now - queue.wokeAt < this.deps.config.wakeRetryMs)) return;
    queue.waking = true;
    queue.wokeAt = now;
    const fields = { kind: 'GptOssModel', namespace: queue.namespace, name: queue.name };
    this.deps.waker
      .wake(queue.namespace, queue.name)
      .then(
        () => this.deps.log.info({ ...fields, held: queue.waiters.length }, 'Woke model'),
        (error: unknown) => this.deps.log.warn({ ...fields, err: describeError(error) }, 'Failed to wake model'),
      )
      .finally(() => {
        queue.waking = false;
      });
  }
}

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { IDLE_METRIC, UTILIZATION_METRIC, runtimeMetric } from '../contract/metrics.js';
import { systemClock, type Clock } from '../contract/clock.js';
import type { ApiError } from '../contract/api/errors.js';
import type { Logger } from '../contract/log.js';
import type { EngineRef } from './engine/engineRef.js';
import type { EngineObserver, Outcome } from './engine/types.js';

/** Prompt sizes from a short question to a whole 128k context. */
const PROMPT_TOKEN_BUCKETS = [0, 16, 64, 256, 1024, 4096, 16384, 65536, 131072];

/**
 * The runtime's Prometheus metrics. gptoss_runtime_utilization (contract/metrics.ts) is the one
 * number autoscalers read. Gauges are read from the engine at scrape time, so they are never stale.
 */
export class RuntimeMetrics implements EngineObserver {
  readonly registry = new Registry();
  private readonly promptTokensTotal: Counter;
  private readonly generatedTokensTotal: Counter;
  private readonly requestsTotal: Counter<'finish_reason'>;
  private readonly rejectedTotal: Counter<'reason'>;
  private readonly timeToFirstToken: Histogram;
  private readonly interTokenLatency: Histogram;
  private readonly requestDuration: Histogram;
  private readonly promptTokensCached: Histogram;
  private readonly promptTokensEvaluated: Histogram;
  /** When the last request finished or was refused (the clock's seconds); the start, before any. */
  private lastRequestEnded: number;

  constructor(
    engines: EngineRef,
    configuredSlots: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.lastRequestEnded = clock.now();
    // prom-client's default Node metrics are left out: several (nodejs_active_handles_total, ...)
    // are gauges named like counters, which promtool's lint rejects
    const registry = this.registry;
    const stats = () =>
      engines.loaded?.stats() ?? {
        slotsBusy: 0,
        slotsTotal: configuredSlots,
        requestsWaiting: 0,
        kvCellsUsed: 0,
        kvCellsTotal: 0,
      };
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      });

    gauge(runtimeMetric('requests_running'), 'Requests generating now (holding a slot).', () => stats().slotsBusy);
    gauge(runtimeMetric('requests_waiting'), 'Requests queued for a free slot.', () => stats().requestsWaiting);
    gauge(runtimeMetric('slots_busy'), 'Parallel slots in use.', () => stats().slotsBusy);
    gauge(runtimeMetric('slots_capacity'), 'Parallel slots (--parallel).', () => stats().slotsTotal);
    gauge(
      runtimeMetric('kv_cache_cells_used'),
      'KV cache cells holding tokens, over all slots (idle slots keep their prefix).',
      () => stats().kvCellsUsed,
    );
    gauge(
      runtimeMetric('kv_cache_cells_capacity'),
      'KV cache cells: context size times slots.',
      () => stats().kvCellsTotal,
    );
    gauge(UTILIZATION_METRIC, '(busy slots + waiting requests) / slots; above 1 means requests are queueing.', () => {
      const s = stats();
      return s.slotsTotal ? (s.slotsBusy + s.requestsWaiting) / s.slotsTotal : 0;
    });
    gauge(
      IDLE_METRIC,
      'Seconds since the last request finished or was refused (or the model loaded); 0 while one runs or waits.',
      () => {
        const s = stats();
        return s.slotsBusy + s.requestsWaiting > 0 ? 0 : Math.max(0, this.clock.now() - this.lastRequestEnded);
      },
    );
    for (const [kind, name, help] of [
      ['used', 'used', 'Device memory in use'],
      ['total', 'capacity', 'Device memory in all'],
    ] as const) {
      new Gauge({
        name: runtimeMetric(`device_memory_${name}_bytes`),
        help: `${help} (GPU; 0 on CPU-only runtimes).`,
        registers: [registry],
        async collect() {
          const memory = await engines.loaded?.deviceMemory();
          this.set(memory?.[kind] ?? 0);
        },
      });
    }
    this.promptTokensTotal = new Counter({
      name: runtimeMetric('prompt_tokens_total'),
      help: 'Prompt tokens of admitted requests.',
      registers: [registry],
    });
    this.generatedTokensTotal = new Counter({
      name: runtimeMetric('generated_tokens_total'),
      help: 'Tokens generated, harmony control tokens included (added when a request ends).',
      registers: [registry],
    });
    this.requestsTotal = new Counter({
      name: runtimeMetric('requests_total'),
      help: 'Requests that finished generating, by finish reason.',
      labelNames: ['finish_reason'],
      registers: [registry],
    });
    this.rejectedTotal = new Counter({
      name: runtimeMetric('requests_rejected_total'),
      help: 'Requests refused or failed, by error code (queue_full, invalid_argument, ...).',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.timeToFirstToken = new Histogram({
      name: runtimeMetric('time_to_first_token_seconds'),
      help: 'From arrival (queueing included) to the first text.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    this.interTokenLatency = new Histogram({
      name: runtimeMetric('inter_token_latency_seconds'),
      help: 'Time between consecutive streamed deltas (about one token each) of a request.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    });
    this.requestDuration = new Histogram({
      name: runtimeMetric('request_duration_seconds'),
      help: 'From arrival to the last token.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: [registry],
    });
    this.promptTokensCached = new Histogram({
      name: runtimeMetric('prompt_tokens_cached'),
      help: 'Prompt tokens per request that its slot already held from an earlier request (not evaluated again).',
      buckets: PROMPT_TOKEN_BUCKETS,
      registers: [registry],
    });
    this.promptTokensEvaluated = new Histogram({
      name: runtimeMetric('prompt_tokens_evaluated'),
      help: 'Prompt tokens per request that were evaluated (the prompt less what its slot held).',
      buckets: PROMPT_TOKEN_BUCKETS,
      registers: [registry],
    });
  }

  /**
   * The engine is loaded and serving: idle time counts from now, not from the process's start, so a
   * replica that took minutes to load is not idle the moment it turns Ready.
   */
  loaded(): void {
    this.lastRequestEnded = this.clock.now();
  }

  promptTokens(count: number): void {
    this.promptTokensTotal.inc(count);
  }

  firstToken(secondsSinceArrival: number): void {
    this.timeToFirstToken.observe(secondsSinceArrival);
  }

  interDelta(seconds: number): void {
    this.interTokenLatency.observe(seconds);
  }

  generated(tokens: number): void {
    this.generatedTokensTotal.inc(tokens);
  }

  finished(outcome: Outcome, durationSeconds: number): void {
    this.lastRequestEnded = this.clock.now();
    this.requestsTotal.inc({ finish_reason: outcome.finishReason });
    this.requestDuration.observe(durationSeconds);
    const cached = outcome.usage.cachedTokens ?? 0;
    this.promptTokensCached.observe(cached);
    this.promptTokensEvaluated.observe(outcome.usage.promptTokens - cached);
  }

  rejected(reason: string): void {
    this.lastRequestEnded = this.clock.now();
    this.rejectedTotal.inc({ reason });
  }
}

/**
 * Counts a refused, failed or cancelled request by its error code and logs what an operator needs:
 * an internal failure at error level with its cause; a cancellation (the client left, its deadline
 * passed) at debug, without a stack, as clients leave all the time; client errors not at all (the
 * client got the message, and logging them would let any client fill the logs).
 */
export function reportRejection(
  metrics: RuntimeMetrics,
  log: Logger,
  error: ApiError,
  cause: unknown,
  fields: Record<string, string>,
): void {
  metrics.rejected(error.code);
  if (error.code === 'internal') log.error({ ...fields, err: cause }, 'Failed request');
  else if (error.code === 'cancelled') log.debug(fields, 'Cancelled request');
}

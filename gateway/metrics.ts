import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { HELD_REQUESTS_METRIC } from '../contract/metrics.js';
import { ROUTING_REASONS, type RoutingReason } from './routing/choose.js';
import type { TokenUsage } from './types.js';

/** Why an attempt on a replica failed; a fixed set, so the label stays bounded. */
export const UPSTREAM_ERROR_REASONS = [
  /** Nothing accepted the connection (a pod gone or not listening yet). */
  'refused',
  /** The connection was not made within the connect timeout (an address nobody answers). */
  'connect_timeout',
  /** The connection broke before the replica answered. */
  'reset',
  /** The replica's queue was full (HTTP 429, RESOURCE_EXHAUSTED). */
  'queue_full',
  /** The replica said it cannot serve now (HTTP 503, UNAVAILABLE: draining, not loaded). */
  'unavailable',
  /** The connection broke after the answer had started: the client's stream ended with an error. */
  'broken_stream',
] as const;
export type UpstreamErrorReason = (typeof UPSTREAM_ERROR_REASONS)[number];

/** How a request's hold ended: a replica took it, the hold limit passed, its client left, or the queue was full. */
export type HoldOutcome = 'served' | 'timeout' | 'left' | 'full';

/**
 * The gateway's Prometheus metrics (prefix gptoss_gateway_), on the registry it is given. Label
 * values come only from names an admin defined: the team from the key's Secret, model ids from
 * discovery (a model the gateway does not serve is model=""), never the client's text.
 */
export class GatewayMetrics {
  private readonly requests: Counter<'team' | 'model' | 'code'>;
  private readonly tokens: Counter<'team' | 'model' | 'kind'>;
  private readonly timeToFirstToken: Histogram<'model'>;
  private readonly duration: Histogram<'model'>;
  private readonly upstreamErrors: Counter<'model' | 'reason'>;
  private readonly retries: Counter<'model'>;
  private readonly routingDecisions: Counter<'model' | 'reason'>;
  private readonly heldRequests: Gauge<'model'>;
  private readonly holdOutcomes: Counter<'model' | 'outcome'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'gptoss_gateway_requests_total',
      help: 'Requests answered, by team, model and HTTP status (gRPC statuses as their HTTP equivalents).',
      labelNames: ['team', 'model', 'code'],
      registers,
    });
    this.tokens = new Counter({
      name: 'gptoss_gateway_tokens_total',
      help: 'Tokens the runtimes reported, by kind: prompt, completion (the answer) and reasoning, apart.',
      labelNames: ['team', 'model', 'kind'],
      registers,
    });
    this.timeToFirstToken = new Histogram({
      name: 'gptoss_gateway_time_to_first_token_seconds',
      help: "From a streamed request's arrival at the gateway to the first byte of its answer.",
      labelNames: ['model'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.duration = new Histogram({
      name: 'gptoss_gateway_request_duration_seconds',
      help: "From a request's arrival at the gateway to the end of its answer.",
      labelNames: ['model'],
      buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    this.upstreamErrors = new Counter({
      name: 'gptoss_gateway_upstream_errors_total',
      help: 'Attempts on a replica that failed, by reason.',
      labelNames: ['model', 'reason'],
      registers,
    });
    this.retries = new Counter({
      name: 'gptoss_gateway_retries_total',
      help: 'Requests sent again to another replica after a failure before the first byte.',
      labelNames: ['model'],
      registers,
    });
    this.routingDecisions = new Counter({
      name: 'gptoss_gateway_routing_decisions_total',
      help: `Replica choices, by what decided them (${ROUTING_REASONS.join(', ')}).`,
      labelNames: ['model', 'reason'],
      registers,
    });
    this.heldRequests = new Gauge({
      name: HELD_REQUESTS_METRIC,
      help: 'Requests held now for a model with no Ready replica (at zero or waking): the demand that wakes it.',
      labelNames: ['model'],
      registers,
    });
    this.holdOutcomes = new Counter({
      name: 'gptoss_gateway_held_requests_total',
      help: 'Requests that were held, by how the hold ended: served (a replica turned Ready), timeout, left, full.',
      labelNames: ['model', 'outcome'],
      registers,
    });
  }

  /** The requests held for the model now; once a model has held any, its series stays (at 0 when none waits). */
  held(model: string, count: number): void {
    this.heldRequests.set({ model }, count);
  }

  holdEnded(model: string, outcome: HoldOutcome): void {
    this.holdOutcomes.inc({ model, outcome });
  }

  requestAnswered(team: string, model: string, code: number): void {
    this.requests.inc({ team, model, code: String(code) });
  }

  /** The runtime's completion tokens include the reasoning: counted here apart, so the kinds add up to the total. */
  tokensUsed(team: string, model: string, usage: TokenUsage): void {
    this.tokens.inc({ team, model, kind: 'prompt' }, usage.promptTokens);
    this.tokens.inc({ team, model, kind: 'completion' }, Math.max(0, usage.completionTokens - usage.reasoningTokens));
    this.tokens.inc({ team, model, kind: 'reasoning' }, usage.reasoningTokens);
  }

  firstToken(model: string, seconds: number): void {
    this.timeToFirstToken.observe({ model }, seconds);
  }

  requestEnded(model: string, seconds: number): void {
    this.duration.observe({ model }, seconds);
  }

  upstreamError(model: string, reason: UpstreamErrorReason): void {
    this.upstreamErrors.inc({ model, reason });
  }

  retried(model: string): void {
    this.retries.inc({ model });
  }

  routed(model: string, reason: RoutingReason): void {
    this.routingDecisions.inc({ model, reason });
  }
}

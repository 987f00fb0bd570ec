import type { Clock } from '../../contract/clock.js';
import type { Logger } from '../../contract/log.js';
import { logServed } from '../accessLog.js';
import type { GatewayMetrics } from '../metrics.js';
import type { Caller, RateLimitState, TokenUsage } from '../types.js';
import type { Api } from './auth.js';
import type { Admitted } from './rateLimits.js';

/** What every request handler is given to account with. */
export interface Accounting {
  metrics: GatewayMetrics;
  log: Logger;
  clock: Clock;
}

/** How a request ended, for the books. */
export interface RequestEnd {
  /** The HTTP status (gRPC: its HTTP equivalent), what requests_total counts. */
  httpStatus: number;
  /** What the access log says: the HTTP status, or the gRPC status's name. */
  status: number | string;
  /** The catalogue's code of the failure; null when the request succeeded. */
  code: string | null;
  /** The runtime's count; null when no runtime reported one. */
  usage: TokenUsage | null;
}

/**
 * The books of one request: who, which model, which replica, and at the end (once, however the
 * request ends) its quota settled, its metrics counted and its access log line written.
 */
export class RequestRecord {
  private readonly started: number;
  private caller: Caller | null = null;
  private settle: Admitted['settle'] | null = null;
  private firstTokenSeen = false;
  private ended = false;
  /** The caller's rate limits once admitted: every answer after that carries them. */
  rateLimits: RateLimitState | null = null;
  /** The model's id as discovery has it; "" until the request resolved to a served model. */
  model = '';
  replica: string | null = null;
  retries = 0;
  /** Its conversation's start as a key (routing/affinity.ts): prefix-hash routing keeps it on one replica. */
  affinity: string | undefined = undefined;

  constructor(
    private readonly accounting: Accounting,
    private readonly api: Api,
    private readonly endpoint: string,
  ) {
    this.started = accounting.clock.now();
  }

  identified(caller: Caller): void {
    this.caller = caller;
  }

  admitted(admission: Admitted): void {
    this.settle = (usage) => admission.settle(usage);
    this.rateLimits = admission.state;
  }

  /** The first byte of a streamed answer: time to first token. */
  firstToken(): void {
    if (this.firstTokenSeen) return;
    this.firstTokenSeen = true;
    this.accounting.metrics.firstToken(this.model, this.accounting.clock.now() - this.started);
  }

  get hasEnded(): boolean {
    return this.ended;
  }

  end({ httpStatus, status, code, usage }: RequestEnd): void {
    if (this.ended) return;
    this.ended = true;
    const { metrics, log, clock } = this.accounting;
    const seconds = clock.now() - this.started;
    const team = this.caller?.policy.team ?? '';
    this.settle?.(usage);
    metrics.requestAnswered(team, this.model, httpStatus);
    metrics.requestEnded(this.model, seconds);
    if (usage) metrics.tokensUsed(team, this.model, usage);
    logServed(log, {
      api: this.api,
      endpoint: this.endpoint,
      team,
      keyId: this.caller?.keyId ?? '',
      model: this.model,
      status,
      code,
      durationSeconds: seconds,
      tokens: usage,
      replica: this.replica,
      retries: this.retries,
    });
  }
}

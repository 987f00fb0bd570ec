import { ApiError, retryAfterSeconds, type ErrorCode } from '../../contract/api/errors.js';
import { quoted } from '../../contract/api/limits.js';
import type { RateLimitState } from '../types.js';

/**
 * A request the gateway answers itself, with an error from the catalogue: when retrying can help,
 * after how long; when the caller's quotas are known, their state (the x-ratelimit-* headers).
 */
export class Refusal extends ApiError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly advice: { field?: string; retryAfterSeconds?: number; rateLimits?: RateLimitState } = {},
  ) {
    super(code, message, advice.field);
    this.name = 'Refusal';
  }
}

/** The delay an error advises before a retry, in whole seconds (at least 1); undefined when none helps. */
export function retryAfterOf(error: ApiError): number | undefined {
  const seconds = error instanceof Refusal ? error.advice.retryAfterSeconds : retryAfterSeconds(error.code);
  return seconds === undefined ? undefined : Math.max(1, Math.ceil(seconds));
}

export const rateLimitsOf = (error: ApiError): RateLimitState | undefined =>
  error instanceof Refusal ? error.advice.rateLimits : undefined;

/** Any thrown value as the client's error: the gateway's refusals as they are, anything else internal. */
export const asApiError = (error: unknown): ApiError =>
  error instanceof ApiError
    ? error
    : new ApiError('internal', 'internal error in the gateway', undefined, { cause: error });

/** A replica's connection that broke after its answer had started: the client hears it, never a silent cut. */
export const brokenAnswer = (model: string, why: string, cause?: unknown) =>
  new ApiError(
    'unavailable',
    `the replica serving model ${quoted(model)} broke off its answer (${why}); what arrived is incomplete`,
    undefined,
    { cause },
  );

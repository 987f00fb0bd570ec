import type { ServerResponse } from 'node:http';
import { ERROR_CATALOGUE, openAiErrorBody, type ApiError } from '../../../contract/api/errors.js';
import type { RateLimitState } from '../../types.js';
import { rateLimitHeaders } from '../rateLimits.js';
import type { RequestEnd } from '../record.js';
import { rateLimitsOf, retryAfterOf } from '../refusal.js';

export type HeaderList = Array<[string, string]>;

/** An answer's headers the gateway adds: the caller's rate limits, once known, and any of its own. */
export const gatewayHeaders = (rateLimits: RateLimitState | null, extra: HeaderList = []): HeaderList => [
  ...(rateLimits ? rateLimitHeaders(rateLimits) : []),
  ...extra,
];

/** Writes the status and headers: the list's, then the named ones. */
export function writeHead(
  res: ServerResponse,
  status: number,
  list: HeaderList,
  named: Record<string, string | number>,
) {
  for (const [name, value] of list) res.setHeader(name, value);
  for (const [name, value] of Object.entries(named)) res.setHeader(name, value);
  res.writeHead(status);
}

export function sendJson(res: ServerResponse, status: number, payload: unknown, headers: HeaderList = []): void {
  const body = Buffer.from(JSON.stringify(payload));
  writeHead(res, status, headers, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  res.end(body);
}

/**
 * An error in OpenAI's shape with the catalogue's status; a refusal worth retrying says when
 * (retry-after), the rate limits ride along once known, and a 401 names the scheme (RFC 6750).
 */
export function sendError(res: ServerResponse, error: ApiError, rateLimits: RateLimitState | null): RequestEnd {
  const status = ERROR_CATALOGUE[error.code].http;
  const retryAfter = retryAfterOf(error);
  const headers: HeaderList = gatewayHeaders(rateLimitsOf(error) ?? rateLimits, [
    ...(retryAfter === undefined ? [] : ([['retry-after', String(retryAfter)]] as HeaderList)),
    ...(error.code === 'unauthenticated' ? ([['www-authenticate', 'Bearer']] as HeaderList) : []),
  ]);
  sendJson(res, status, openAiErrorBody(error), headers);
  return { httpStatus: status, status, code: error.code, usage: null };
}

/** A request whose client went away: nginx's 499, the catalogue's "cancelled". */
export const CANCELLED_END: RequestEnd = {
  httpStatus: ERROR_CATALOGUE.cancelled.http,
  status: ERROR_CATALOGUE.cancelled.http,
  code: 'cancelled',
  usage: null,
};

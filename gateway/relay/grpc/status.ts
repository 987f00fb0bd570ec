import { status as GrpcStatus, type Metadata, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { codeOfGrpcStatus, ERROR_CATALOGUE, type ApiError } from '../../../contract/api/errors.js';
import { toServiceError } from '../../../contract/grpc/errors.js';
import { RetryInfo, RpcStatus } from '../../../contract/grpc/protos.js';
import type { RateLimitState } from '../../types.js';
import { rateLimitHeaders } from '../rateLimits.js';
import type { RequestEnd } from '../record.js';
import { rateLimitsOf, Refusal, retryAfterOf } from '../refusal.js';

const DETAILS = 'grpc-status-details-bin';

interface WireStatus {
  code: number;
  message: string;
  details: Array<{ type_url: string; value: Uint8Array }>;
}

/** Adds a google.rpc.RetryInfo to the status's details (toServiceError adds one only for a full queue). */
function addRetryInfo(metadata: Metadata, seconds: number): void {
  const raw = metadata.get(DETAILS)[0];
  if (!(raw instanceof Buffer)) return;
  const decoded = RpcStatus.toObject(RpcStatus.decode(raw)) as WireStatus;
  decoded.details = [
    ...(decoded.details ?? []),
    {
      type_url: `type.googleapis.com/${RetryInfo.fullName.slice(1)}`,
      value: RetryInfo.encode(RetryInfo.fromObject({ retry_delay: { seconds } })).finish(),
    },
  ];
  metadata.set(DETAILS, Buffer.from(RpcStatus.encode(RpcStatus.fromObject(decoded)).finish()));
}

/** The rate limits as metadata entries, named as the HTTP headers are. */
export function addRateLimits(metadata: Metadata, rateLimits: RateLimitState | null): void {
  if (rateLimits) for (const [name, value] of rateLimitHeaders(rateLimits)) metadata.set(name, value);
}

/**
 * The gateway's error as a gRPC status with the runtime's details (ErrorInfo, BadRequest), a
 * RetryInfo when retrying helps, and the caller's rate limits in the trailers once known.
 */
export function errorStatus(error: ApiError, rateLimits: RateLimitState | null): StatusObject {
  const status = toServiceError(error);
  const retryAfter = retryAfterOf(error);
  if (error instanceof Refusal && retryAfter !== undefined) addRetryInfo(status.metadata, retryAfter);
  addRateLimits(status.metadata, rateLimitsOf(error) ?? rateLimits);
  return status;
}

/** Whether a status came from a runtime (its google.rpc details), not from the connection to it. */
export const fromRuntime = (error: ServiceError) => error.metadata?.get(DETAILS).length > 0;

/** How a call ended, for the books: the HTTP equivalent of its status and the catalogue's code. */
export function grpcEnd(code: GrpcStatus, usage: RequestEnd['usage']): RequestEnd {
  const status = GrpcStatus[code] ?? String(code);
  if (code === GrpcStatus.OK) return { httpStatus: 200, status, code: null, usage };
  const catalogued = codeOfGrpcStatus(code);
  return {
    httpStatus: catalogued ? ERROR_CATALOGUE[catalogued].http : 500,
    status,
    code: catalogued ?? null,
    usage,
  };
}

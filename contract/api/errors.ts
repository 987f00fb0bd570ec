import { status as GrpcStatus } from '@grpc/grpc-js';

/**
 * Every error a client can see, in one catalogue: the gRPC status, the HTTP status and the OpenAI
 * error type come from the code, so both APIs answer the same failure the same way.
 */
export const ERROR_CATALOGUE = {
  invalid_argument: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 400, type: 'invalid_request_error' },
  model_not_found: { grpc: GrpcStatus.NOT_FOUND, http: 404, type: 'invalid_request_error' },
  not_found: { grpc: GrpcStatus.NOT_FOUND, http: 404, type: 'invalid_request_error' },
  not_supported: { grpc: GrpcStatus.UNIMPLEMENTED, http: 400, type: 'invalid_request_error' },
  payload_too_large: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 413, type: 'invalid_request_error' },
  queue_full: { grpc: GrpcStatus.RESOURCE_EXHAUSTED, http: 429, type: 'rate_limit_error' },
  unavailable: { grpc: GrpcStatus.UNAVAILABLE, http: 503, type: 'server_error' },
  cancelled: { grpc: GrpcStatus.CANCELLED, http: 499, type: 'server_error' },
  internal: { grpc: GrpcStatus.INTERNAL, http: 500, type: 'server_error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The request field at fault, in the wire's own spelling (e.g. "messages[1].role"). */
    readonly field?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ApiError';
  }
}

export const invalidArgument = (field: string, message: string) => new ApiError('invalid_argument', message, field);

/** Any thrown value as an ApiError; unknown failures become "internal" and keep their cause. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError('internal', 'internal error while generating', undefined, { cause: error });
}

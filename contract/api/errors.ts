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
  request_timeout: { grpc: GrpcStatus.DEADLINE_EXCEEDED, http: 408, type: 'invalid_request_error' },
  queue_full: { grpc: GrpcStatus.RESOURCE_EXHAUSTED, http: 429, type: 'rate_limit_error' },
  unavailable: { grpc: GrpcStatus.UNAVAILABLE, http: 503, type: 'server_error' },
  cancelled: { grpc: GrpcStatus.CANCELLED, http: 499, type: 'server_error' },
  internal: { grpc: GrpcStatus.INTERNAL, http: 500, type: 'server_error' },
  // the gateway's refusals (docs/gateway.md): who is calling, what their key allows, how much of it
  unauthenticated: { grpc: GrpcStatus.UNAUTHENTICATED, http: 401, type: 'invalid_request_error' },
  permission_denied: { grpc: GrpcStatus.PERMISSION_DENIED, http: 403, type: 'invalid_request_error' },
  rate_limit_exceeded: { grpc: GrpcStatus.RESOURCE_EXHAUSTED, http: 429, type: 'rate_limit_error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/**
 * How long a client refused for a full queue should wait before it retries: HTTP's `retry-after`
 * and gRPC's google.rpc.RetryInfo. One second is about what a slot takes to free up on a busy
 * runtime (a few hundred tokens), short enough not to idle a slot, long enough not to hammer it.
 */
export const QUEUE_FULL_RETRY_AFTER_SECONDS = 1;

/** The retry delay a refusal advises, in seconds; undefined where retrying the same request cannot help. */
export const retryAfterSeconds = (code: ErrorCode): number | undefined =>
  code === 'queue_full' ? QUEUE_FULL_RETRY_AFTER_SECONDS : undefined;

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

/** A request body JSON.parse refused, worded as the runtime's HTTP API words it (JSON.parse's own reason). */
export const invalidJsonBody = (cause: Error) =>
  new ApiError('invalid_argument', `the request body is not valid JSON: ${cause.message}`, undefined, { cause });

/** A body over --max-body-bytes, worded as the runtime's HTTP API words it. */
export const bodyTooLarge = (limitBytes: number) =>
  new ApiError('payload_too_large', `the request body exceeds the limit of ${limitBytes} bytes`);

/** A body sent as something other than JSON, worded as the runtime's HTTP API words it. */
export const notJsonContentType = () =>
  new ApiError('invalid_argument', 'send the request body as JSON with Content-Type: application/json');

/** OpenAI's error shape, as runtime and gateway answer over HTTP: {"error": {"message", "type", "param", "code"}}. */
export function openAiErrorBody(error: ApiError) {
  return {
    error: {
      message: error.message,
      type: ERROR_CATALOGUE[error.code].type,
      param: error.field ?? null,
      code: error.code,
    },
  };
}

/**
 * The catalogue code a gRPC status stands for: the first entry with that status (INVALID_ARGUMENT:
 * invalid_argument, RESOURCE_EXHAUSTED: queue_full); undefined for a status the catalogue lacks.
 */
export function codeOfGrpcStatus(grpc: GrpcStatus): ErrorCode | undefined {
  return (Object.keys(ERROR_CATALOGUE) as ErrorCode[]).find((code) => ERROR_CATALOGUE[code].grpc === grpc);
}

/** What an aborted AbortSignal throws (a DOMException named AbortError), whoever aborted it. */
export const isAbortError = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';

/**
 * Any thrown value as an ApiError. An abort (the client cancelled, its deadline passed, or shutdown
 * cancelled the generation) is "cancelled", whatever the engine threw on its way out; unknown
 * failures become "internal" and keep their cause.
 */
export function toApiError(error: unknown, cancelledByClient = false): ApiError {
  if (error instanceof ApiError) return error;
  if (cancelledByClient || isAbortError(error)) {
    return new ApiError('cancelled', 'the request was cancelled', undefined, { cause: error });
  }
  return new ApiError('internal', 'internal error while generating', undefined, { cause: error });
}

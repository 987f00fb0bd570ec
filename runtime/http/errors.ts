import type { ErrorRequestHandler, Response } from 'express';
import { ApiError, ERROR_CATALOGUE, toApiError } from '../../contract/api/errors.js';

/** OpenAI's error shape: {"error": {"message", "type", "param", "code"}}. */
export function errorBody(error: ApiError) {
  return {
    error: {
      message: error.message,
      type: ERROR_CATALOGUE[error.code].type,
      param: error.field ?? null,
      code: error.code,
    },
  };
}

export function sendError(res: Response, error: ApiError): void {
  res.status(ERROR_CATALOGUE[error.code].http).json(errorBody(error));
}

/** body-parser's failures (malformed JSON, oversized body) and anything else that escaped, as OpenAI errors. */
export function errorMiddleware(onError: (error: ApiError, cause: unknown) => void): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const type = (err as { type?: string }).type;
    const apiError =
      type === 'entity.parse.failed'
        ? new ApiError('invalid_argument', `the request body is not valid JSON: ${(err as Error).message}`)
        : type === 'entity.too.large'
          ? new ApiError(
              'payload_too_large',
              `the request body exceeds the limit of ${(err as { limit?: number }).limit} bytes`,
            )
          : type === 'encoding.unsupported' || type === 'charset.unsupported'
            ? new ApiError('invalid_argument', (err as Error).message)
            : toApiError(err);
    onError(apiError, err);
    if (res.headersSent) return res.end();
    sendError(res, apiError);
  };
}

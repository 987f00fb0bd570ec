import type { ErrorRequestHandler, Request, Response } from 'express';
import {
  ApiError,
  ERROR_CATALOGUE,
  openAiErrorBody as errorBody,
  retryAfterSeconds,
  toApiError,
} from '../../contract/api/errors.js';
import { shortened } from '../../contract/api/limits.js';

/** OpenAI's error shape: {"error": {"message", "type", "param", "code"}}, as the gateway writes it too. */
export { errorBody };

/** The error as JSON with the catalogue's status; a refusal worth retrying says when (retry-after, seconds). */
export function sendError(res: Response, error: ApiError): void {
  const retryAfter = retryAfterSeconds(error.code);
  if (retryAfter !== undefined) res.setHeader('retry-after', String(retryAfter));
  res.status(ERROR_CATALOGUE[error.code].http).json(errorBody(error));
}

type HttpError = Error & { type?: string; status?: number; limit?: number; code?: unknown };

const isClientError = (err: HttpError) => typeof err.status === 'number' && err.status >= 400 && err.status < 500;

/**
 * What went wrong before a handler ran (body-parser, the router), as the client's error: malformed
 * JSON, a body over the limit, a Content-Encoding the body is not in, an undecodable URL.
 */
function requestError(err: HttpError, req: Request): ApiError {
  const encoding = req.headers['content-encoding'];
  switch (err.type) {
    case 'entity.parse.failed':
      return new ApiError('invalid_argument', `the request body is not valid JSON: ${err.message}`);
    case 'entity.too.large':
      return new ApiError('payload_too_large', `the request body exceeds the limit of ${err.limit} bytes`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError('invalid_argument', err.message);
    case 'request.aborted':
      return new ApiError('cancelled', 'the client closed the connection before sending the whole body');
    default:
      break;
  }
  if (err instanceof URIError) {
    return new ApiError('invalid_argument', `the URL path is not valid percent-encoding: ${shortened(req.path)}`);
  }
  // zlib's failures (Z_DATA_ERROR, ...) while inflating the body, which body-parser passes on as 400
  if (isClientError(err) && encoding && typeof err.code === 'string') {
    return new ApiError(
      'invalid_argument',
      `the request body is not valid ${shortened(encoding)} data (Content-Encoding: ${shortened(encoding)}): ` +
        err.message,
    );
  }
  if (isClientError(err)) return new ApiError('invalid_argument', `bad request: ${err.message}`);
  return toApiError(err);
}

/** Everything that escaped a handler or never reached one, as an OpenAI error. */
export function errorMiddleware(onError: (error: ApiError, cause: unknown) => void): ErrorRequestHandler {
  return (err: HttpError, req, res, _next) => {
    const apiError = err instanceof ApiError ? err : requestError(err, req);
    onError(apiError, err);
    if (res.headersSent) return res.end();
    sendError(res, apiError);
  };
}

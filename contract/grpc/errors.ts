import { Metadata, type StatusObject } from '@grpc/grpc-js';
import { ERROR_CATALOGUE, retryAfterSeconds, type ApiError } from '../api/errors.js';
import { BadRequest, ErrorInfo, RetryInfo, RpcStatus } from './protos.js';

const DOMAIN = 'runtime.gptoss.io';

interface Detail {
  type_url: string;
  value: Uint8Array;
}

const detail = (type: typeof ErrorInfo, body: object): Detail => ({
  type_url: `type.googleapis.com/${type.fullName.slice(1)}`,
  value: type.encode(type.fromObject(body)).finish(),
});

/**
 * A gRPC status for an ApiError, with google.rpc.Status details in grpc-status-details-bin: an
 * ErrorInfo with our stable reason; when a field is at fault, a BadRequest naming it; when retrying
 * later can help (a full queue), a RetryInfo saying when.
 */
export function toServiceError(error: ApiError): StatusObject {
  const code = ERROR_CATALOGUE[error.code].grpc;
  const details = [detail(ErrorInfo, { reason: error.code.toUpperCase(), domain: DOMAIN })];
  if (error.field) {
    details.push(detail(BadRequest, { field_violations: [{ field: error.field, description: error.message }] }));
  }
  const retryAfter = retryAfterSeconds(error.code);
  if (retryAfter !== undefined) details.push(detail(RetryInfo, { retry_delay: { seconds: retryAfter } }));
  const metadata = new Metadata();
  metadata.set(
    'grpc-status-details-bin',
    Buffer.from(RpcStatus.encode({ code, message: error.message, details }).finish()),
  );
  return { code, details: error.message, metadata };
}

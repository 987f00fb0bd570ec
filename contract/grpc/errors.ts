import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { ERROR_CATALOGUE, type ApiError } from '../api/errors.js';
import { BadRequest, ErrorInfo, RpcStatus } from './protos.js';

const DOMAIN = 'runtime.gptoss.io';

/**
 * A gRPC status for an ApiError, with google.rpc.Status details in grpc-status-details-bin: an
 * ErrorInfo with our stable reason and, when a field is at fault, a BadRequest naming it.
 */
export function toServiceError(error: ApiError): Partial<ServiceError> {
  const code = ERROR_CATALOGUE[error.code].grpc;
  const details = [
    {
      type_url: 'type.googleapis.com/google.rpc.ErrorInfo',
      value: ErrorInfo.encode({ reason: error.code.toUpperCase(), domain: DOMAIN }).finish(),
    },
  ];
  if (error.field) {
    details.push({
      type_url: 'type.googleapis.com/google.rpc.BadRequest',
      value: BadRequest.encode({ field_violations: [{ field: error.field, description: error.message }] }).finish(),
    });
  }
  const metadata = new Metadata();
  metadata.set(
    'grpc-status-details-bin',
    Buffer.from(RpcStatus.encode({ code, message: error.message, details }).finish()),
  );
  return { code, details: error.message, metadata };
}

import { status as GrpcStatus, type Metadata, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { runtimeService } from '../../../contract/grpc/protos.js';
import type { UpstreamErrorReason } from '../../metrics.js';
import type { TokenUsage } from '../../types.js';
import type { Attempt } from '../attempts.js';
import type { RelayDeps } from '../deps.js';
import type { RequestEnd, RequestRecord } from '../record.js';
import { asApiError, brokenAnswer } from '../refusal.js';
import type { ReplicaChannels } from './channels.js';
import { errorStatus, fromRuntime, grpcEnd } from './status.js';

export interface GrpcRelayDeps extends RelayDeps {
  channels: ReplicaChannels;
}

/** The client's and the runtime's bytes, passed as they are. */
export const asIs = (bytes: Buffer) => bytes;

/** What the runtime's last message says it used. */
export function usageIn(message: Buffer): TokenUsage | null {
  const decoded = runtimeService.Chat!.responseDeserialize(message) as { usage?: Record<string, number> };
  if (!decoded.usage) return null;
  return {
    promptTokens: decoded.usage.prompt_tokens ?? 0,
    completionTokens: decoded.usage.completion_tokens ?? 0,
    reasoningTokens: decoded.usage.reasoning_tokens ?? 0,
  };
}

/**
 * A failure before the first message that another replica may not have: a full queue, or no answer
 * at all. A runtime's own refusal is kept, to relay if no other replica does better.
 */
export function retryableFailure(
  error: ServiceError,
): Extract<Attempt<never, ServiceError>, { failed: UpstreamErrorReason }> | null {
  const own = fromRuntime(error);
  let failed: UpstreamErrorReason;
  if (error.code === GrpcStatus.RESOURCE_EXHAUSTED) failed = 'queue_full';
  else if (error.code !== GrpcStatus.UNAVAILABLE) return null;
  else if (own) failed = 'unavailable';
  else failed = /ECONNREFUSED/.test(error.details) ? 'refused' : 'reset';
  return own ? { failed, detail: error.details, fallback: error } : { failed, detail: 'no connection could be made' };
}

/** The client's metadata for the runtime: never its key. */
export function upstreamMetadata(metadata: Metadata): Metadata {
  const forwarded = metadata.clone();
  forwarded.remove('authorization');
  return forwarded;
}

/** The status a committed call ends with: the runtime's own as it is, a broken connection as UNAVAILABLE. */
export function committedStatus(deps: RelayDeps, record: RequestRecord, error: ServiceError): StatusObject {
  if (fromRuntime(error)) return { code: error.code, details: error.details, metadata: error.metadata };
  deps.metrics.upstreamError(record.model, 'broken_stream');
  return errorStatus(brokenAnswer(record.model, error.details, error), record.rateLimits);
}

/** Refusals and failures with no replica's status: the gateway's own. */
export function failedEnd(record: RequestRecord, error: unknown): { status: StatusObject; end: RequestEnd } {
  const apiError = asApiError(error);
  const status = errorStatus(apiError, record.rateLimits);
  return { status, end: grpcEnd(status.code, null) };
}

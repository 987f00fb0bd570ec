import { Metadata, type MethodDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { runtimeService, strictRuntimeService } from '../../../contract/grpc/protos.js';
import { MalformedRequest } from '../../../contract/grpc/strict.js';
import { REASONING_EFFORTS, type ReasoningEffort } from '../../../contract/models.js';
import { authenticate } from '../auth.js';
import type { ReadyModel } from '../hold.js';
import type { RelayDeps } from '../deps.js';
import { capEffort, EFFORT_CAPPED_HEADER } from '../effort.js';
import { modelRequired, requireWakeable, resolveModel, type ModelTarget } from '../models.js';
import { admit } from '../rateLimits.js';
import type { RequestRecord } from '../record.js';
import { Refusal } from '../refusal.js';
import { modelInfoFor } from './modelInfo.js';
import { addRateLimits } from './status.js';

export type RuntimeMethod = 'Chat' | 'Generate' | 'CountTokens' | 'GetModelInfo';

type Wire = Record<string, unknown>;

/** A request as the gateway receives it: the client's bytes, and what they decode to (or why they do not). */
export interface IncomingRequest {
  bytes: Buffer;
  request: Wire | MalformedRequest;
}

const asIs = (bytes: Buffer) => bytes;

/**
 * The Runtime service as the gateway serves it: each request checked as strictly as the runtime
 * checks it (an unknown field is refused, not dropped on the way) but kept as the client's bytes,
 * and the runtime's answers relayed as its bytes.
 */
export const relayedRuntimeService: ServiceDefinition = Object.fromEntries(
  Object.entries(strictRuntimeService).map(([name, method]: [string, MethodDefinition<unknown, unknown>]) => [
    name,
    {
      ...method,
      requestDeserialize: (bytes: Buffer): IncomingRequest => ({
        bytes,
        request: method.requestDeserialize(bytes) as Wire | MalformedRequest,
      }),
      responseSerialize: asIs,
    },
  ]),
);

/** The path of a method, as the runtime serves it. */
export const methodPath = (method: RuntimeMethod) => runtimeService[method]!.path;

/** The proto's enum names of the efforts: REASONING_EFFORT_LOW... UNSPECIFIED (0) is the runtime's default. */
const effortFromWire = (value: unknown): unknown =>
  value === undefined || value === 'REASONING_EFFORT_UNSPECIFIED'
    ? undefined
    : (REASONING_EFFORTS.find((effort) => value === `REASONING_EFFORT_${effort.toUpperCase()}`) ?? value);
const effortToWire = (effort: ReasoningEffort) => `REASONING_EFFORT_${effort.toUpperCase()}`;

/** The methods whose requests carry a reasoning effort: Chat, and CountTokens, which counts what Chat would get. */
const WITH_EFFORT = new Set<RuntimeMethod>(['Chat', 'CountTokens']);

/** The first value of a metadata entry, as text. */
export function metadataText(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}

/** GetModelInfo's request has no model field: the model goes in the `model` metadata. */
function askedModel(method: RuntimeMethod, request: Wire, metadata: Metadata): string {
  if (method !== 'GetModelInfo') return typeof request.model === 'string' ? request.model : '';
  const asked = metadataText(metadata, 'model') ?? '';
  if (asked === '') {
    throw new Refusal('invalid_argument', 'model: GetModelInfo takes the model id as "model" metadata', {
      field: 'model',
    });
  }
  return asked;
}

/** A call made ready for a replica: where to, the bytes to send, and the header metadata the client gets. */
export interface PreparedCall {
  target: ModelTarget;
  bytes: Buffer;
  header: Metadata;
  /** A whole answer as the client gets it: the runtime's bytes, but GetModelInfo's adapters the key may use only. */
  answerFor: (answer: Buffer) => Buffer;
}

/**
 * Who is calling, which model, within which quotas, and the request as the runtime takes it: the
 * model (or adapter) as it serves it and the effort at most the key's cap, re-encoded only if one
 * changed.
 */
export function prepareCall(
  deps: RelayDeps,
  method: RuntimeMethod,
  call: { request: IncomingRequest; metadata: Metadata },
  record: RequestRecord,
): PreparedCall {
  const caller = authenticate(deps.keys, metadataText(call.metadata, 'authorization'), 'grpc');
  record.identified(caller);
  const { bytes, request } = call.request;
  if (request instanceof MalformedRequest) throw request.error;
  const asked = askedModel(method, request, call.metadata);
  if (asked === '') throw modelRequired();
  const target = resolveModel(deps.directory, caller.policy, asked);
  record.model = target.id;
  requireWakeable(target.model, deps.config.unavailableRetryAfterSeconds);
  record.admitted(admit(deps.quotas, caller));
  let forwarded = request;
  const { servedName } = target;
  if (method !== 'GetModelInfo' && request.model !== servedName) forwarded = { ...forwarded, model: servedName };
  const cap = caller.policy.maxReasoningEffort;
  const capped = WITH_EFFORT.has(method) ? capEffort(effortFromWire(request.reasoning_effort), cap) : null;
  if (capped) forwarded = { ...forwarded, reasoning_effort: effortToWire(capped.served) };
  const header = new Metadata();
  addRateLimits(header, record.rateLimits);
  if (capped) header.set(EFFORT_CAPPED_HEADER, capped.header);
  return {
    target,
    bytes: forwarded === request ? bytes : runtimeService[method]!.requestSerialize(forwarded),
    header,
    answerFor: method === 'GetModelInfo' ? modelInfoFor(caller.policy, target) : (answer) => answer,
  };
}

/**
 * The prepared call's model once it has a Ready replica (held until then, gateway/relay/hold.ts); a
 * call cancelled while held leaves the queue at once.
 */
export function readyModel(
  deps: RelayDeps,
  prepared: PreparedCall,
  call: { cancelled: boolean; once(event: 'cancelled', listener: () => void): unknown },
): Promise<ReadyModel> {
  const cancelled = new AbortController();
  if (call.cancelled) cancelled.abort();
  else call.once('cancelled', () => cancelled.abort());
  // an adapter is served by its model's replicas: the model is what waits for one, and wakes
  return deps.holds.ready(prepared.target.model, cancelled.signal);
}

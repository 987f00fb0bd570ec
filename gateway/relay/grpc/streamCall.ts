import { status as GrpcStatus, type ServerWritableStream, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { grpcAffinity, servedIdAffinity } from '../../routing/affinity.js';
import type { Replica, TokenUsage } from '../../types.js';
import { noReplicaTook, routeToReplicas, type Attempt } from '../attempts.js';
import { RequestRecord, type RequestEnd } from '../record.js';
import {
  methodPath,
  prepareCall,
  readyModel,
  type IncomingRequest,
  type PreparedCall,
  type RuntimeMethod,
} from './prepare.js';
import { grpcEnd } from './status.js';
import {
  asIs,
  committedStatus,
  failedEnd,
  retryableFailure,
  upstreamMetadata,
  usageIn,
  type GrpcRelayDeps,
} from './upstreamCall.js';

interface Relayed {
  status: StatusObject | null;
  usage: TokenUsage | null;
}

/**
 * Streams one call from a replica to the client, message by message with backpressure (the
 * replica is read no faster than the client takes it). Resolves as committed at the first message
 * or at any status another replica could not change; as failed for a full queue or no connection.
 * The request goes as a client stream of one message (the same frames as a server-streaming call's)
 * so that grpc-js says when it was written: `onWritten`.
 */
function streamFrom(
  deps: GrpcRelayDeps,
  exchange: { call: ServerWritableStream<IncomingRequest, Buffer>; record: RequestRecord; onWritten: () => void },
  method: RuntimeMethod,
  prepared: PreparedCall,
  replica: Replica,
): Promise<Attempt<Promise<Relayed>, ServiceError>> {
  const { call, record } = exchange;
  return new Promise((resolve) => {
    const upstream = deps.channels
      .client(replica)
      .makeBidiStreamRequest(methodPath(method), asIs, asIs, upstreamMetadata(call.metadata), {
        deadline: call.getDeadline(),
      });
    upstream.write(prepared.bytes, () => exchange.onWritten());
    upstream.end();
    const cancel = () => upstream.cancel();
    call.on('cancelled', cancel);
    let committed = false;
    let usage: TokenUsage | null = null;
    let finish: (relayed: Relayed) => void = () => undefined;
    const done = new Promise<Relayed>((resolveDone) => (finish = resolveDone));
    const commit = () => {
      if (!committed) resolve({ answered: done });
      committed = true;
    };
    upstream.on('data', (message: Buffer) => {
      commit();
      record.firstToken();
      usage = usageIn(message) ?? usage;
      if (call.write(message)) return;
      upstream.pause();
      call.once('drain', () => upstream.resume());
    });
    upstream.on('error', (error: ServiceError) => {
      call.off('cancelled', cancel);
      const retry = committed || call.cancelled ? null : retryableFailure(error);
      if (retry) return resolve(retry);
      commit();
      finish({ status: call.cancelled ? null : committedStatus(deps, record, error), usage: null });
    });
    upstream.on('end', () => {
      call.off('cancelled', cancel);
      commit();
      finish({ status: null, usage });
    });
    if (call.cancelled) cancel();
  });
}

/** Chat and Generate: a server stream relayed message by message. */
export function relayStreamCall(deps: GrpcRelayDeps, method: RuntimeMethod) {
  return (call: ServerWritableStream<IncomingRequest, Buffer>) => {
    const record = new RequestRecord(deps.accounting, 'grpc', method);
    const fail = (status: StatusObject, end: RequestEnd) => {
      if (!call.cancelled) call.emit('error', status);
      record.end(call.cancelled ? grpcEnd(GrpcStatus.CANCELLED, null) : end);
    };
    const run = async () => {
      const prepared = prepareCall(deps, method, call, record);
      call.sendMetadata(prepared.header);
      record.affinity = servedIdAffinity(grpcAffinity(method, call.request.request), prepared.target.adapter);
      const ready = await readyModel(deps, prepared, call);
      const routed = await routeToReplicas(deps, ready.model, record, (replica) =>
        streamFrom(deps, { call, record, onWritten: ready.handedOn }, method, prepared, replica),
      ).finally(ready.handedOn);
      if ('exhausted' in routed) {
        const fallback = routed.exhausted.last?.fallback;
        if (fallback) return fail(fallback, grpcEnd(fallback.code, null));
        throw noReplicaTook(record.model, routed.exhausted, deps.config.unavailableRetryAfterSeconds);
      }
      const relayed = await routed.answered.finally(routed.release);
      if (relayed.status) return fail(relayed.status, grpcEnd(relayed.status.code, null));
      call.end();
      record.end(call.cancelled ? grpcEnd(GrpcStatus.CANCELLED, null) : grpcEnd(GrpcStatus.OK, relayed.usage));
    };
    run().catch((error: unknown) => {
      const { status, end } = failedEnd(record, error);
      fail(status, end);
    });
  };
}

import {
  status as GrpcStatus,
  type ServerUnaryCall,
  type ServiceError,
  type StatusObject,
  type sendUnaryData,
} from '@grpc/grpc-js';
import type { Replica } from '../../types.js';
import { noReplicaTook, routeToReplicas, type Attempt } from '../attempts.js';
import { RequestRecord } from '../record.js';
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
  type GrpcRelayDeps,
} from './upstreamCall.js';

/** One unary call on a replica: committed at its answer or at any status another replica could not change. */
function unaryFrom(
  deps: GrpcRelayDeps,
  call: ServerUnaryCall<IncomingRequest, Buffer>,
  method: RuntimeMethod,
  prepared: PreparedCall,
  replica: Replica,
): Promise<Attempt<{ error: ServiceError | null; response?: Buffer }, ServiceError>> {
  return new Promise((resolve) => {
    const upstream = deps.channels
      .client(replica)
      .makeUnaryRequest(
        methodPath(method),
        asIs,
        asIs,
        prepared.bytes,
        upstreamMetadata(call.metadata),
        { deadline: call.getDeadline() },
        (error, response) => {
          call.off('cancelled', cancel);
          const retry = error && !call.cancelled ? retryableFailure(error) : null;
          if (retry) return resolve(retry);
          resolve({ answered: { error, response } });
        },
      );
    const cancel = () => upstream.cancel();
    call.on('cancelled', cancel);
  });
}

/** CountTokens and GetModelInfo: the answer relayed whole; they use no generation tokens. */
export function relayUnaryCall(deps: GrpcRelayDeps, method: RuntimeMethod) {
  return (call: ServerUnaryCall<IncomingRequest, Buffer>, callback: sendUnaryData<Buffer>) => {
    const record = new RequestRecord(deps.accounting, 'grpc', method);
    const fail = (status: StatusObject) => {
      callback(status);
      record.end(grpcEnd(call.cancelled ? GrpcStatus.CANCELLED : status.code, null));
    };
    const run = async () => {
      const prepared = prepareCall(deps, method, call, record);
      call.sendMetadata(prepared.header);
      // CountTokens and GetModelInfo take no place in a replica's queue: nothing held waits for them
      const ready = await readyModel(deps, prepared, call);
      ready.handedOn();
      const routed = await routeToReplicas(deps, ready.model, record, (replica) =>
        unaryFrom(deps, call, method, prepared, replica),
      );
      if ('exhausted' in routed) {
        const fallback = routed.exhausted.last?.fallback;
        if (fallback) return fail(fallback);
        throw noReplicaTook(record.model, routed.exhausted, deps.config.unavailableRetryAfterSeconds);
      }
      routed.release();
      const { error, response } = routed.answered;
      if (error) return fail(committedStatus(deps, record, error));
      callback(null, response && prepared.answerFor(response));
      record.end(grpcEnd(GrpcStatus.OK, { promptTokens: 0, completionTokens: 0, reasoningTokens: 0 }));
    };
    run().catch((error: unknown) => fail(failedEnd(record, error).status));
  };
}

import { Server, ServerCredentials } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { reflectedDefinition } from '../../../contract/grpc/protos.js';
import { shutdownGrpcServer } from '../../../contract/grpc/shutdown.js';
import { RUNTIME_GRPC_SERVICE, hostPort } from '../../../contract/names.js';
import { relayStreamCall } from './streamCall.js';
import { relayUnaryCall } from './unaryCall.js';
import type { GrpcRelayDeps } from './upstreamCall.js';
import { relayedRuntimeService } from './prepare.js';

export interface GrpcFront {
  address: string;
  /** Stops accepting calls; waits up to graceMs for those in flight, then cancels them. */
  close(graceMs: number): Promise<void>;
}

/** Keepalive as the runtime's: a vanished client's call (and the slot it holds upstream) ends within 40 s. */
const SERVER_OPTIONS = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.max_connection_idle_ms': 5 * 60_000,
};

/**
 * The gRPC front end: gptoss.runtime.v1.Runtime for every model (the request's `model` routes it),
 * grpc.health.v1.Health (SERVING while the gateway runs) and reflection over the same protos the
 * runtime describes, so grpcurl needs no proto files here either.
 */
export async function startGrpcFront(deps: GrpcRelayDeps): Promise<GrpcFront> {
  const { host, port } = deps.config.grpc;
  const server = new Server({ ...SERVER_OPTIONS, 'grpc.max_receive_message_length': deps.config.maxBodyBytes });
  server.addService(relayedRuntimeService, {
    Chat: relayStreamCall(deps, 'Chat'),
    Generate: relayStreamCall(deps, 'Generate'),
    CountTokens: relayUnaryCall(deps, 'CountTokens'),
    GetModelInfo: relayUnaryCall(deps, 'GetModelInfo'),
  });
  const health = new HealthImplementation({ '': 'SERVING', [RUNTIME_GRPC_SERVICE]: 'SERVING' });
  health.addToServer(server);
  new ReflectionService(reflectedDefinition).addToServer(server);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(hostPort(host, port), ServerCredentials.createInsecure(), (error, boundPort) =>
      error
        ? reject(new Error(`binding the gateway's gRPC server to ${hostPort(host, port)}`, { cause: error }))
        : resolve(boundPort),
    ),
  );
  return {
    address: hostPort(host, bound),
    async close(graceMs) {
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(RUNTIME_GRPC_SERVICE, 'NOT_SERVING');
      await shutdownGrpcServer(server, graceMs);
    },
  };
}

import { Server } from '@grpc/grpc-js';
import type { ApiError } from '../../contract/api/errors.js';
import { shutdownGrpcServer } from '../../contract/grpc/shutdown.js';
import type { Logger } from '../../contract/log.js';
import { listenForGrpc } from './listener.js';
import { requestArrivalTimeout } from './requestTimeout.js';

/** How long the gRPC server waits on a client, and how it finds dead ones (docs/runtime.md, Limits). */
export interface GrpcTimeouts {
  /** A new connection must send its HTTP/2 preface and first frame header within this. */
  handshakeMs: number;
  /** The server pings every connection this often, and drops one that does not answer within the timeout. */
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  /** A connection with no call open for this long is closed (GOAWAY), however much it pings. */
  maxConnectionIdleMs: number;
  /** A unary or server-streaming call must deliver its whole request within this of its headers. */
  requestArrivalMs: number;
}

export const GRPC_TIMEOUTS: Readonly<GrpcTimeouts> = {
  handshakeMs: 10_000,
  // a vanished client (a node gone, a partition) frees its slot within 40 s
  keepaliveTimeMs: 30_000,
  keepaliveTimeoutMs: 10_000,
  maxConnectionIdleMs: 5 * 60_000,
  requestArrivalMs: 10_000,
};

export interface GrpcServerOptions {
  host: string;
  port: number;
  maxMessageBytes: number;
  timeouts: GrpcTimeouts;
  log: Logger;
  /** Counts a call ended because its request did not arrive in time. */
  onRequestTimeout: (error: ApiError) => void;
  /** Adds the services. */
  register: (server: Server) => void;
}

export interface RunningGrpcServer {
  port: number;
  /** Stops accepting connections, lets calls finish and closes every connection. */
  shutdown(): Promise<void>;
  forceShutdown(): void;
}

/**
 * The gRPC server, hardened against clients that hold resources without using them: connections
 * that never handshake, idle connections, dead peers and calls whose request never arrives. grpc-js
 * does not implement the ping-abuse policy of gRPC's C core (min_ping_interval_without_data,
 * max_ping_strikes: Node's HTTP/2 answers pings itself); the idle limit closes a connection that
 * pings without calls all the same.
 */
export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const { timeouts, log } = options;
  const server = new Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.keepalive_time_ms': timeouts.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': timeouts.keepaliveTimeoutMs,
    'grpc.max_connection_idle_ms': timeouts.maxConnectionIdleMs,
    interceptors: [requestArrivalTimeout(timeouts.requestArrivalMs, options.onRequestTimeout)],
  });
  options.register(server);
  const listener = await listenForGrpc(server, options.host, options.port, timeouts.handshakeMs, (socket) =>
    log.debug({ remote: socket.remoteAddress, bytes: socket.bytesRead }, 'Closed connection without HTTP/2 handshake'),
  ).catch((error: unknown) => {
    server.forceShutdown();
    throw error;
  });
  return {
    port: listener.port,
    async shutdown() {
      // the listener's close resolves once grpc-js has closed the connections it holds
      const closed = listener.close();
      await shutdownGrpcServer(server);
      listener.destroyConnections();
      await closed;
    },
    forceShutdown() {
      void listener.close();
      server.forceShutdown();
      listener.destroyConnections();
    },
  };
}

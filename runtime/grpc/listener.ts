import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { ServerCredentials, type Server } from '@grpc/grpc-js';

/** The HTTP/2 client preface (24 bytes) and one frame header (9): what a gRPC client sends first. */
const HANDSHAKE_BYTES = 24 + 9;

export interface GrpcListener {
  port: number;
  /** Stops accepting connections; resolves once every accepted one has closed. */
  close(): Promise<void>;
  /** Destroys the connections still open (after grpc-js has closed its sessions on them). */
  destroyConnections(): void;
}

/**
 * Listens for gRPC connections and hands each to grpc-js, closing any that has not sent its HTTP/2
 * handshake within `handshakeMs`. grpc-js has no such timeout (it even turns Node's socket timeout
 * off), so a client that opens TCP connections and sends nothing would hold each open for good.
 */
export async function listenForGrpc(
  server: Server,
  host: string,
  port: number,
  handshakeMs: number,
  onHandshakeTimeout: (socket: Socket) => void,
): Promise<GrpcListener> {
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  const sockets = new Set<Socket>();
  const listener = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // bytesRead counts what the socket received even though HTTP/2 reads it natively
    const timer = setTimeout(() => {
      if (socket.bytesRead >= HANDSHAKE_BYTES) return;
      onHandshakeTimeout(socket);
      socket.destroy();
    }, handshakeMs);
    socket.once('close', () => clearTimeout(timer));
    injector.injectConnection(socket);
  });
  listener.listen(port, host);
  await once(listener, 'listening');
  return {
    port: (listener.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => listener.close(() => resolve())),
    destroyConnections: () => sockets.forEach((socket) => socket.destroy()),
  };
}

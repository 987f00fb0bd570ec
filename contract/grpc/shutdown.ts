import type { Server } from '@grpc/grpc-js';

/** How often an unanswered tryShutdown is asked again. */
export const SHUTDOWN_RECHECK_MS = 500;

/**
 * grpc-js's graceful shutdown, made to finish: stops accepting, lets the calls in flight end, resolves once every
 * connection is closed; with `graceMs`, whatever is left then is cancelled (forceShutdown) and it resolves.
 *
 * Why it asks more than once: grpc-js (1.14) waits for each HTTP/2 session through Node's `session.close(callback)`,
 * which does nothing for a session already destroyed but not yet closed (a client that hung up a moment before),
 * so that callback, and tryShutdown's, never comes; a server with a deadline then waited it out for nothing, one
 * without hung for good (seen: the gateway still running 60 s after SIGTERM, right after a grpcurl call). Asking
 * again is safe and sees the hung-up session gone: a listener already closed is skipped, a session still serving
 * is waited for again.
 */
export function shutdownGrpcServer(
  server: Pick<Server, 'tryShutdown' | 'forceShutdown'>,
  graceMs?: number,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const ask = () => server.tryShutdown(finish);
    const recheck = setInterval(ask, SHUTDOWN_RECHECK_MS);
    const deadline =
      graceMs === undefined
        ? undefined
        : setTimeout(() => {
            server.forceShutdown();
            finish();
          }, graceMs);
    function finish() {
      clearInterval(recheck);
      clearTimeout(deadline);
      resolve();
    }
    ask();
  });
}

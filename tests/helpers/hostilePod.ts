import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

const MiB = 1024 * 1024;
/** What a hostile pod answered the operator with in the review: 300 MiB took it from 45 to 1,110 MiB. */
export const HUGE_BYTES = 300 * MiB;

/**
 * A real HTTP server on 127.0.0.1, port 0, standing in for a runtime pod a tenant controls: every
 * path is one way to answer the operator badly. It counts what it managed to send of its huge answer
 * and whether the operator went away before the end, and how often the redirect's target was hit.
 */
export interface HostilePod {
  url: string;
  /** Bytes of /huge the client accepted before it dropped the connection, once it did. */
  hugeSent(): Promise<{ bytes: number; droppedEarly: boolean }>;
  redirectTargetHits: number;
  close(): Promise<void>;
}

/** Writes `total` bytes in 64 KiB chunks, as fast as the client reads them, until it goes away. */
async function stream(res: ServerResponse, total: number): Promise<{ bytes: number; droppedEarly: boolean }> {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let bytes = 0;
  let closed = false;
  const gone = new Promise<void>((resolve) =>
    res.on('close', () => {
      closed = true;
      resolve();
    }),
  );
  while (bytes < total && !closed) {
    bytes += chunk.length;
    if (!res.write(chunk)) await Promise.race([new Promise((resolve) => res.once('drain', resolve)), gone]);
  }
  res.end();
  return { bytes, droppedEarly: bytes < total };
}

export async function startHostilePod(progress: unknown = { bytesDone: 0, bytesTotal: null }): Promise<HostilePod> {
  let huge: Promise<{ bytes: number; droppedEarly: boolean }> | null = null;
  let hugeStarted: () => void = () => undefined;
  const hugeRequested = new Promise<void>((resolve) => (hugeStarted = resolve));
  const bomb = gzipSync(Buffer.alloc(16 * MiB));
  let port = 0;
  const pod: Pick<HostilePod, 'redirectTargetHits'> = { redirectTargetHits: 0 };
  const server = createServer((req, res) => {
    switch (req.url) {
      case '/huge': // no Content-Length: only counting what arrives can stop it
        huge = stream(res, HUGE_BYTES);
        hugeStarted();
        return;
      case '/declared': // says how much is coming before sending it
        res.writeHead(200, { 'content-length': String(HUGE_BYTES) });
        res.write('x');
        return;
      case '/drip': // a byte at a time, never finishing within any deadline
        res.writeHead(200);
        res.write('{');
        res.on(
          'close',
          clearInterval.bind(
            null,
            setInterval(() => res.write(' '), 100),
          ),
        );
        return;
      case '/bomb': // 16 KiB on the wire, 16 MiB once inflated
        res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(bomb.length) });
        res.end(bomb);
        return;
      case '/redirect':
        res.writeHead(302, { location: `http://127.0.0.1:${port}/target` }).end();
        return;
      case '/target':
        pod.redirectTargetHits++;
        res.end(JSON.stringify(progress));
        return;
      case '/error':
        res.writeHead(500).end('busy');
        return;
      case '/garbage':
        res.end('<html>busy</html>');
        return;
      default: // /progress and /metrics: as configured
        res.end(typeof progress === 'string' ? progress : JSON.stringify(progress));
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
  return Object.assign(pod, {
    url: `http://127.0.0.1:${port}`,
    hugeSent: async () => {
      await hugeRequested;
      return huge!;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  });
}

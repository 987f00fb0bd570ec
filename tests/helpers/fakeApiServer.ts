import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeClient } from '../../contract/kube/client.js';

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * A FAKE API server for the unit tests of our Kubernetes client (contract/kube): plain HTTP on loopback, answering
 * each request with the handler the test gives. What the real API server decides is tested against it (bed tests);
 * this one plays the answers a unit needs on cue (a 410 midway through a watch, a stream cut short).
 */
export async function fakeApiServer(
  handle: (request: Received, response: ServerResponse) => void,
  requestTimeoutMs?: number,
) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      received.push(request);
      handle(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new KubeClient(
    {
      server: url,
      credentials: () => Promise.resolve({ tls: {}, headers: { Authorization: 'Bearer test-token' } }),
    },
    requestTimeoutMs,
  );
  return {
    client,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers JSON with a status code. */
export function json(response: ServerResponse, code: number, body: unknown): void {
  response.writeHead(code, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}

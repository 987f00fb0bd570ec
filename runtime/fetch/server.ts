import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostPort } from '../../contract/names.js';
import type { FetchProgress } from './progress.js';
import { http } from '../../contract/nodeHttp.js';

export interface ProgressServer {
  url: string;
  close(): Promise<void>;
}

/**
 * `GET /progress` (JSON snapshot) and `GET /healthz` while a fetch runs. Two read-only routes need
 * no framework: node:http keeps the init container's start-up and memory small.
 */
export async function startProgressServer(
  progress: FetchProgress,
  listenAddress: string,
  port: number,
): Promise<ProgressServer> {
  const server: Server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') reply(405, { error: `${req.method} is not allowed` });
    else if (path === '/progress') reply(200, progress.snapshot());
    else if (path === '/healthz') reply(200, { status: 'ok' });
    else reply(404, { error: `no route ${path}: try /progress or /healthz` });
  });
  server.listen(port, listenAddress);
  try {
    await once(server, 'listening');
  } catch (cause) {
    throw new Error(`binding HTTP to ${hostPort(listenAddress, port)}`, { cause });
  }
  return {
    url: `http://${hostPort(listenAddress, (server.address() as AddressInfo).port)}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

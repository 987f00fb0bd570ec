import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { hostPort } from './names.js';
import { http } from './nodeHttp.js';

export interface OpsServer {
  url: string;
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

/**
 * The operator's and the gateway's probes and metrics, on a listener of their own so that what fronts an API (an
 * Ingress, a load balancer) never exposes them: /healthz (the process answers), /readyz (`ready()`: for the operator
 * its caches synced; for the gateway that and its servers listening, until shutdown begins) and /metrics. Plain
 * node:http: three routes need no framework (express cost the operator about 3 MiB resident, and two images a
 * dependency).
 */
export async function startOpsServer(parts: {
  host: string;
  port: number;
  registry: Registry;
  ready: () => boolean;
}): Promise<OpsServer> {
  const { registry, ready } = parts;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET') json(res, 405, { status: 'method not allowed' });
    else if (path === '/healthz') json(res, 200, { status: 'ok' });
    else if (path === '/readyz') json(res, ready() ? 200 : 503, { status: ready() ? 'ready' : 'not ready' });
    else if (path === '/metrics')
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (error: unknown) => json(res, 500, { status: `metrics failed: ${String(error)}` }),
      );
    else json(res, 404, { status: 'not found' });
  });
  server.listen(parts.port, parts.host);
  await once(server, 'listening');
  return {
    url: `http://${hostPort(parts.host, (server.address() as AddressInfo).port)}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import express from 'express';
import { hostPort } from '../../contract/names.js';

export interface OpsServer {
  url: string;
  close(): Promise<void>;
}

/** /healthz (the process answers), /readyz (its caches have synced) and /metrics, on their own listener. */
export async function startOpsServer(
  listenAddress: string,
  port: number,
  registry: Registry,
  ready: () => boolean,
): Promise<OpsServer> {
  const app = express();
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    res.status(ready() ? 200 : 503).json({ status: ready() ? 'ready' : 'starting' });
  });
  app.get('/metrics', (_req, res, next) => {
    registry.metrics().then((text) => res.type(registry.contentType).send(text), next);
  });
  const server = app.listen(port, listenAddress);
  await once(server, 'listening');
  return {
    url: `http://${hostPort(listenAddress, (server.address() as AddressInfo).port)}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

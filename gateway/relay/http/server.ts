import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError } from '../../../contract/api/errors.js';
import { shortened } from '../../../contract/api/limits.js';
import { hostPort } from '../../../contract/names.js';
import type { RelayDeps } from '../deps.js';
import { modelRequired } from '../models.js';
import { RequestRecord, type RequestEnd } from '../record.js';
import { GENERATION_ENDPOINTS } from './endpoints.js';
import { relayGeneration } from './generation.js';
import { getModel, listModels } from './models.js';
import { asApiError } from '../refusal.js';
import { CANCELLED_END, sendError, sendJson } from './reply.js';
import { http } from '../../../contract/nodeHttp.js';

/** Aborts when the client goes away before its answer was written whole. */
function clientGone(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** The id in /v1/models/{id}: it holds a slash (`<namespace>/<name>`), sent as it is or percent-encoded. */
function modelIdIn(path: string): string {
  try {
    return decodeURIComponent(path.slice('/v1/models/'.length));
  } catch {
    throw new ApiError('invalid_argument', `the URL path is not valid percent-encoding: ${shortened(path)}`);
  }
}

type Exchange = { req: IncomingMessage; res: ServerResponse; record: RequestRecord; signal: AbortSignal };

/** The route's answer; what it throws is the client's error. */
async function route(deps: RelayDeps, exchange: Exchange, method: string, path: string): Promise<RequestEnd> {
  const { req, res, record } = exchange;
  const shape = GENERATION_ENDPOINTS[path];
  if (method === 'POST' && shape) return relayGeneration(deps, shape, exchange);
  if (method === 'GET' && (path === '/v1/models' || path.startsWith('/v1/models/'))) {
    const id = path === '/v1/models' ? undefined : modelIdIn(path);
    if (id === '') throw modelRequired();
    const payload = id === undefined ? listModels(deps, req, record) : getModel(deps, req, record, id);
    sendJson(res, 200, payload);
    return { httpStatus: 200, status: 200, code: null, usage: null };
  }
  throw new ApiError('not_found', `no route for ${method} ${shortened(path)}`);
}

async function handle(deps: RelayDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const path = (req.url ?? '/').split('?')[0]!;
  const record = new RequestRecord(deps.accounting, 'http', `${method} ${shortened(path)}`);
  const signal = clientGone(res);
  try {
    record.end(await route(deps, { req, res, record, signal }, method, path));
  } catch (error) {
    if (signal.aborted || res.destroyed) return record.end(CANCELLED_END);
    const apiError = asApiError(error);
    if (apiError.code === 'internal') deps.accounting.log.error({ err: error }, 'Failed request in the gateway');
    if (res.headersSent) {
      res.destroy();
      return record.end({ httpStatus: 500, status: res.statusCode, code: apiError.code, usage: null });
    }
    record.end(sendError(res, apiError, record.rateLimits));
  }
}

export interface HttpFront {
  url: string;
  /** Stops accepting requests; waits up to graceMs for those in flight, then drops every connection. */
  close(graceMs: number): Promise<void>;
}

async function closeServer(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}

/** The OpenAI front end: node:http, nothing buffered on the way through a stream. */
export async function startHttpFront(deps: RelayDeps): Promise<HttpFront> {
  const { host, port } = deps.config.http;
  const server = http.createServer({ noDelay: true }, (req, res) => void handle(deps, req, res));
  server.listen(port, host);
  try {
    await once(server, 'listening');
  } catch (cause) {
    throw new Error(`binding the gateway's HTTP server to ${hostPort(host, port)}`, { cause });
  }
  const bound = (server.address() as AddressInfo).port;
  return { url: `http://${hostPort(host, bound)}`, close: (graceMs) => closeServer(server, graceMs) };
}

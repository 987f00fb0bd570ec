import type { Agent, ClientRequest, IncomingMessage } from 'node:http';
import type { UpstreamErrorReason } from '../../metrics.js';
import type { Replica } from '../../types.js';
import type { Attempt } from '../attempts.js';
import { http } from '../../../contract/nodeHttp.js';

/** A runtime's answer the gateway holds whole: a refusal to relay if no other replica does better. */
export interface HeldAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** The answer a replica started: its response head, the body still to read. */
export interface LiveAnswer {
  request: ClientRequest;
  response: IncomingMessage;
}

/** The runtime's headers the client gets too; the rest (connection, length, date) are this hop's own. */
export const RELAYED_HEADERS = ['content-type', 'cache-control', 'retry-after'] as const;

export function relayedHeaders(response: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of RELAYED_HEADERS) {
    const value = response.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}

class ConnectTimeout extends Error {}

/** Why a request to a replica failed before any answer, for the metrics and the client's 503. */
function failure(error: Error, connectTimeoutMs: number): { failed: UpstreamErrorReason; detail: string } {
  const code = (error as { code?: string }).code;
  if (error instanceof ConnectTimeout)
    return { failed: 'connect_timeout', detail: `no connection within ${connectTimeoutMs} ms` };
  if (code === 'ECONNREFUSED') return { failed: 'refused', detail: 'connection refused' };
  return { failed: 'reset', detail: `connection failed (${code ?? error.message})` };
}

/** Reads a (small) refusal's body whole. */
async function heldAnswer(response: IncomingMessage): Promise<HeldAnswer> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return { status: response.statusCode ?? 502, headers: relayedHeaders(response), body: Buffer.concat(chunks) };
}

/** What a replica that answered 429 (its queue is full) or 503 (draining, loading) failed with. */
const REFUSED: Record<number, { failed: UpstreamErrorReason; detail: string }> = {
  429: { failed: 'queue_full', detail: 'its queue was full' },
  503: { failed: 'unavailable', detail: 'it was unavailable' },
};

export interface UpstreamRequest {
  agent: Agent;
  replica: Replica;
  /** The client's path and query, as it sent them. */
  path: string;
  body: Buffer;
  connectTimeoutMs: number;
  /** Aborts when the client goes away: the request to the replica is destroyed at once. */
  signal: AbortSignal;
  /** Called once the whole request was written to the replica's connection. */
  onWritten?: () => void;
}

/**
 * POSTs the body to the replica. Resolves once the replica answers, or with the failure when it
 * could not be reached, its connection broke before it answered, or it refused (429, 503); rejects
 * only when the client went away (the signal's reason).
 */
export function requestUpstream(options: UpstreamRequest): Promise<Attempt<LiveAnswer, HeldAnswer>> {
  const { replica, body, signal, connectTimeoutMs } = options;
  return new Promise((resolve, reject) => {
    const request = http.request({
      agent: options.agent,
      host: replica.ip,
      port: replica.httpPort,
      method: 'POST',
      path: options.path,
      headers: { 'content-type': 'application/json', 'content-length': body.length },
    });
    const gone = (): Error => (signal.reason instanceof Error ? signal.reason : new Error('the client went away'));
    const cancel = () => request.destroy(gone());
    signal.addEventListener('abort', cancel, { once: true });
    request.on('close', () => signal.removeEventListener('abort', cancel));
    request.on('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => request.destroy(new ConnectTimeout()), connectTimeoutMs);
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
    // after the answer started, the response reports a broken connection: this settles nothing more
    request.on('error', (error) => (signal.aborted ? reject(gone()) : resolve(failure(error, connectTimeoutMs))));
    request.on('response', (response) => {
      const refused = REFUSED[response.statusCode ?? 0];
      if (!refused) return resolve({ answered: { request, response } });
      heldAnswer(response).then(
        (held) => resolve({ ...refused, fallback: held }),
        (error: Error) => resolve(failure(error, connectTimeoutMs)),
      );
    });
    if (options.onWritten) request.once('finish', options.onWritten);
    if (signal.aborted) cancel();
    request.end(body);
  });
}

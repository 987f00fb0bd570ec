import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A file host on 127.0.0.1 (or another loopback address) for `gptoss fetch`: serves `/<name>` with
 * Range (`bytes=N-`) and HEAD, records every request, and misbehaves on demand (the knobs can change
 * between two runs).
 */
export interface FileServerBehaviour {
  /** Answer requests for these names with 302 and this Location. */
  redirects?: Record<string, string>;
  /** Answer GETs for these names with an endless body of zeros, without Content-Length. */
  endless?: string[];
  /** Called when a GET of a file arrives, before it is answered. */
  onGet?: (name: string) => void;
  /** Answer a Range request with 200 and the whole file, as some servers do. */
  ignoreRange?: boolean;
  /** On the first GET of a file, send this many bytes of the body, then nothing (until dropStalled). */
  stallAfter?: number;
  /** Answer the first GETs of a file with 503. */
  failFirst?: number;
  /** Send the body in chunks of this many bytes, one per interval. */
  trickle?: { chunkBytes: number; intervalMs: number };
}

export interface RecordedRequest {
  method: string;
  name: string;
  range: string | undefined;
  status: number;
}

export interface FileServer {
  url(name: string): string;
  requests: RecordedRequest[];
  /** The GETs of one file (HEADs left out). */
  gets(name: string): RecordedRequest[];
  behaviour: FileServerBehaviour;
  /** Destroys the sockets of the responses held by stallAfter: a connection dropped half way. */
  dropStalled(): void;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function writeBody(
  res: ServerResponse,
  body: Buffer,
  behaviour: FileServerBehaviour,
  firstGet: boolean,
  stalled: Set<ServerResponse>,
) {
  const cut = firstGet ? behaviour.stallAfter : undefined;
  const send = cut === undefined ? body : body.subarray(0, cut);
  const step = behaviour.trickle?.chunkBytes ?? send.length;
  for (let at = 0; at < send.length && !res.destroyed; at += step) {
    await new Promise<void>((resolve) => res.write(send.subarray(at, at + step), () => resolve()));
    if (behaviour.trickle) await sleep(behaviour.trickle.intervalMs);
  }
  if (cut === undefined) res.end();
  else stalled.add(res);
}

/** Zeros until the client goes away. */
async function writeEndless(res: ServerResponse) {
  const zeros = Buffer.alloc(64 * 1024);
  while (!res.destroyed) await new Promise<void>((resolve) => res.write(zeros, () => resolve()));
}

export async function startFileServer(
  files: Record<string, Buffer>,
  behaviour: FileServerBehaviour = {},
  host = '127.0.0.1',
): Promise<FileServer> {
  const requests: RecordedRequest[] = [];
  const stalled = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    res.on('error', () => {}); // the client went away (a killed fetch): nothing to do
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
    const record = (status: number) =>
      requests.push({ method: req.method ?? '', name, range: req.headers.range, status });
    const location = behaviour.redirects?.[name];
    if (location !== undefined) {
      record(302);
      res.writeHead(302, { Location: location }).end();
      return;
    }
    if (req.method === 'GET') behaviour.onGet?.(name);
    if (req.method === 'GET' && behaviour.endless?.includes(name)) {
      record(200);
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      void writeEndless(res);
      return;
    }
    const body = files[name];
    if (!body) {
      record(404);
      res.writeHead(404).end('not found');
      return;
    }
    const getsBefore = requests.filter((r) => r.method === 'GET' && r.name === name).length;
    if (req.method === 'GET' && getsBefore < (behaviour.failFirst ?? 0)) {
      record(503);
      res.writeHead(503).end('try later');
      return;
    }
    const range = behaviour.ignoreRange ? undefined : /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    if (start >= body.length && range) {
      record(416);
      res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
      return;
    }
    const status = range ? 206 : 200;
    record(status);
    res.writeHead(status, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': body.length - start,
      'Accept-Ranges': 'bytes',
      ...(range ? { 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    if (req.method === 'HEAD') res.end();
    else void writeBody(res, body.subarray(start), behaviour, getsBefore === 0, stalled);
  });
  server.listen(0, host);
  await once(server, 'listening');
  const base = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url: (name) => `${base}/${encodeURIComponent(name)}`,
    requests,
    gets: (name) => requests.filter((r) => r.method === 'GET' && r.name === name),
    behaviour,
    dropStalled: () => {
      for (const res of stalled) res.socket?.destroy();
      stalled.clear();
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A file host on 127.0.0.1 for `gptoss fetch` that sends every body at one fixed byte rate, so that a download takes a
 * known time whatever the machine: what the weight-cache benchmark downloads from. Serves `/<name>` with HEAD and GET
 * (`Range: bytes=N-` answered with 206, any other Range refused with 416), and counts the GETs of each name, ranged
 * ones included (a resumed download is a second request), even one refused.
 */
export interface RateLimitedFiles {
  /** Serves `body` at `/<name>` from now on. */
  serve(name: string, body: Buffer): void;
  url(name: string): string;
  /** GETs of `name` answered so far (HEADs left out). */
  gets(name: string): number;
  close(): Promise<void>;
}

/** Chunks small enough that the rate is even at the scale of a tenth of a second. */
const CHUNK_BYTES = 16 * 1024;

/** Writes `body` so that byte n leaves no earlier than n / bytesPerSecond seconds after the first (no drift). */
async function writePaced(res: ServerResponse, body: Buffer, bytesPerSecond: number): Promise<void> {
  const started = performance.now();
  for (let at = 0; at < body.length && !res.destroyed;) {
    const chunk = body.subarray(at, at + CHUNK_BYTES);
    await new Promise<void>((resolve) => res.write(chunk, () => resolve()));
    at += chunk.length;
    const due = started + (at / bytesPerSecond) * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
  }
  res.end();
}

/** The first byte asked for: 0 without Range, N for `bytes=N-` inside the file, null for anything else. */
function requestedStart(range: string | undefined, size: number): number | null {
  if (range === undefined) return 0;
  const match = /^bytes=(\d+)-$/.exec(range);
  return match && Number(match[1]) < size ? Number(match[1]) : null;
}

/** Answers a GET or HEAD of `body`: the headers at once, the bytes from the requested one at the fixed rate. */
function sendFile(req: IncomingMessage, res: ServerResponse, body: Buffer, bytesPerSecond: number): void {
  const start = requestedStart(req.headers.range, body.length);
  if (start === null) {
    res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end(`unsatisfiable: ${req.headers.range}`);
    return;
  }
  const partial = req.headers.range !== undefined;
  res.writeHead(partial ? 206 : 200, {
    'Content-Type': 'application/octet-stream',
    'Content-Length': body.length - start,
    'Accept-Ranges': 'bytes',
    ...(partial ? { 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
  });
  if (req.method === 'HEAD') res.end();
  else void writePaced(res, body.subarray(start), bytesPerSecond);
}

export async function startRateLimitedFiles(bytesPerSecond: number): Promise<RateLimitedFiles> {
  if (!(bytesPerSecond > 0)) throw new Error(`bytesPerSecond must be more than 0, not ${bytesPerSecond}`);
  const files = new Map<string, Buffer>();
  const getCounts = new Map<string, number>();
  const server = createServer((req, res) => {
    res.on('error', () => undefined); // the client went away (a pod deleted mid-download): nothing to send it
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
    const body = files.get(name);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end(`${req.method} is not allowed`);
    } else if (!body) {
      res.writeHead(404).end(`no file ${name}`);
    } else {
      if (req.method === 'GET') getCounts.set(name, (getCounts.get(name) ?? 0) + 1);
      sendFile(req, res, body, bytesPerSecond);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    serve: (name, body) => void files.set(name, body),
    url: (name) => `${base}/${encodeURIComponent(name)}`,
    gets: (name) => getCounts.get(name) ?? 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

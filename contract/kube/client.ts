import type { Agent, ClientRequest, IncomingMessage } from 'node:http';
import { createSecureContext } from 'node:tls';
// the class alone (a few lines), not the package index, which loads the whole generated client (docs/operator.md)
import { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
import { http, https } from '../nodeHttp.js';

export { ApiException };

/** What a connection to the API server is made with; a change (a rotated certificate) makes a new connection pool. */
export interface TlsCredentials {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
}

/** Where the API server is, and how each request proves who sends it. */
export interface KubeTarget {
  /** https://host:port, with the path prefix a proxy may add. */
  server: string;
  /** Asked before every request: tokens and certificates rotate, and exec plugins hand out short-lived ones. */
  credentials(): Promise<{ tls: TlsCredentials; headers: Record<string, string> }>;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  /** False: the body of a success is read, not parsed (most writes need only to know they succeeded). */
  answer?: boolean;
  /** Aborts the request (a watch's end, a timeout): it rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * A request (not a watch) with no answer for this long fails, to be retried: client-go finds a dead connection by
 * HTTP/2 pings within about 45 s; over HTTP/1.1 only TCP keep-alive would, after minutes, while a reconcile waits.
 */
export const REQUEST_TIMEOUT_MS = 60_000;

/**
 * Who is asking, as client-go says it (`<program>/<version> (<os>/<arch>) ...`): the API server's audit log and its
 * priority and fairness rules tell clients apart by it (Node.js sends none of its own).
 */
export const USER_AGENT = `gptoss-operator (${process.platform}/${process.arch}) node/${process.versions.node}`;

const TLS_FIELDS = ['ca', 'cert', 'key', 'rejectUnauthorized', 'servername'] as const;
const same = (a: unknown, b: unknown) => a === b || (Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b));

/**
 * The operator's way to the API server: JSON requests by path over one keep-alive connection pool, and watches read
 * line by line. In place of @kubernetes/client-node's generated client, which costs the process about 55 MiB
 * resident when loaded and serialises every typed field both ways on each call (docs/operator.md, "Talking to the
 * API server"). Failures are the library's ApiException (code, body, headers), as the generated client throws them.
 */
export class KubeClient {
  private pool: { tls: TlsCredentials; agent: Agent } | null = null;
  private readonly server: URL;

  constructor(
    private readonly target: KubeTarget,
    private readonly requestTimeoutMs = REQUEST_TIMEOUT_MS,
  ) {
    this.server = new URL(target.server);
  }

  /**
   * One request; resolves with the parsed answer (undefined when `answer` is false), rejects with ApiException. No
   * answer within the client's request timeout (or the caller's signal) fails it as an AbortError.
   */
  async request<T = unknown>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
    const { body, contentType = 'application/json', answer = true, signal } = options;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    // a timer, not AbortSignal.timeout: a signal per request (and Node's listener on it) was 4 % of the operator's CPU
    const deadline = new Deadline(this.requestTimeoutMs);
    try {
      const response = await this.open(method, path, { signal, payload, contentType, deadline });
      const text = await readAll(response, signal, deadline);
      const code = response.statusCode ?? 0;
      if (code >= 200 && code < 300) return (answer && text ? JSON.parse(text) : undefined) as T;
      throw failure(response, text);
    } finally {
      deadline.clear();
    }
  }

  /**
   * A watch (or any stream of JSON lines): each line parsed and handed over as it arrives. Resolves when the server
   * ends the stream, rejects when the connection fails or the signal aborts it; an answer other than 200 rejects
   * with ApiException.
   */
  async stream(path: string, onObject: (object: unknown) => void, signal: AbortSignal): Promise<void> {
    const response = await this.open('GET', path, { signal });
    if (response.statusCode !== 200) {
      throw failure(response, await readAll(response, signal));
    }
    response.socket?.setKeepAlive(true, 30_000);
    await new Promise<void>((resolve, reject) => {
      let rest = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop()!;
        try {
          for (const line of lines) if (line.trim()) onObject(JSON.parse(line));
        } catch (error) {
          response.destroy();
          reject(new Error('reading a watch event', { cause: error }));
        }
      });
      const broke = (cause?: unknown) =>
        reject(new Error('the watch connection closed before the API server ended it', { cause }));
      response.on('end', resolve);
      // after 'end' these change nothing; before it, the connection broke midway
      response.on('error', broke);
      response.on('close', () => broke());
    });
  }

  /** Sends the request; resolves with the answer's head, its body still to read. */
  private async open(
    method: Method,
    path: string,
    sent: { signal?: AbortSignal; payload?: string; contentType?: string; deadline?: Deadline },
  ) {
    const { signal, payload, contentType, deadline } = sent;
    const { tls, headers } = await this.target.credentials();
    const secure = this.server.protocol === 'https:';
    return new Promise<IncomingMessage>((resolve, reject) => {
      const request = (secure ? https : http).request(
        {
          method,
          hostname: this.server.hostname,
          port: this.server.port,
          path: `${this.server.pathname.replace(/\/$/, '')}${path}`,
          agent: this.agentFor(tls, secure),
          signal,
          headers: {
            ...headers,
            'User-Agent': USER_AGENT,
            Accept: 'application/json',
            ...(payload === undefined
              ? {}
              : { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) }),
          },
        },
        resolve,
      );
      deadline?.guard(request);
      request.on('error', reject);
      request.end(payload);
    });
  }

  /**
   * One keep-alive pool for the credentials: a new one only when they change. Its connections share one TLS context:
   * given the PEM texts instead, Node.js parses the key and certificates again for every new connection.
   */
  private agentFor(tls: TlsCredentials, secure: boolean): Agent {
    if (this.pool && TLS_FIELDS.every((k) => same(this.pool!.tls[k], tls[k]))) return this.pool.agent;
    const { ca, cert, key, ...rest } = tls;
    const agent = secure
      ? new https.Agent({ ...rest, secureContext: createSecureContext({ ca, cert, key }), keepAlive: true })
      : new http.Agent({ keepAlive: true });
    this.pool = { tls, agent };
    return agent;
  }
}

/** An answer other than 2xx as the library's ApiException: its code, its Status parsed (else its text), headers. */
function failure(response: IncomingMessage, text: string): ApiException<unknown> {
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (a proxy's page): kept as text
  }
  return new ApiException(
    response.statusCode ?? 0,
    'Unsuccessful HTTP Request',
    body,
    response.headers as Record<string, string>,
  );
}

/** A request's time limit: past it the request is destroyed with an AbortError, as an aborted signal would. */
class Deadline {
  private request: ClientRequest | null = null;
  private readonly timer: NodeJS.Timeout;
  expired = false;

  constructor(private readonly ms: number) {
    this.timer = setTimeout(() => {
      this.expired = true;
      this.request?.destroy(this.error());
    }, ms);
  }

  /** The request this deadline ends. */
  guard(request: ClientRequest): void {
    this.request = request;
    if (this.expired) request.destroy(this.error());
  }

  clear(): void {
    clearTimeout(this.timer);
    this.request = null;
  }

  error(): Error {
    const error = new Error(`no answer within ${this.ms} ms`);
    error.name = 'AbortError';
    return error;
  }
}

/**
 * The whole body; a connection closed (or a signal aborted, or the deadline passed) before its end rejects, as an
 * AbortError when aborted or past the deadline.
 */
function readAll(response: IncomingMessage, signal?: AbortSignal, deadline?: Deadline): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    const broke = (cause?: unknown) => {
      const expired = deadline?.expired ? deadline.error() : undefined;
      const error = new Error('the connection closed before the answer ended', {
        cause: signal?.reason ?? expired ?? cause,
      });
      if (signal?.aborted || expired) error.name = 'AbortError';
      reject(error);
    };
    response.on('error', broke);
    response.on('close', () => {
      if (!response.complete) broke();
    });
  });
}

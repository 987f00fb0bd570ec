import { Client, credentials, status, type ServiceError } from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageDefinition } from '../../contract/grpc/protos.js';
import { SCRIPTED_ANSWER } from '../../runtime/synth/harmonyScript.js';
import {
  anyBody,
  fuzzTimeoutMs,
  nearChatBody,
  nearCompletionBody,
  nearCountBody,
  runs,
} from '../contract/api/arbitraries.js';
import { plainChat, collect, counter, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

/**
 * Both servers under thousands of generated requests, on the tiny scripted model: every answer is a
 * success or a client error (4xx in OpenAI's shape; a gRPC status a client can act on), never a 5xx
 * or INTERNAL; nothing fails inside (requests_rejected_total{reason="internal"} stays 0); the
 * process does not crash, and the runtime is ready and answers correctly afterwards.
 */

const GRPC_CLIENT_ERRORS = new Set([
  status.OK,
  status.CANCELLED, // the fuzzer cancels a stream at its first message, to spend no time generating
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.UNIMPLEMENTED,
  status.RESOURCE_EXHAUSTED,
]);

const ENDPOINTS = ['/v1/chat/completions', '/v1/completions'] as const;

/** JSON text; a value too deep for JSON.stringify's recursion is sent as deep JSON text below instead. */
function json(body: unknown): string {
  try {
    return JSON.stringify(body);
  } catch {
    return '{}';
  }
}

/** A POST of a near-valid body to its own endpoint, as JSON. */
const nearHttpRequest = fc.oneof(
  nearChatBody.map((body) => ({ path: '/v1/chat/completions', body: json(body) })),
  nearCompletionBody.map((body) => ({ path: '/v1/completions', body: json(body) })),
);

/** Anything on any route: the wrong endpoint's body, no JSON at all, odd content types and encodings. */
const oddHttpRequest = fc.record({
  path: fc.constantFrom(...ENDPOINTS, '/v1/models', '/v1/models/a%2Fb', '/v1/models/%E0%A4%A', '/v1/x'),
  body: fc.oneof(
    { arbitrary: fc.oneof(nearChatBody, nearCompletionBody, anyBody).map(json), weight: 4 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 1 },
    { arbitrary: fc.integer({ min: 1, max: 30_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)), weight: 1 },
    { arbitrary: fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)), weight: 1 },
  ),
  method: fc.constantFrom('POST', 'POST', 'GET'),
  contentType: fc.constantFrom(
    'application/json',
    'text/plain',
    'application/json; charset=utf-16',
    'application/json; charset=bogus',
    undefined,
  ),
  encoding: fc.constantFrom(undefined, undefined, 'gzip', 'deflate', 'br', 'x-zip'),
});

const httpRequest = fc.oneof(
  {
    arbitrary: nearHttpRequest.map((r) => ({
      ...r,
      method: 'POST',
      contentType: 'application/json',
      encoding: undefined,
    })),
    weight: 3,
  },
  { arbitrary: oddHttpRequest, weight: 1 },
);

interface HttpRequest {
  method: string;
  path: string;
  body: string | Buffer;
  contentType: string | undefined;
  encoding: string | undefined;
}

const METHODS = ['Chat', 'Generate', 'CountTokens', 'GetModelInfo'] as const;
type Method = (typeof METHODS)[number];
const serializers = packageDefinition['gptoss.runtime.v1.Runtime'] as unknown as Record<
  Method,
  { requestSerialize: (m: unknown) => Buffer }
>;

/** The body as protobuf, the way proto-loader's client would encode it (which refuses some outright). */
function encoded(method: Method, body: unknown): Buffer {
  try {
    return serializers[method].requestSerialize(body);
  } catch {
    return Buffer.alloc(0);
  }
}

const NEAR: Record<Method, fc.Arbitrary<unknown>> = {
  Chat: nearChatBody,
  Generate: nearCompletionBody,
  CountTokens: nearCountBody,
  GetModelInfo: anyBody,
};

const grpcCall = fc.constantFrom(...METHODS).chain((method) =>
  fc.record({
    method: fc.constant(method),
    bytes: fc.oneof(
      { arbitrary: NEAR[method].map((body) => encoded(method, body)), weight: 4 },
      {
        arbitrary: fc
          .tuple(NEAR[method], fc.uint8Array({ maxLength: 16 }))
          .map(([body, tail]) => Buffer.concat([encoded(method, body), tail])),
        weight: 2,
      },
      { arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)), weight: 2 },
    ),
  }),
);

describe('both APIs under fuzz', () => {
  let t: TestRuntime;
  let raw: Client;
  beforeAll(async () => {
    t = await startTestRuntime('scripted', { contextSize: 1024, parallel: 2, maxQueue: 4, maxBodyBytes: 64 * 1024 });
    raw = new Client(t.runtime.grpcAddress, credentials.createInsecure());
  });
  afterAll(async () => {
    raw?.close();
    await t?.stop();
  });

  async function send({ method, path, body, contentType, encoding }: HttpRequest) {
    const headers: Record<string, string> = {};
    if (contentType) headers['content-type'] = contentType;
    if (encoding) headers['content-encoding'] = encoding;
    const res = await fetch(`${t.httpUrl}${path}`, {
      method,
      headers,
      body: method === 'POST' ? body : undefined,
    });
    return { status: res.status, text: await res.text() };
  }

  it(
    'HTTP: never a 5xx; every error in OpenAI’s shape',
    async () => {
      await fc.assert(
        fc.asyncProperty(httpRequest, async (request) => {
          const { status: code, text } = await send(request);
          if (code >= 500) throw new Error(`${code} for ${request.method} ${request.path}: ${text.slice(0, 300)}`);
          if (code < 400) return;
          const { error } = JSON.parse(text) as { error: Record<string, unknown> };
          if (typeof error.message !== 'string' || typeof error.type !== 'string' || typeof error.code !== 'string') {
            throw new Error(`not OpenAI's error shape: ${text.slice(0, 300)}`);
          }
        }),
        { numRuns: runs(700) },
      );
    },
    fuzzTimeoutMs(120_000),
  );

  function call(method: Method, bytes: Buffer): Promise<ServiceError | null> {
    const identity = (b: Buffer) => b;
    const path = `/gptoss.runtime.v1.Runtime/${method}`;
    if (method === 'CountTokens' || method === 'GetModelInfo') {
      return new Promise((resolve) => raw.makeUnaryRequest(path, identity, identity, bytes, (error) => resolve(error)));
    }
    const stream = raw.makeServerStreamRequest(path, identity, identity, bytes);
    stream.once('data', () => stream.cancel());
    return collect(stream).then(({ error }) => error);
  }

  it(
    'gRPC: never INTERNAL or UNKNOWN, whatever the bytes',
    async () => {
      await fc.assert(
        fc.asyncProperty(grpcCall, async ({ method, bytes }) => {
          const error = await call(method, bytes);
          const code = error?.code ?? status.OK;
          if (!GRPC_CLIENT_ERRORS.has(code)) {
            throw new Error(`${status[code]} for ${method} ${bytes.toString('hex').slice(0, 200)}: ${error?.details}`);
          }
        }),
        { numRuns: runs(1500) },
      );
    },
    fuzzTimeoutMs(120_000),
  );

  it('nothing failed inside, and the runtime is ready and answers afterwards', async () => {
    expect(await counter(t.httpUrl, 'gptoss_runtime_requests_rejected_total{reason="internal"}')).toBe(0);
    expect((await fetch(`${t.httpUrl}/readyz`)).status).toBe(200);
    expect(await plainChat(t.grpc)).toEqual({ error: null, answer: SCRIPTED_ANSWER });
  });
});

import { gzipSync } from 'node:zlib';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorInfo, RetryInfo } from '../../../contract/grpc/protos.js';
import {
  collect,
  fieldViolations,
  startTestRuntime,
  statusDetails,
  unary,
  type RuntimeStub,
  type TestRuntime,
} from '../../helpers/runtime.js';
import { KEY, modelOn, startRelayBench, type RelayBench } from './bench.js';

/**
 * Every refusal of the relay, with its exact status and words over both APIs; a malformed request
 * worded as the runtime words it (compared with a runtime's own answer to the same bytes).
 */
describe('the relay refuses', () => {
  let runtime: TestRuntime;
  let bench: RelayBench;
  let grpc: RuntimeStub;
  const hi = [{ role: 'user', content: 'Hi' }];

  beforeAll(async () => {
    runtime = await startTestRuntime('scripted', { modelName: 'chat' });
    bench = await startRelayBench([
      modelOn('team-a', 'chat', [runtime]),
      modelOn('team-b', 'chat', [runtime]),
      { namespace: 'team-a', name: 'idle', replicas: [], scaling: { replicas: 0, mode: 'off' } },
    ]);
    bench.keys.add('sk-a', 'key-a', { team: 'team-a', models: ['team-a/chat', 'team-a/idle', 'team-a/gone'] });
    grpc = bench.grpc();
  });
  afterAll(async () => {
    grpc?.close();
    await bench?.close();
    await runtime?.stop();
  });
  beforeEach(() => bench.quotas.reset());

  /** POSTs to the relay (or, with `at`, elsewhere) and reads the answer. */
  interface PostOptions {
    key?: string | null;
    path?: string;
    at?: string;
    headers?: Record<string, string>;
  }
  async function post(body: unknown, options: PostOptions = {}) {
    const { key = KEY, path = '/v1/chat/completions', at = bench.relay.httpUrl, headers = {} } = options;
    const res = await fetch(`${at}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
        ...headers,
      },
      body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, json: (await res.json()) as { error: Record<string, unknown> } };
  }

  const openAiError = (code: string, type: string, message: string, param: string | null = null) => ({
    error: { message, type, param, code },
  });

  describe('over HTTP', () => {
    it('no key: 401, naming the scheme', async () => {
      const { status: code, headers, json } = await post({ model: 'team-a/chat', messages: hi }, { key: null });
      expect(code).toBe(401);
      expect(headers.get('www-authenticate')).toBe('Bearer');
      expect(json).toEqual(
        openAiError(
          'unauthenticated',
          'invalid_request_error',
          'no API key: send it in the Authorization header as "Bearer <key>"',
        ),
      );
    });

    it('an Authorization that is not a bearer key: 401', async () => {
      const res = await fetch(`${bench.relay.httpUrl}/v1/models`, { headers: { authorization: `Basic ${KEY}` } });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual(
        openAiError('unauthenticated', 'invalid_request_error', 'the Authorization header must be "Bearer <key>"'),
      );
    });

    it('an unknown key: 401, never echoing it', async () => {
      const { status: code, json } = await post({ model: 'team-a/chat', messages: hi }, { key: 'sk-revoked-123' });
      expect(code).toBe(401);
      expect(json).toEqual(
        openAiError(
          'unauthenticated',
          'invalid_request_error',
          'the API key is not valid: it is unknown or was revoked',
        ),
      );
      expect(JSON.stringify(bench.logs)).not.toContain('sk-revoked-123');
    });

    it('a model the key may not use: 403 in the same words whether or not it exists', async () => {
      for (const model of ['team-b/chat', 'team-b/nothing-here']) {
        const { status: code, json } = await post({ model, messages: hi }, { key: 'sk-a' });
        expect(code).toBe(403);
        expect(json).toEqual(
          openAiError(
            'permission_denied',
            'invalid_request_error',
            `model "${model}" is not allowed for this API key`,
            'model',
          ),
        );
      }
      const bare = await post({ model: 'nothing', messages: hi }, { key: 'sk-a' });
      expect(bare.status).toBe(403);
      expect(bare.json.error.message).toBe('model "nothing" is not allowed for this API key');
    });

    it('no such model: 404; allowed but not served: 404', async () => {
      const missing = await post({ model: 'team-c/chat', messages: hi });
      expect(missing.status).toBe(404);
      expect(missing.json).toEqual(
        openAiError(
          'model_not_found',
          'invalid_request_error',
          'model "team-c/chat" is not served here; GET /v1/models lists the models this API key may use',
          'model',
        ),
      );
      const gone = await post({ model: 'gone', messages: hi }, { key: 'sk-a' });
      expect(gone.status).toBe(404);
      expect(gone.json.error.message).toBe(
        'model "gone" is not served here; GET /v1/models lists the models this API key may use',
      );
      const retrieved = await fetch(`${bench.relay.httpUrl}/v1/models/team-c%2Fchat`, {
        headers: { authorization: `Bearer ${KEY}` },
      });
      expect(retrieved.status).toBe(404);
    });

    it('a bare name that several models the key may use have: 400, listing them', async () => {
      const { status: code, json } = await post({ model: 'chat', messages: hi });
      expect(code).toBe(400);
      expect(json).toEqual(
        openAiError(
          'invalid_argument',
          'invalid_request_error',
          'model "chat" names 2 models this API key may use; give one of team-a/chat, team-b/chat',
          'model',
        ),
      );
    });

    it('no model, or one that is not a string: 400', async () => {
      const none = await post({ messages: hi });
      expect(none.status).toBe(400);
      expect(none.json).toEqual(
        openAiError(
          'invalid_argument',
          'invalid_request_error',
          'model: is required; GET /v1/models lists the models this API key may use',
          'model',
        ),
      );
      const number = await post({ model: 7, messages: hi });
      expect(number.status).toBe(400);
      expect(number.json).toEqual(
        openAiError('invalid_argument', 'invalid_request_error', 'model: must be a string', 'model'),
      );
    });

    it('a served model with no ready replica: 503 with retry-after', async () => {
      const { status: code, headers, json } = await post({ model: 'team-a/idle', messages: hi });
      expect(code).toBe(503);
      expect(headers.get('retry-after')).toBe('5');
      expect(json).toEqual(
        openAiError('unavailable', 'server_error', 'model "team-a/idle" has no ready replica; retry later'),
      );
      expect(bench.quotas.admitted).toEqual([]);
    });

    it('over a quota: 429 rate_limit_exceeded, retry-after and the x-ratelimit-* headers', async () => {
      bench.quotas.refusal = {
        ok: false,
        limit: 'requests',
        retryAfterSeconds: 2.2,
        state: { requests: { limit: 3, remaining: 0, resetSeconds: 2.2 }, tokens: null },
      };
      const { status: code, headers, json } = await post({ model: 'team-a/chat', messages: hi });
      expect(code).toBe(429);
      expect(headers.get('retry-after')).toBe('3');
      expect(headers.get('x-ratelimit-limit-requests')).toBe('3');
      expect(headers.get('x-ratelimit-remaining-requests')).toBe('0');
      expect(headers.get('x-ratelimit-reset-requests')).toBe('2.2s');
      expect(headers.get('x-ratelimit-limit-tokens')).toBeNull();
      expect(json).toEqual(
        openAiError(
          'rate_limit_exceeded',
          'rate_limit_error',
          'rate limit reached for requests per minute (limit 3) on this API key; retry after 3s',
        ),
      );
      bench.quotas.refusal = { ok: false, limit: 'concurrent', retryAfterSeconds: 1, state: bench.quotas.state };
      bench.keys.add('sk-two', 'key-two', { maxConcurrent: 2 });
      const concurrent = await post({ model: 'team-a/chat', messages: hi }, { key: 'sk-two' });
      expect(concurrent.json.error.message).toBe(
        'rate limit reached for concurrent requests (limit 2) on this API key; retry after 1s',
      );
    });

    describe("a malformed request, in the runtime's words", () => {
      /** The relay's answer and the runtime's own to the same bytes: the same status and error. */
      async function sameAsRuntime(body: string | Uint8Array, headers: Record<string, string> = {}) {
        const relayed = await post(body, { headers });
        const direct = await post(body, { headers, at: runtime.httpUrl });
        expect(relayed.status).toBe(direct.status);
        expect(relayed.json).toEqual(direct.json);
        return relayed;
      }

      it('JSON that does not parse: 400', async () => {
        const { status: code, json } = await sameAsRuntime('{"model": "team-a/chat", "messages": [');
        expect(code).toBe(400);
        expect(json.error.message).toMatch(/^the request body is not valid JSON: /);
      });

      it('a body that is not JSON by its Content-Type: 400', async () => {
        const { json } = await sameAsRuntime(JSON.stringify({ model: 'chat', messages: hi }), {
          'content-type': 'text/plain',
        });
        expect(json.error.message).toBe('send the request body as JSON with Content-Type: application/json');
      });

      it('an unsupported Content-Encoding, and gzip that is not gzip: 400', async () => {
        const { json } = await sameAsRuntime('{}', { 'content-encoding': 'compress' });
        expect(json.error.message).toBe('unsupported content encoding "compress"');
        const broken = await sameAsRuntime('not gzip at all', { 'content-encoding': 'gzip' });
        expect(broken.json.error.message).toMatch(
          /^the request body is not valid gzip data \(Content-Encoding: gzip\)/,
        );
      });

      it('a gzipped body is read like any other', async () => {
        const body = gzipSync(JSON.stringify({ model: 'team-a/chat', messages: hi, max_tokens: 3 }));
        const { status: code } = await post(body, { headers: { 'content-encoding': 'gzip' } });
        expect(code).toBe(200);
      });

      it("a field the runtime does not know: the runtime's 400, relayed", async () => {
        const relayed = await post({ model: 'team-a/chat', messages: hi, temprature: 1 });
        expect(relayed.status).toBe(400);
        expect(relayed.json).toEqual(
          openAiError('invalid_argument', 'invalid_request_error', 'temprature: unknown field', 'temprature'),
        );
        // reached the runtime, which used nothing
        expect(bench.quotas.settled).toEqual([{ keyId: 'key-open', usage: null }]);
      });
    });

    it('a body over the limit: 413', async () => {
      const { status: code, json } = await post({
        model: 'team-a/chat',
        messages: [{ role: 'user', content: 'x'.repeat(2 << 20) }],
      });
      expect(code).toBe(413);
      expect(json).toEqual(
        openAiError(
          'payload_too_large',
          'invalid_request_error',
          'the request body exceeds the limit of 1048576 bytes',
        ),
      );
    });

    it('a path it does not serve: 404', async () => {
      const res = await fetch(`${bench.relay.httpUrl}/v1/embeddings`, { method: 'POST' });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual(
        openAiError('not_found', 'invalid_request_error', 'no route for POST /v1/embeddings'),
      );
    });

    it('counts refusals under the team and the model as discovery names them, "" for anything else', async () => {
      const before = await bench.metric('gptoss_gateway_requests_total{team="team-a",model="",code="404"}');
      await post({ model: 'no-such-namespace/whatever', messages: hi });
      expect(await bench.metric('gptoss_gateway_requests_total{team="team-a",model="",code="404"}')).toBe(before + 1);
      const anonymous = await bench.metric('gptoss_gateway_requests_total{team="",model="",code="401"}');
      await post({ model: 'team-a/chat', messages: hi }, { key: null });
      expect(await bench.metric('gptoss_gateway_requests_total{team="",model="",code="401"}')).toBe(anonymous + 1);
    });
  });

  describe('over gRPC', () => {
    const withKey = (key: string | null = KEY) => {
      const metadata = new Metadata();
      if (key !== null) metadata.set('authorization', `Bearer ${key}`);
      return metadata;
    };
    const chat = async (request: Record<string, unknown>, metadata = withKey()) =>
      (await collect(grpc.Chat(request, metadata as never))).error;
    const reason = (error: ServiceError | null) => statusDetails(error?.metadata, ErrorInfo)[0]?.reason;

    it('no key or an unknown one: UNAUTHENTICATED', async () => {
      const none = await chat({ model: 'team-a/chat', messages: hi }, withKey(null));
      expect(none).toMatchObject({
        code: status.UNAUTHENTICATED,
        details: 'no API key: send it in the authorization metadata as "Bearer <key>"',
      });
      expect(reason(none)).toBe('UNAUTHENTICATED');
      const unknown = await chat({ model: 'team-a/chat', messages: hi }, withKey('sk-nobody'));
      expect(unknown).toMatchObject({
        code: status.UNAUTHENTICATED,
        details: 'the API key is not valid: it is unknown or was revoked',
      });
    });

    it('not allowed: PERMISSION_DENIED; not served: NOT_FOUND; no model: INVALID_ARGUMENT', async () => {
      expect(await chat({ model: 'team-b/chat', messages: hi }, withKey('sk-a'))).toMatchObject({
        code: status.PERMISSION_DENIED,
        details: 'model "team-b/chat" is not allowed for this API key',
      });
      expect(await chat({ model: 'team-c/chat', messages: hi })).toMatchObject({
        code: status.NOT_FOUND,
        details: 'model "team-c/chat" is not served here; GET /v1/models lists the models this API key may use',
      });
      const none = await chat({ messages: hi });
      expect(none).toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: 'model: is required; GET /v1/models lists the models this API key may use',
      });
      expect(fieldViolations(none?.metadata)).toEqual([
        { field: 'model', description: 'model: is required; GET /v1/models lists the models this API key may use' },
      ]);
      const info = await unary(grpc.GetModelInfo.bind(grpc), {});
      expect(info.error).toMatchObject({ code: status.UNAUTHENTICATED });
    });

    it('no ready replica: UNAVAILABLE with RetryInfo', async () => {
      const error = await chat({ model: 'team-a/idle', messages: hi });
      expect(error).toMatchObject({
        code: status.UNAVAILABLE,
        details: 'model "team-a/idle" has no ready replica; retry later',
      });
      expect(statusDetails(error?.metadata, RetryInfo)).toEqual([{ retry_delay: { seconds: 5 } }]);
    });

    it('over a quota: RESOURCE_EXHAUSTED with RetryInfo and the rate limits in the trailers', async () => {
      bench.quotas.refusal = {
        ok: false,
        limit: 'tokens',
        retryAfterSeconds: 40,
        state: { requests: null, tokens: { limit: 1000, remaining: 0, resetSeconds: 40 } },
      };
      const error = await chat({ model: 'team-a/chat', messages: hi });
      expect(error).toMatchObject({
        code: status.RESOURCE_EXHAUSTED,
        details: 'rate limit reached for tokens per minute (limit 1000) on this API key; retry after 40s',
      });
      expect(reason(error)).toBe('RATE_LIMIT_EXCEEDED');
      expect(statusDetails(error?.metadata, RetryInfo)).toEqual([{ retry_delay: { seconds: 40 } }]);
      expect(error?.metadata.get('x-ratelimit-remaining-tokens')).toEqual(['0']);
      expect(error?.metadata.get('x-ratelimit-reset-tokens')).toEqual(['40s']);
    });

    it('a field the proto does not define: refused as the runtime refuses it', async () => {
      // ChatRequest with field 99 (varint 1): what a client built from a newer proto would send
      const bytes = Buffer.from([0x0a, 0x0b, ...Buffer.from('team-a/chat'), 0x98, 0x06, 0x01]);
      const raw = (client: RuntimeStub, metadata: Metadata) =>
        collect(
          client.makeServerStreamRequest(
            '/gptoss.runtime.v1.Runtime/Chat',
            (b: Buffer) => b,
            (b: Buffer) => b,
            bytes,
            metadata,
          ),
        );
      const relayed = (await raw(grpc, withKey())).error;
      const direct = (await raw(runtime.grpc, new Metadata())).error;
      expect(relayed?.code).toBe(status.INVALID_ARGUMENT);
      expect(relayed?.details).toBe(direct?.details);
      expect(relayed?.details).toMatch(/^#99: unknown field number 99/);
    });
  });
});

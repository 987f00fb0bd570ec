import { gzipSync } from 'node:zlib';
import { status } from '@grpc/grpc-js';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCRIPTED_ANSWER } from '../../runtime/synth/harmonyScript.js';
import { plainChat, collect, fieldViolations, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const user = (content = 'Hi') => [{ role: 'user', content }];
/** 1024-token context: this prompt is longer. */
const longText = 'lorem ipsum dolor sit amet '.repeat(400);

interface Case {
  name: string;
  body: Record<string, unknown>;
  grpcBody?: Record<string, unknown>;
  grpcCode: status;
  http: number;
  field: string;
  message: RegExp;
}

const CASES: Case[] = [
  {
    name: 'missing messages',
    body: {},
    grpcBody: {},
    grpcCode: status.INVALID_ARGUMENT,
    http: 400,
    field: 'messages',
    message: /messages: must contain at least one message|messages: is required/,
  },
  {
    name: 'empty messages',
    body: { messages: [] },
    grpcCode: status.INVALID_ARGUMENT,
    http: 400,
    field: 'messages',
    message: /messages: must contain at least one message/,
  },
  {
    name: 'unknown role',
    body: { messages: [{ role: 'robot', content: 'x' }] },
    grpcCode: status.INVALID_ARGUMENT,
    http: 400,
    field: 'messages[0].role',
    message: /unknown role "robot"/,
  },
  {
    name: 'a tool message without tool_call_id',
    body: { messages: [...user(), { role: 'tool', content: '{}' }] },
    grpcCode: status.INVALID_ARGUMENT,
    http: 400,
    field: 'messages[1].tool_call_id',
    message: /^messages\[1\]\.tool_call_id: is required on a tool message: the id of the call it answers$/,
  },
  {
    name: 'a tool message answering no call',
    body: { messages: [...user(), { role: 'tool', tool_call_id: 'call_9', content: '{}' }] },
    grpcCode: status.INVALID_ARGUMENT,
    http: 400,
    field: 'messages[1].tool_call_id',
    message: /^messages\[1\]\.tool_call_id: "call_9" names no tool call of an earlier assistant message$/,
  },
  {
    name: 'max_tokens 0',
    body: { messages: user(), max_tokens: 0 },
    grpcCode: status.INVALID_ARGUMENT,
    http: 400,
    field: 'max_tokens',
    message: /max_tokens: must be greater than 0/,
  },
  {
    name: 'negative max_tokens',
    body: { messages: user(), max_tokens: -3 },
    grpcCode: status.INVALID_ARGUMENT,
    http: 400,
    field: 'max_tokens',
    message: /max_tokens: must be greater than 0/,
  },
  {
    name: 'max_tokens beyond the context',
    body: { messages: user(), max_tokens: 5000 },
    grpcCode: status.INVALID_ARGUMENT,
    http: 400,
    field: 'max_tokens',
    message: /exceed the context of 1024 tokens/,
  },
  {
    name: 'temperature too high',
    body: { messages: user(), temperature: 2.5 },
    grpcCode: status.INVALID_ARGUMENT,
    http: 400,
    field: 'temperature',
    message: /temperature: must be between 0 and 2/,
  },
  {
    name: 'negative temperature',
    body: { messages: user(), temperature: -1 },
    grpcCode: status.INVALID_ARGUMENT,
    http: 400,
    field: 'temperature',
    message: /temperature: must be between 0 and 2/,
  },
  {
    name: 'top_p 0',
    body: { messages: user(), top_p: 0 },
    grpcCode: status.INVALID_ARGUMENT,
    http: 400,
    field: 'top_p',
    message: /top_p: must be greater than 0 and at most 1/,
  },
  {
    name: 'top_p above 1',
    body: { messages: user(), top_p: 1.5 },
    grpcCode: status.INVALID_ARGUMENT,
    http: 400,
    field: 'top_p',
    message: /top_p: must be greater than 0 and at most 1/,
  },
  {
    name: 'unknown reasoning effort',
    body: { messages: user(), reasoning_effort: 'extreme' },
    grpcBody: { messages: user(), reasoning_effort: 9 },
    grpcCode: status.INVALID_ARGUMENT,
    http: 400,
    field: 'reasoning_effort',
    message: /unknown reasoning effort/,
  },
  {
    name: 'prompt longer than the context',
    body: { messages: user(longText) },
    grpcCode: status.INVALID_ARGUMENT,
    http: 400,
    field: 'messages',
    message: /the prompt is (at least )?\d+ tokens but the context holds 1024 tokens per request/,
  },
  {
    name: 'negative top_k (a vendor extension)',
    body: { messages: user(), top_k: -1 },
    grpcCode: status.INVALID_ARGUMENT,
    http: 400,
    field: 'top_k',
    message: /^top_k: must be at least 0 \(0 turns it off\)$/,
  },
  {
    name: 'min_p above 1 (a vendor extension)',
    body: { messages: user(), min_p: 1.5 },
    grpcCode: status.INVALID_ARGUMENT,
    http: 400,
    field: 'min_p',
    message: /^min_p: must be between 0 and 1$/,
  },
  {
    name: 'an empty stop sequence',
    body: { messages: user(), stop: ['END', ''] },
    grpcCode: status.INVALID_ARGUMENT,
    http: 400,
    field: 'stop[1]',
    message: /^stop\[1\]: must not be empty$/,
  },
  {
    name: 'more messages than the cap',
    body: { messages: Array.from({ length: 2049 }, () => ({ role: 'user', content: 'Hi' })) },
    grpcCode: status.INVALID_ARGUMENT,
    http: 400,
    field: 'messages',
    message: /^messages: at most 2048 messages per request; got 2049$/,
  },
  {
    name: 'unknown model',
    body: { model: 'gpt-oss-999b', messages: user() },
    grpcCode: status.NOT_FOUND,
    http: 404,
    field: 'model',
    message: /model "gpt-oss-999b" is not served here/,
  },
];

describe('bad input gets a clear error and the server keeps serving', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime('scripted', { maxBodyBytes: 64 * 1024 });
  });
  afterAll(() => t?.stop());

  async function expectGoodGrpcChat() {
    expect(await plainChat(t.grpc, user())).toEqual({ error: null, answer: SCRIPTED_ANSWER });
  }

  async function postJson(path: string, body: string, contentType = 'application/json') {
    const res = await fetch(`${t.httpUrl}${path}`, { method: 'POST', headers: { 'Content-Type': contentType }, body });
    return {
      status: res.status,
      json: (await res.json()) as { error: { message: string; type: string; param: string | null; code: string } },
    };
  }

  for (const c of CASES) {
    it(`gRPC Chat: ${c.name}`, async () => {
      const { messages, error } = await collect(t.grpc.Chat(c.grpcBody ?? c.body));
      expect(messages).toEqual([]);
      expect(error?.code).toBe(c.grpcCode);
      expect(error?.details).toMatch(c.message);
      expect(fieldViolations(error?.metadata).map((v) => v.field)).toEqual([c.field]);
      await expectGoodGrpcChat();
    });

    it(`HTTP chat completions: ${c.name}`, async () => {
      const { status: code, json } = await postJson('/v1/chat/completions', JSON.stringify(c.body));
      expect(code).toBe(c.http);
      expect(json.error.message).toMatch(c.message);
      expect(json.error.param).toBe(c.field);
      expect(json.error.type).toBe(c.http === 400 || c.http === 404 ? 'invalid_request_error' : expect.any(String));
      await expectGoodGrpcChat();
    });
  }

  it('HTTP: the openai SDK sees a BadRequestError with the field', async () => {
    const error = await t.openai.chat.completions
      .create({ model: '', messages: [{ role: 'user', content: 'Hi' }], temperature: 9 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('temperature');
  });

  it('HTTP: a tool schema keyword no grammar can enforce is a 400 naming it', async () => {
    const parameters = { type: 'object', properties: { code: { type: 'string', pattern: '^[A-Z]{3}$' } } };
    const { status: code, json } = await postJson(
      '/v1/chat/completions',
      JSON.stringify({ messages: user(), tools: [{ type: 'function', function: { name: 'f', parameters } }] }),
    );
    expect(code).toBe(400);
    expect(json.error).toEqual({
      message:
        'tools[0].function.parameters.properties.code.pattern: the keyword "pattern" cannot be enforced while ' +
        'generating; remove it or check it after',
      type: 'invalid_request_error',
      param: 'tools[0].function.parameters.properties.code.pattern',
      code: 'invalid_argument',
    });
    await expectGoodGrpcChat();
  });

  it('HTTP: an unknown field is a 400 naming it; the openai SDK sees the param', async () => {
    const { status: code, json } = await postJson(
      '/v1/chat/completions',
      JSON.stringify({ messages: user(), temperatur: 0.5 }),
    );
    expect(code).toBe(400);
    expect(json.error).toEqual({
      message: 'temperatur: unknown field',
      type: 'invalid_request_error',
      param: 'temperatur',
      code: 'invalid_argument',
    });
    const error = await t.openai.chat.completions
      .create({ model: '', messages: [{ role: 'user', content: 'Hi' }], frobnicate: true } as never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('frobnicate');
    await expectGoodGrpcChat();
  });

  it('HTTP: known OpenAI fields this runtime lacks are not_supported, naming the field', async () => {
    for (const [body, param, message] of [
      [{ n: 2 }, 'n', /^n: only n = 1 is supported$/],
      [{ logprobs: true }, 'logprobs', /log probabilities are not supported/],
    ] as const) {
      const { status: code, json } = await postJson(
        '/v1/chat/completions',
        JSON.stringify({ messages: user(), ...body }),
      );
      expect(code).toBe(400);
      expect(json.error).toMatchObject({ param, code: 'not_supported', type: 'invalid_request_error' });
      expect(json.error.message).toMatch(message);
    }
    const { status: code, json } = await postJson('/v1/completions', JSON.stringify({ prompt: 'x', echo: true }));
    expect(code).toBe(400);
    expect(json.error).toMatchObject({ param: 'echo', code: 'not_supported' });
  });

  async function postGzip(body: Buffer) {
    const res = await fetch(`${t.httpUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body,
    });
    return { status: res.status, json: (await res.json()) as { error: Record<string, unknown> } };
  }

  it('HTTP: a body that says gzip but is not gzip is a 400', async () => {
    const { status: code, json } = await postGzip(Buffer.from(JSON.stringify({ messages: user() })));
    expect(code).toBe(400);
    expect(json.error).toEqual({
      message: 'the request body is not valid gzip data (Content-Encoding: gzip): incorrect header check',
      type: 'invalid_request_error',
      param: null,
      code: 'invalid_argument',
    });
    const truncated = gzipSync(JSON.stringify({ messages: user() })).subarray(0, 20);
    const cut = await postGzip(truncated);
    expect(cut.status).toBe(400);
    expect(cut.json.error.message).toBe(
      'the request body is not valid gzip data (Content-Encoding: gzip): unexpected end of file',
    );
    await expectGoodGrpcChat();
  });

  it('HTTP: gzip is honoured, and a body that inflates past the limit is a 413', async () => {
    const good = await fetch(`${t.httpUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ messages: user() })),
    });
    expect(good.status).toBe(200);
    const bomb = gzipSync(JSON.stringify({ messages: user(' '.repeat(16 * 1024 * 1024)) }));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const { status: code, json } = await postGzip(bomb);
    expect(code).toBe(413);
    expect(json.error.message).toBe('the request body exceeds the limit of 65536 bytes');
  });

  it('HTTP: a URL that is not valid percent-encoding is a 400', async () => {
    const res = await fetch(`${t.httpUrl}/v1/models/%ZZ`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        message: 'the URL path is not valid percent-encoding: /v1/models/%ZZ',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_argument',
      },
    });
  });

  it('HTTP: malformed JSON', async () => {
    const { status: code, json } = await postJson('/v1/chat/completions', '{"messages": [');
    expect(code).toBe(400);
    expect(json.error.message).toMatch(/not valid JSON/);
    expect(json.error.type).toBe('invalid_request_error');
  });

  it('HTTP: a body that is not an object', async () => {
    const { status: code, json } = await postJson('/v1/chat/completions', '[1, 2]');
    expect(code).toBe(400);
    expect(json.error.message).toMatch(/must be a JSON object/);
  });

  it('HTTP: oversized body is 413', async () => {
    const { status: code, json } = await postJson(
      '/v1/chat/completions',
      JSON.stringify({ messages: user('x'.repeat(100 * 1024)) }),
    );
    expect(code).toBe(413);
    expect(json.error.message).toMatch(/exceeds the limit of 65536 bytes/);
    await expectGoodGrpcChat();
  });

  it('gRPC: oversized message is refused by the transport', async () => {
    const { error } = await collect(t.grpc.Chat({ messages: user('x'.repeat(100 * 1024)) }));
    expect(error?.code).toBe(status.RESOURCE_EXHAUSTED);
    await expectGoodGrpcChat();
  });

  it('HTTP completions: prompt longer than the context, unknown model, empty prompt', async () => {
    const long = await postJson('/v1/completions', JSON.stringify({ prompt: longText }));
    expect(long.status).toBe(400);
    expect(long.json.error).toMatchObject({ param: 'prompt' });
    const unknown = await postJson('/v1/completions', JSON.stringify({ model: 'nope', prompt: 'x' }));
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({ param: 'model', code: 'model_not_found' });
    const empty = await postJson('/v1/completions', JSON.stringify({ prompt: '' }));
    expect(empty.status).toBe(400);
    expect(empty.json.error.message).toBe('prompt: must not be empty');
  });

  it('gRPC Generate: empty prompt names the field', async () => {
    const { error } = await collect(t.grpc.Generate({ prompt: '' }));
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(fieldViolations(error?.metadata)).toEqual([{ field: 'prompt', description: 'prompt: must not be empty' }]);
  });

  it('HTTP: unknown route and unknown model id are OpenAI-shaped 404s', async () => {
    const route = await fetch(`${t.httpUrl}/v1/nothing`);
    expect(route.status).toBe(404);
    expect(await route.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'not_found' } });
    const model = await fetch(`${t.httpUrl}/v1/models/nope`);
    expect(model.status).toBe(404);
    expect(await model.json()).toMatchObject({ error: { code: 'model_not_found', param: 'model' } });
  });
});

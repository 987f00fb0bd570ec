import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../contract/api/errors.js';
import { GENERATION_ENDPOINTS } from '../../../gateway/relay/http/endpoints.js';
import { planForward } from '../../../gateway/relay/http/forwardBody.js';
import { SseEvents } from '../../../gateway/relay/http/sse.js';

const chat = GENERATION_ENDPOINTS['/v1/chat/completions']!;
const responses = GENERATION_ENDPOINTS['/v1/responses']!;
const completions = GENERATION_ENDPOINTS['/v1/completions']!;

describe('SseEvents: whole events, whatever the chunks', () => {
  it('cuts events at blank lines and keeps a partial one for its rest', () => {
    const events = new SseEvents();
    expect(events.push(Buffer.from('data: 1\n\ndata: 2\n')).map(String)).toEqual(['data: 1\n\n']);
    expect(events.push(Buffer.from('\nevent: x\ndata: 3\n\ndata')).map(String)).toEqual([
      'data: 2\n\n',
      'event: x\ndata: 3\n\n',
    ]);
    expect(String(events.rest())).toBe('data');
  });
});

describe('what the gateway reads of a stream', () => {
  const usage = { prompt_tokens: 5, completion_tokens: 9, completion_tokens_details: { reasoning_tokens: 4 } };
  const event = (payload: object, name?: string) =>
    Buffer.from(`${name ? `event: ${name}\n` : ''}data: ${JSON.stringify(payload)}\n\n`);

  it('Chat: the usage chunk, alone; a text that mentions "usage" is no usage', () => {
    expect(chat.inspect(event({ choices: [], usage }))).toEqual({
      usage: { promptTokens: 5, completionTokens: 9, reasoningTokens: 4 },
      usageOnly: true,
    });
    expect(chat.inspect(event({ choices: [{ delta: { content: '"usage": 1' } }] }))).toEqual({});
    expect(chat.inspect(Buffer.from('data: [DONE]\n\n'))).toEqual({});
  });

  it('Responses: the sequence of every event, the usage of the last', () => {
    expect(responses.inspect(event({ type: 'response.output_text.delta', sequence_number: 7 }, 'x'))).toEqual({
      sequence: 7,
    });
    const completed = {
      type: 'response.completed',
      response: { usage: { input_tokens: 3, output_tokens: 8, output_tokens_details: { reasoning_tokens: 2 } } },
      sequence_number: 12,
    };
    expect(responses.inspect(event(completed, 'response.completed'))).toEqual({
      sequence: 12,
      usage: { promptTokens: 3, completionTokens: 8, reasoningTokens: 2 },
    });
  });

  it("ends a cut stream with the endpoint's error event", () => {
    const error = new ApiError('unavailable', 'gone');
    expect(String(chat.streamError(error, undefined))).toBe(
      'data: {"error":{"message":"gone","type":"server_error","param":null,"code":"unavailable"}}\n\n',
    );
    expect(String(responses.streamError(error, 12))).toBe(
      'event: error\n' +
        'data: {"type":"error","code":"unavailable","message":"gone","param":null,"sequence_number":13}\n\n',
    );
  });
});

describe("planForward: the client's bytes, unless something had to change", () => {
  const plan = (shape = chat, body: Record<string, unknown>, cap: 'low' | null = null, servedName = 'chat') => {
    const raw = Buffer.from(JSON.stringify(body, null, 1));
    const planned = planForward(shape, body, raw, servedName, cap);
    return { ...planned, same: planned.bytes === raw, sent: JSON.parse(planned.bytes.toString()) as unknown };
  };

  it('forwards as sent a request naming the model as the runtime serves it', () => {
    expect(plan(chat, { model: 'chat', messages: [] })).toMatchObject({ same: true, capped: null });
  });

  it('names the model as the runtime serves it', () => {
    expect(plan(chat, { model: 'team-a/chat', messages: [] })).toMatchObject({
      same: false,
      sent: { model: 'chat', messages: [] },
    });
  });

  it("names an adapter as the runtime serves it: `<name>:<adapter>`, the gateway's id rewritten", () => {
    expect(plan(chat, { model: 'team-a/chat:fr', messages: [] }, null, 'chat:fr')).toMatchObject({
      same: false,
      sent: { model: 'chat:fr', messages: [] },
    });
    expect(plan(chat, { model: 'chat:fr', messages: [] }, null, 'chat:fr')).toMatchObject({ same: true });
  });

  it("asks for a stream's usage, keeping the client's other stream options", () => {
    expect(plan(completions, { model: 'chat', stream: true, stream_options: { x: 1 } })).toMatchObject({
      clientWantsUsage: false,
      sent: { stream_options: { x: 1, include_usage: true } },
    });
    expect(plan(chat, { model: 'chat', stream: true, stream_options: { include_usage: true } })).toMatchObject({
      same: true,
      clientWantsUsage: true,
    });
    // stream_options that are no object: the runtime's to refuse
    expect(plan(chat, { model: 'chat', stream: true, stream_options: 'yes' })).toMatchObject({ same: true });
    expect(plan(responses, { model: 'chat', stream: true })).toMatchObject({ same: true });
  });

  it('caps the effort where each endpoint has it', () => {
    expect(plan(chat, { model: 'chat', reasoning_effort: 'high' }, 'low')).toMatchObject({
      sent: { reasoning_effort: 'low' },
      capped: { served: 'low', header: 'high->low' },
    });
    expect(plan(responses, { model: 'chat', reasoning: { summary: 'auto' } }, 'low')).toMatchObject({
      sent: { reasoning: { summary: 'auto', effort: 'low' } },
      capped: { header: 'medium->low' },
    });
    expect(plan(responses, { model: 'chat', reasoning: 'high' }, 'low')).toMatchObject({ same: true, capped: null });
    expect(plan(completions, { model: 'chat', prompt: 'x' }, 'low')).toMatchObject({ same: true, capped: null });
  });
});

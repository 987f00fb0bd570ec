import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { args, call, FAKE_MODEL, post, postEvents, startFakeServer, text, type FakeServer } from './fakeEngine.js';

const hi = [{ role: 'user', content: 'Hi' }];

/** Reasoning, a preamble, then two calls with their arguments in pieces: a whole agent turn. */
const TWO_CALLS = {
  deltas: [
    text('analysis', 'Need '),
    text('analysis', 'weather.'),
    text('commentary', 'Checking both.'),
    call(0, 'call_a', 'get_weather'),
    args(0, '{"city":'),
    args(0, '"Paris"}'),
    call(1, 'call_b', 'get_time'),
    args(1, '{}'),
  ],
  finishReason: 'tool_calls' as const,
};

describe('chat completions: channels and tool calls shaped as OpenAI (fake engine)', () => {
  let s: FakeServer;
  beforeAll(async () => {
    s = await startFakeServer();
  });
  afterAll(() => s?.close());
  beforeEach(() => {
    s.engine.jobs.length = 0;
  });

  it('whole: analysis as reasoning_content and reasoning, the final channel as content, reasoning usage', async () => {
    s.engine.answer({ deltas: [text('analysis', 'Think.'), text('final', 'Hello!')] });
    const { status, body } = await post(`${s.url}/v1/chat/completions`, { messages: hi });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: FAKE_MODEL,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Hello!',
            refusal: null,
            reasoning_content: 'Think.',
            reasoning: 'Think.',
          },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 11,
        completion_tokens: 7,
        total_tokens: 18,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 3 },
      },
    });
    expect((body.choices as Array<{ message: object }>)[0]!.message).not.toHaveProperty('tool_calls');
  });

  it('whole: a preamble as content, several calls in order as tool_calls, finish_reason tool_calls', async () => {
    s.engine.answer(TWO_CALLS);
    const { body } = await post(`${s.url}/v1/chat/completions`, { messages: hi });
    expect(body.choices).toEqual([
      {
        index: 0,
        message: {
          role: 'assistant',
          content: 'Checking both.',
          refusal: null,
          reasoning_content: 'Need weather.',
          reasoning: 'Need weather.',
          tool_calls: [
            { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{}' } },
          ],
        },
        logprobs: null,
        finish_reason: 'tool_calls',
      },
    ]);
  });

  it('whole: content is null when the turn is only function calls', async () => {
    s.engine.answer({ deltas: [call(0, 'call_x', 'get_weather'), args(0, '{}')], finishReason: 'tool_calls' });
    const { body } = await post(`${s.url}/v1/chat/completions`, { messages: hi });
    const [choice] = body.choices as Array<{ message: Record<string, unknown> }>;
    expect(choice!.message.content).toBeNull();
    expect(choice!.message).not.toHaveProperty('reasoning_content');
  });

  it("streamed: a call's first chunk has index, id, type, name and empty arguments; then its arguments", async () => {
    s.engine.answer(TWO_CALLS);
    const events = await postEvents(`${s.url}/v1/chat/completions`, { messages: hi, stream: true });
    expect(events.at(-1)!.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => e.data as { object: string; choices: unknown[] });
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.map((c) => c.choices[0])).toEqual([
      { index: 0, delta: { role: 'assistant', reasoning_content: 'Need ', reasoning: 'Need ' }, finish_reason: null },
      { index: 0, delta: { reasoning_content: 'weather.', reasoning: 'weather.' }, finish_reason: null },
      { index: 0, delta: { content: 'Checking both.' }, finish_reason: null },
      {
        index: 0,
        delta: {
          tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }],
        },
        finish_reason: null,
      },
      { index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }, finish_reason: null },
      { index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }, finish_reason: null },
      {
        index: 0,
        delta: {
          tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '' } }],
        },
        finish_reason: null,
      },
      { index: 0, delta: { tool_calls: [{ index: 1, function: { arguments: '{}' } }] }, finish_reason: null },
      { index: 0, delta: {}, finish_reason: 'tool_calls' },
    ]);
  });

  it('streamed, usage asked for: the last chunk before [DONE] has no choices and the usage', async () => {
    s.engine.answer({ deltas: [text('final', 'Hi')] });
    const events = await postEvents(`${s.url}/v1/chat/completions`, {
      messages: hi,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(events.at(-2)!.data).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 11, completion_tokens: 7, completion_tokens_details: { reasoning_tokens: 3 } },
    });
  });

  it('streamed, an answer with no text: the finish chunk carries the role', async () => {
    s.engine.answer({ deltas: [] });
    const events = await postEvents(`${s.url}/v1/chat/completions`, { messages: hi, stream: true });
    expect(events.map((e) => e.data)).toMatchObject([
      { choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: 'stop' }] },
      '[DONE]',
    ]);
  });

  it('openai SDK create(stream: true): the chunks assemble into the calls by index', async () => {
    s.engine.answer(TWO_CALLS);
    const stream = await s.openai.chat.completions.create({ model: FAKE_MODEL, messages: hi as never, stream: true });
    const calls: Array<{ id?: string; name?: string; arguments: string }> = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const c of chunk.choices[0]?.delta.tool_calls ?? []) {
        calls[c.index] ??= { arguments: '' };
        if (c.id) calls[c.index]!.id = c.id;
        if (c.function?.name) calls[c.index]!.name = c.function.name;
        calls[c.index]!.arguments += c.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(calls).toEqual([
      { id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { id: 'call_b', name: 'get_time', arguments: '{}' },
    ]);
    expect(finish).toBe('tool_calls');
  });

  it("openai SDK chat.completions.stream(): the SDK's own accumulation gives the calls and the preamble", async () => {
    s.engine.answer(TWO_CALLS);
    const stream = s.openai.chat.completions.stream({ model: FAKE_MODEL, messages: hi as never });
    const argumentDeltas: string[] = [];
    stream.on('tool_calls.function.arguments.delta', (e) => argumentDeltas.push(e.arguments_delta));
    const completion = await stream.finalChatCompletion();
    const [choice] = completion.choices;
    expect(choice!.finish_reason).toBe('tool_calls');
    expect(choice!.message.content).toBe('Checking both.');
    expect(choice!.message.tool_calls).toEqual([
      { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{}' } },
    ]);
    // the SDK emits one for every tool_calls chunk, the first (name, empty arguments) too
    expect(argumentDeltas).toEqual(['', '{"city":', '"Paris"}', '', '{}']);
  });

  it('openai SDK create(), not streamed: tool_calls typed as the SDK reads them', async () => {
    s.engine.answer(TWO_CALLS);
    const completion = await s.openai.chat.completions.create({ model: FAKE_MODEL, messages: hi as never });
    const calls = completion.choices[0]!.message.tool_calls!;
    expect(calls.map((c) => (c.type === 'function' ? [c.id, c.function.name, c.function.arguments] : []))).toEqual([
      ['call_a', 'get_weather', '{"city":"Paris"}'],
      ['call_b', 'get_time', '{}'],
    ]);
  });

  it('openai SDK runTools: a whole tool loop, streamed and not, sends the call and its result back', async () => {
    for (const stream of [false, true]) {
      s.engine.jobs.length = 0;
      s.engine.answer(
        { deltas: [call(0, 'call_w', 'get_weather'), args(0, '{"city":"Paris"}')], finishReason: 'tool_calls' },
        { deltas: [text('analysis', 'Got it.'), text('final', 'It is sunny in Paris.')] },
      );
      const runner = s.openai.chat.completions.runTools({
        model: FAKE_MODEL,
        stream,
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              parameters: { type: 'object', properties: { city: { type: 'string' } } },
              function: (a: { city: string }) => `sunny in ${a.city}`,
              parse: JSON.parse,
            },
          },
        ],
      } as never);
      expect(await runner.finalContent()).toBe('It is sunny in Paris.');
      expect(s.engine.jobs).toHaveLength(2);
      expect(s.engine.jobs[1]!.messages).toEqual([
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'call_w', name: 'get_weather', arguments: '{"city":"Paris"}' }],
        },
        { role: 'tool', toolCallId: 'call_w', name: 'get_weather', content: 'sunny in Paris' },
      ]);
    }
  });

  it('the job the engine gets is what the request asked for', async () => {
    s.engine.answer({ deltas: [text('final', 'ok')] });
    await post(`${s.url}/v1/chat/completions`, { messages: hi, reasoning_effort: 'high', max_tokens: 9 });
    expect(s.engine.jobs[0]).toMatchObject({ messages: hi, reasoningEffort: 'high', maxTokens: 9 });
  });
});

describe('completions and /apply-template (fake engine)', () => {
  let s: FakeServer;
  beforeAll(async () => {
    s = await startFakeServer();
  });
  afterAll(() => s?.close());

  it('/v1/completions streams the text of every channel as text', async () => {
    s.engine.answer({ deltas: [text('final', 'raw '), text('final', 'text')], finishReason: 'length' });
    const events = await postEvents(`${s.url}/v1/completions`, { prompt: '<|start|>user', stream: true });
    expect(events.map((e) => e.data)).toMatchObject([
      { object: 'text_completion', choices: [{ text: 'raw ', finish_reason: null }] },
      { choices: [{ text: 'text', finish_reason: null }] },
      { choices: [{ text: '', finish_reason: 'length' }] },
      '[DONE]',
    ]);
    expect(s.engine.generated.at(-1)!.prompt).toBe('<|start|>user');
  });

  it('/apply-template answers {"prompt"} with what the engine renders for the chat', async () => {
    const { status, body } = await post(`${s.url}/apply-template`, {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
    });
    expect(status).toBe(200);
    expect(body).toEqual({ prompt: 'rendered 2 messages: Be brief.|Hi' });
  });

  it('/apply-template refuses what chat completions refuses, naming the field', async () => {
    const { status, body } = await post(`${s.url}/apply-template`, { messages: [] });
    expect(status).toBe(400);
    expect(body).toEqual({
      error: {
        message: 'messages: must contain at least one message',
        type: 'invalid_request_error',
        param: 'messages',
        code: 'invalid_argument',
      },
    });
  });

  it('/apply-template takes JSON only', async () => {
    const res = await fetch(`${s.url}/apply-template`, { method: 'POST', body: JSON.stringify({ messages: hi }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      'send the request body as JSON with Content-Type: application/json',
    );
  });
});

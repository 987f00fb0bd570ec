import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Response as OpenAiResponse, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { waitFor } from '../../helpers/wait.js';
import { args, call, FAKE_MODEL, post, postEvents, startFakeServer, text, type FakeServer } from './fakeEngine.js';

const weatherTool = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: true,
};

/** The model thinks, then calls get_weather. */
const CALLS_WEATHER = {
  deltas: [text('analysis', 'Need the weather.'), call(0, 'call_w', 'get_weather'), args(0, '{"city":"Paris"}')],
  finishReason: 'tool_calls' as const,
};
/** Given the result, it answers. */
const ANSWERS = { deltas: [text('analysis', 'Sunny.'), text('final', 'It is sunny in Paris.')] };

describe('the Responses API (fake engine)', () => {
  let s: FakeServer;
  beforeAll(async () => {
    s = await startFakeServer();
  });
  afterAll(() => s?.close());
  beforeEach(() => {
    s.engine.jobs.length = 0;
  });

  it('the response object: reasoning and message items, usage with reasoning tokens, the request echoed', async () => {
    s.engine.answer({ deltas: [text('analysis', 'Think.'), text('final', 'Hello!')] });
    const { status, body } = await post(`${s.url}/v1/responses`, {
      input: 'Hi',
      instructions: 'Be brief.',
      reasoning: { effort: 'low' },
      temperature: 0.5,
      metadata: { run: '7' },
    });
    expect(status).toBe(200);
    const [reasoning, message] = body.output as Array<{ id: string }>;
    expect(body).toMatchObject({
      object: 'response',
      status: 'completed',
      error: null,
      incomplete_details: null,
      model: FAKE_MODEL,
      output: [
        {
          type: 'reasoning',
          id: reasoning!.id,
          summary: [],
          content: [{ type: 'reasoning_text', text: 'Think.' }],
          status: 'completed',
        },
        {
          type: 'message',
          id: message!.id,
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: 'Hello!', annotations: [], logprobs: [] }],
        },
      ],
      usage: {
        input_tokens: 11,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 7,
        output_tokens_details: { reasoning_tokens: 3 },
        total_tokens: 18,
      },
      instructions: 'Be brief.',
      reasoning: { effort: 'low', summary: null },
      temperature: 0.5,
      metadata: { run: '7' },
      tools: [],
      tool_choice: 'auto',
      parallel_tool_calls: true,
      store: true,
      previous_response_id: null,
    });
    expect(body.id).toMatch(/^resp_[0-9a-f]{32}$/);
    expect(body.created_at).toEqual(expect.any(Number));
    expect(reasoning!.id).toMatch(/^rs_/);
    expect(message!.id).toMatch(/^msg_/);
    // the instructions go first, as a developer message; the string input is the user's
    expect(s.engine.jobs[0]).toMatchObject({
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      reasoningEffort: 'low',
      temperature: 0.5,
    });
  });

  it("streams OpenAI's events in order, numbered, each under its own event name", async () => {
    s.engine.answer({ deltas: [text('analysis', 'Th'), text('analysis', 'ink.'), text('final', 'Hello!')] });
    const events = await postEvents(`${s.url}/v1/responses`, { input: 'Hi', stream: true });
    const data = events.map((e) => e.data as ResponseStreamEvent);
    expect(events.map((e) => e.event)).toEqual(data.map((d) => d.type));
    expect(data.map((d) => d.sequence_number)).toEqual(data.map((_, i) => i));
    expect(data.map((d) => d.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.reasoning_text.delta',
      'response.reasoning_text.delta',
      'response.reasoning_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(data[0]).toMatchObject({ response: { status: 'in_progress', output: [], usage: null } });
    expect(data.at(-1)).toMatchObject({
      response: { status: 'completed', usage: { output_tokens_details: { reasoning_tokens: 3 } } },
    });
  });

  it('openai SDK responses.create: the function call as a function_call item', async () => {
    s.engine.answer(CALLS_WEATHER);
    const response = await s.openai.responses.create({
      model: FAKE_MODEL,
      input: 'Weather in Paris?',
      tools: [weatherTool],
    });
    expect(response.status).toBe('completed');
    expect(response.output.map((item) => item.type)).toEqual(['reasoning', 'function_call']);
    expect(response.output[1]).toMatchObject({
      type: 'function_call',
      call_id: 'call_w',
      name: 'get_weather',
      arguments: '{"city":"Paris"}',
      status: 'completed',
    });
    expect(response.output[1]!.id).toMatch(/^fc_/);
    expect(response.tools).toEqual([{ ...weatherTool }]);
    expect(s.engine.jobs[0]!.tools).toEqual([
      { name: 'get_weather', description: weatherTool.description, parameters: weatherTool.parameters, strict: true },
    ]);
  });

  it('openai SDK responses.stream: argument deltas with snapshots, the final response as create answers', async () => {
    s.engine.answer(CALLS_WEATHER);
    const stream = s.openai.responses.stream({ model: FAKE_MODEL, input: 'Weather in Paris?', tools: [weatherTool] });
    const snapshots: string[] = [];
    stream.on('response.function_call_arguments.delta', (e) => snapshots.push(e.snapshot));
    const response = await stream.finalResponse();
    expect(snapshots).toEqual(['{"city":"Paris"}']);
    expect(response.status).toBe('completed');
    expect(response.output).toMatchObject([
      { type: 'reasoning', content: [{ type: 'reasoning_text', text: 'Need the weather.' }], status: 'completed' },
      { type: 'function_call', call_id: 'call_w', name: 'get_weather', arguments: '{"city":"Paris"}' },
    ]);
  });

  it('a tool loop by previous_response_id: the function_call_output answers the stored call', async () => {
    for (const stream of [false, true]) {
      s.engine.jobs.length = 0;
      s.engine.answer(CALLS_WEATHER, ANSWERS);
      const create = async (body: Record<string, unknown>): Promise<OpenAiResponse> =>
        stream
          ? s.openai.responses.stream({ model: FAKE_MODEL, ...body } as never).finalResponse()
          : s.openai.responses.create({ model: FAKE_MODEL, ...body } as never);
      const first = await create({ input: 'Weather in Paris?', instructions: 'Use tools.', tools: [weatherTool] });
      const called = first.output.find((item) => item.type === 'function_call')!;
      const second = await create({
        previous_response_id: first.id,
        instructions: 'Answer in one line.',
        tools: [weatherTool],
        input: [{ type: 'function_call_output', call_id: called.call_id, output: 'sunny' }],
      });
      expect(second.output_text).toBe('It is sunny in Paris.');
      expect(second.previous_response_id).toBe(first.id);
      // the first request's instructions are not carried over (OpenAI's rule); its reasoning is kept
      expect(s.engine.jobs[1]!.messages).toEqual([
        { role: 'developer', content: 'Answer in one line.' },
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: '',
          reasoning: 'Need the weather.',
          toolCalls: [{ id: 'call_w', name: 'get_weather', arguments: '{"city":"Paris"}' }],
        },
        { role: 'tool', toolCallId: 'call_w', name: 'get_weather', content: 'sunny' },
      ]);
    }
  });

  it('a tool loop without storage: the output items sent back as input, store: false', async () => {
    s.engine.answer(CALLS_WEATHER, ANSWERS);
    const input: unknown[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const first = await s.openai.responses.create({
      model: FAKE_MODEL,
      input: input as never,
      tools: [weatherTool],
      store: false,
    });
    expect(first).toMatchObject({ store: false });
    input.push(...first.output, { type: 'function_call_output', call_id: 'call_w', output: 'sunny' });
    const second = await s.openai.responses.create({
      model: FAKE_MODEL,
      input: input as never,
      tools: [weatherTool],
      store: false,
    });
    expect(second.output_text).toBe('It is sunny in Paris.');
    expect(s.engine.jobs[1]!.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: '',
        reasoning: 'Need the weather.',
        toolCalls: [{ id: 'call_w', name: 'get_weather', arguments: '{"city":"Paris"}' }],
      },
      { role: 'tool', toolCallId: 'call_w', name: 'get_weather', content: 'sunny' },
    ]);
    expect(s.store.get(first.id)).toBeUndefined();
  });

  it('a multi-turn chat by previous_response_id carries answers and reasoning (the renderer drops it)', async () => {
    s.engine.answer({ deltas: [text('analysis', 'A.'), text('final', 'One.')] }, { deltas: [text('final', 'Two.')] });
    const first = await s.openai.responses.create({ model: FAKE_MODEL, input: 'First?' });
    await s.openai.responses.create({ model: FAKE_MODEL, input: 'Second?', previous_response_id: first.id });
    expect(s.engine.jobs[1]!.messages).toEqual([
      { role: 'user', content: 'First?' },
      { role: 'assistant', content: 'One.', reasoning: 'A.' },
      { role: 'user', content: 'Second?' },
    ]);
  });

  it('GET and DELETE a stored response by id (openai SDK retrieve and delete)', async () => {
    s.engine.answer({ deltas: [text('final', 'Kept.')] });
    const created = await s.openai.responses.create({ model: FAKE_MODEL, input: 'Hi' });
    const retrieved = await s.openai.responses.retrieve(created.id);
    expect(retrieved).toEqual(created);
    const deleted = await fetch(`${s.url}/v1/responses/${created.id}`, { method: 'DELETE' });
    expect(await deleted.json()).toEqual({ id: created.id, object: 'response', deleted: true });
    const gone = await fetch(`${s.url}/v1/responses/${created.id}`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({
      error: {
        message:
          `response "${created.id}" is not stored on this runtime: it keeps up to 500 responses in memory, ` +
          'per replica, and this one was stored with store: false, deleted, evicted, or never answered here',
        type: 'invalid_request_error',
        param: 'response_id',
        code: 'not_found',
      },
    });
  });

  it('a response cut short by max_output_tokens is incomplete, its stream ends with response.incomplete', async () => {
    s.engine.answer({ deltas: [text('final', 'Long')], finishReason: 'length' });
    const events = await postEvents(`${s.url}/v1/responses`, { input: 'Hi', stream: true, max_output_tokens: 1 });
    expect(events.at(-1)!.data).toMatchObject({
      type: 'response.incomplete',
      response: {
        status: 'incomplete',
        incomplete_details: { reason: 'max_output_tokens' },
        max_output_tokens: 1,
        output: [{ type: 'message', status: 'incomplete' }],
      },
    });
    expect(s.engine.jobs[0]!.maxTokens).toBe(1);
  });

  it('an engine failing mid-stream ends the stream with an error event and response.failed', async () => {
    s.engine.answer({ deltas: [text('final', 'Par')], error: new Error('the GPU fell over') });
    const events = await postEvents(`${s.url}/v1/responses`, { input: 'Hi', stream: true });
    expect(events.slice(-2).map((e) => e.data)).toMatchObject([
      { type: 'error', code: 'internal', message: 'internal error while generating', param: null },
      {
        type: 'response.failed',
        response: {
          status: 'failed',
          error: { code: 'server_error', message: 'internal error while generating' },
          output: [{ type: 'message', status: 'incomplete', content: [{ text: 'Par' }] }],
        },
      },
    ]);
    // nothing of the cause reaches the client
    expect(JSON.stringify(events)).not.toContain('GPU');
  });

  it('a streaming client that goes away stops its generation, and nothing is stored', async () => {
    s.engine.signals.length = 0;
    s.engine.outcomes.length = 0;
    s.engine.answer({ deltas: [text('final', 'Hel')], untilAborted: true });
    const stored = s.store.size;
    const client = new AbortController();
    const res = await fetch(`${s.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: 'Hi', stream: true }),
      signal: client.signal,
    });
    const reader = res.body!.getReader();
    let seen = '';
    while (!seen.includes('response.output_text.delta')) seen += new TextDecoder().decode((await reader.read()).value);
    client.abort();
    await waitFor(() => s.engine.outcomes.length === 1, 10_000, 'the generation to end');
    expect(s.engine.outcomes[0]!.finishReason).toBe('cancelled');
    // the handler's storing (or not) follows the engine's return in microtasks, all run before this
    await new Promise((resolve) => setImmediate(resolve));
    expect(s.store.size).toBe(stored);
  });

  it('an engine failing before its first token is an HTTP error, streamed or not', async () => {
    s.engine.answer({ deltas: [], error: new Error('no') }, { deltas: [], error: new Error('no') });
    for (const stream of [false, true]) {
      const { status, body } = await post(`${s.url}/v1/responses`, { input: 'Hi', stream });
      expect(status).toBe(500);
      expect(body).toEqual({
        error: { message: 'internal error while generating', type: 'server_error', param: null, code: 'internal' },
      });
    }
  });
});

describe('the Responses API: the store and bad input (fake engine)', () => {
  let s: FakeServer;
  beforeAll(async () => {
    s = await startFakeServer({ maxResponses: 2, maxBytes: 1024 * 1024 });
  });
  afterAll(() => s?.close());

  const notStored = (id: string) =>
    `response "${id}" is not stored on this runtime: it keeps up to 2 responses in memory, per replica, ` +
    'and this one was stored with store: false, deleted, evicted, or never answered here';

  const refusal = (status: number, message: string, param: string | null, code = 'invalid_argument') => ({
    status,
    body: { error: { message, type: 'invalid_request_error', param, code } },
  });

  it('evicts the least recently used response: continuing it is refused, naming it', async () => {
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      s.engine.answer({ deltas: [text('final', `${n}`)] });
      ids.push((await s.openai.responses.create({ model: FAKE_MODEL, input: 'Hi' })).id);
    }
    expect(s.store.size).toBe(2);
    const answer = await post(`${s.url}/v1/responses`, { input: 'Again', previous_response_id: ids[0] });
    expect(answer).toEqual(refusal(400, `previous_response_id: ${notStored(ids[0]!)}`, 'previous_response_id'));
  });

  it('a response with store: false is not kept', async () => {
    s.engine.answer({ deltas: [text('final', 'x')] });
    const { body } = await post(`${s.url}/v1/responses`, { input: 'Hi', store: false });
    const id = body.id as string;
    expect(await post(`${s.url}/v1/responses`, { input: 'Hi', previous_response_id: id })).toEqual(
      refusal(400, `previous_response_id: ${notStored(id)}`, 'previous_response_id'),
    );
  });

  it('GET of an unknown id is a 404 naming it; replaying a stored response as events is not supported', async () => {
    const unknown = await fetch(`${s.url}/v1/responses/resp_nope`);
    expect({ status: unknown.status, body: await unknown.json() }).toEqual(
      refusal(404, notStored('resp_nope'), 'response_id', 'not_found'),
    );
    const replay = await fetch(`${s.url}/v1/responses/resp_nope?stream=true`);
    expect({ status: replay.status, body: await replay.json() }).toEqual(
      refusal(
        400,
        'stream: replaying a stored response as events is not supported by this runtime; GET it whole',
        'stream',
        'not_supported',
      ),
    );
    const other = await fetch(`${s.url}/v1/responses/resp_nope?include=x`);
    expect({ status: other.status, body: await other.json() }).toEqual(
      refusal(400, 'include: unknown query parameter', 'include'),
    );
  });

  it('a function_call_output whose call_id no earlier call has, with a previous response', async () => {
    s.engine.answer({ deltas: [text('final', 'x')] });
    const { body } = await post(`${s.url}/v1/responses`, { input: 'Hi' });
    const answer = await post(`${s.url}/v1/responses`, {
      previous_response_id: body.id,
      input: [
        { role: 'user', content: 'and' },
        { type: 'function_call_output', call_id: 'call_nope', output: '1' },
      ],
    });
    expect(answer).toEqual(
      refusal(
        400,
        'input[1].call_id: "call_nope" names no function_call before it (in the input or the previous response)',
        'input[1].call_id',
      ),
    );
  });

  it('an input item of an unknown type', async () => {
    expect(await post(`${s.url}/v1/responses`, { input: [{ type: 'telepathy', content: 'x' }] })).toEqual(
      refusal(
        400,
        'input[0].type: unknown input item type "telepathy"; expected "message", "function_call", ' +
          '"function_call_output" or "reasoning"',
        'input[0].type',
      ),
    );
  });

  it('POST /v1/responses/{id}/cancel is no route here (no background responses)', async () => {
    const cancel = await fetch(`${s.url}/v1/responses/resp_x/cancel`, { method: 'POST' });
    expect({ status: cancel.status, body: await cancel.json() }).toEqual(
      refusal(404, 'no route for POST /v1/responses/resp_x/cancel', null, 'not_found'),
    );
  });
});

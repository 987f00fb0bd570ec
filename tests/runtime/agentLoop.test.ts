import { Ajv } from 'ajv';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SCRIPTED_ANSWER,
  SCRIPTED_CALL_ARGUMENTS,
  SCRIPTED_REASONING,
  scriptedToolAnswer,
} from '../../runtime/synth/harmonyScript.js';
import { collect, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

/**
 * The agent loop gpt-oss is built for, through clients nobody here wrote (the openai SDK, a grpc-js
 * client), on a real runtime with the scripted model: offered tools it calls the first function;
 * given the result it answers quoting it. tool_choice and parallel_tool_calls constrain what it may
 * write, whatever it prefers.
 */

const MODEL = 'gpt-oss-tiny-scripted-seed1';
const RESULT = '{"temp_c":21}';
/** No required arguments: `{}` is valid, and the scripted model writes it. */
const GET_TIME = { name: 'get_time', description: 'The time now', parameters: { type: 'object', properties: {} } };
const GET_WEATHER = {
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' }, unit: { enum: ['c', 'f'] } },
    required: ['city', 'unit'],
    additionalProperties: false,
  },
};
const chatTool = (f: typeof GET_TIME | typeof GET_WEATHER) => ({ type: 'function' as const, function: f });
const ASK: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What time is it?' }];
const CALL_ID = /^call_[A-Za-z0-9]{24}$/;

/** The function calls of an answer (the SDK's type also has custom tool calls, which this runtime never makes). */
const functionCalls = (message: OpenAI.ChatCompletionMessage) =>
  (message.tool_calls ?? []).flatMap((call) => (call.type === 'function' ? [call] : []));

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime('scripted');
});
afterAll(() => t?.stop());

describe('chat completions: a whole tool loop with the openai SDK', () => {
  it('not streamed: the call as tool_calls, then the answer quoting the result', async () => {
    const tools = [chatTool(GET_TIME), chatTool(GET_WEATHER)];
    const first = await t.openai.chat.completions.create({ model: MODEL, messages: ASK, tools });
    const [choice] = first.choices;
    expect(choice).toMatchObject({
      finish_reason: 'tool_calls',
      message: { role: 'assistant', content: null, reasoning_content: SCRIPTED_REASONING.medium },
    });
    expect(choice!.message.tool_calls).toEqual([
      { id: expect.stringMatching(CALL_ID), type: 'function', function: { name: 'get_time', arguments: '{}' } },
    ]);
    const call = choice!.message.tool_calls![0]!;
    const second = await t.openai.chat.completions.create({
      model: MODEL,
      tools,
      messages: [...ASK, choice!.message, { role: 'tool', tool_call_id: call.id, content: RESULT }],
    });
    expect(second.choices[0]).toMatchObject({
      finish_reason: 'stop',
      message: { content: scriptedToolAnswer(RESULT), reasoning_content: SCRIPTED_REASONING.medium },
    });
    expect(second.choices[0]!.message.tool_calls).toBeUndefined();
  });

  it("streamed: the SDK's accumulation gives the call; the answer streams after the result", async () => {
    const tools = [chatTool(GET_TIME)];
    const stream = t.openai.chat.completions.stream({ model: MODEL, messages: ASK, tools });
    const first = await stream.finalChatCompletion();
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(call).toMatchObject({
      type: 'function',
      function: { name: 'get_time', arguments: SCRIPTED_CALL_ARGUMENTS },
    });
    const answer = t.openai.chat.completions.stream({
      model: MODEL,
      tools,
      messages: [...ASK, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: RESULT }],
    });
    let content = '';
    answer.on('content.delta', (e) => (content += e.delta));
    await answer.finalChatCompletion();
    expect(content).toBe(scriptedToolAnswer(RESULT));
  });

  it('arguments for required properties are valid for the schema (the grammar holds the model)', async () => {
    const first = await t.openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [chatTool(GET_WEATHER)],
    });
    const args: unknown = JSON.parse(functionCalls(first.choices[0]!.message)[0]!.function.arguments);
    const validate = new Ajv({ strict: false }).compile(GET_WEATHER.parameters);
    expect(validate(args), JSON.stringify(validate.errors)).toBe(true);
  });

  it('tool_choice none: tools offered, no call; the plain answer', async () => {
    const none = await t.openai.chat.completions.create({
      model: MODEL,
      messages: ASK,
      tools: [chatTool(GET_TIME)],
      tool_choice: 'none',
    });
    expect(none.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: SCRIPTED_ANSWER } });
  });

  it('tool_choice required: the call, then the turn ends where the model ends it', async () => {
    const required = await t.openai.chat.completions.create({
      model: MODEL,
      messages: ASK,
      tools: [chatTool(GET_TIME)],
      tool_choice: 'required',
    });
    expect(required.choices[0]!.finish_reason).toBe('tool_calls');
    expect(functionCalls(required.choices[0]!.message).map((c) => [c.function.name, c.function.arguments])).toEqual([
      ['get_time', SCRIPTED_CALL_ARGUMENTS],
    ]);
  });

  it('a named function: that one is called, though the model prefers the first', async () => {
    const named = await t.openai.chat.completions.create({
      model: MODEL,
      messages: ASK,
      tools: [chatTool(GET_TIME), chatTool(GET_WEATHER)],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    expect(functionCalls(named.choices[0]!.message).map((c) => c.function.name)).toEqual(['get_weather']);
  });

  it('parallel_tool_calls false: one call, then the turn ends', async () => {
    const one = await t.openai.chat.completions.create({
      model: MODEL,
      messages: ASK,
      tools: [chatTool(GET_TIME), chatTool(GET_WEATHER)],
      parallel_tool_calls: false,
    });
    expect(one.choices[0]!.message.tool_calls).toHaveLength(1);
  });
});

describe('responses: a whole tool loop with the openai SDK', () => {
  const tools = [{ type: 'function' as const, strict: false, ...GET_TIME }];

  it('create: a function_call item; its function_call_output gives the answer quoting it', async () => {
    const first = await t.openai.responses.create({ model: MODEL, input: 'What time is it?', tools });
    expect(first.output).toMatchObject([
      { type: 'reasoning', content: [{ type: 'reasoning_text', text: SCRIPTED_REASONING.medium }] },
      { type: 'function_call', name: 'get_time', arguments: SCRIPTED_CALL_ARGUMENTS, status: 'completed' },
    ]);
    const call = first.output.find((item) => item.type === 'function_call')!;
    const second = await t.openai.responses.create({
      model: MODEL,
      tools,
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: RESULT }],
    });
    expect(second.output_text).toBe(scriptedToolAnswer(RESULT));
  });

  it('stream: function_call_arguments deltas, then the answer from the output item in the input', async () => {
    const stream = t.openai.responses.stream({ model: MODEL, input: 'What time is it?', tools });
    let args = '';
    stream.on('response.function_call_arguments.delta', (e) => (args += e.delta));
    const first = await stream.finalResponse();
    expect(args).toBe(SCRIPTED_CALL_ARGUMENTS);
    const call = first.output.find((item) => item.type === 'function_call')!;
    const answer = t.openai.responses.stream({
      model: MODEL,
      tools,
      input: [
        { role: 'user', content: 'What time is it?' },
        { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: 'function_call_output', call_id: call.call_id, output: RESULT },
      ],
    });
    let text = '';
    answer.on('response.output_text.delta', (e) => (text += e.delta));
    await answer.finalResponse();
    expect(text).toBe(scriptedToolAnswer(RESULT));
  });
});

describe('gRPC: the same loop with a grpc-js client', () => {
  it('a ToolCallDelta and FINISH_REASON_TOOL_CALL; the result gives the quoting answer', async () => {
    const tools = [{ function: { ...GET_TIME, parameters: JSON.stringify(GET_TIME.parameters) } }];
    const first = await collect(t.grpc.Chat({ messages: ASK, tools }));
    expect(first.error).toBeNull();
    const calls = first.messages.flatMap((m) => (m.tool_call ? [m.tool_call as Record<string, unknown>] : []));
    // the call's start, then its arguments in as many pieces as the model wrote tokens
    expect(calls[0]).toEqual({ index: 0, id: expect.stringMatching(CALL_ID), name: 'get_time' });
    expect(calls.slice(1).every((c) => c.index === 0 && c.id === undefined)).toBe(true);
    expect(calls.map((c) => (c.arguments as string | undefined) ?? '').join('')).toBe(SCRIPTED_CALL_ARGUMENTS);
    expect(first.messages.at(-1)).toMatchObject({ finish_reason: 'FINISH_REASON_TOOL_CALL' });
    const id = calls[0]!.id as string;
    const second = await collect(
      t.grpc.Chat({
        tools,
        messages: [
          ...ASK,
          {
            role: 'assistant',
            tool_calls: [{ id, function: { name: 'get_time', arguments: SCRIPTED_CALL_ARGUMENTS } }],
          },
          { role: 'tool', tool_call_id: id, content: RESULT },
        ],
      }),
    );
    const answer = second.messages
      .filter((m) => m.channel === 'CHANNEL_FINAL')
      .map((m) => m.text as string)
      .join('');
    expect(answer).toBe(scriptedToolAnswer(RESULT));
  });
});

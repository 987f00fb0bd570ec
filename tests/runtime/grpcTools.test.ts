import { credentials, Server, ServerCredentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatJob } from '../../contract/api/chat.js';
import { RuntimeClient, strictRuntimeService } from '../../contract/grpc/protos.js';
import { createLogger } from '../../contract/log.js';
import type { Engine } from '../../runtime/engine/engine.js';
import { EngineRef } from '../../runtime/engine/engineRef.js';
import type { Delta, Outcome } from '../../runtime/engine/types.js';
import { runtimeImplementation } from '../../runtime/grpc/service.js';
import { RuntimeMetrics } from '../../runtime/metrics.js';
import {
  collect,
  fieldViolations,
  startTestRuntime,
  unary,
  type RuntimeStub,
  type TestRuntime,
} from '../helpers/runtime.js';

/**
 * Tool calling over gRPC: the proto's tools, tool_choice, parallel_tool_calls, response_format and
 * tool messages reach the engine as the same ChatJob the HTTP API makes, and the engine's tool-call
 * deltas reach the client as ToolCallDelta messages.
 */

const WEATHER_PARAMETERS = {
  type: 'object',
  properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
  required: ['city'],
};
const ANSWER_SCHEMA = { type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'] };
const weatherTool = (parameters: string = JSON.stringify(WEATHER_PARAMETERS)) => ({
  function: { name: 'get_weather', description: 'The weather in a city now', parameters, strict: true },
});
const ASK = [{ role: 'user', content: 'Weather in Paris?' }];

/** A whole turn of the agent loop: the call the assistant made, and the tool's result. */
const LOOP = [
  { role: 'system', content: 'Be brief.' },
  ...ASK,
  {
    role: 'assistant',
    content: '',
    reasoning: 'I need the weather.',
    tool_calls: [{ id: 'call_1', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
  },
  { role: 'tool', tool_call_id: 'call_1', content: '{"temp_c":21}' },
];

const usage = {
  promptTokens: 40,
  completionTokens: 20,
  reasoningTokens: 5,
  timeToFirstTokenSeconds: 0.5,
  tokensPerSecond: 10,
};

/**
 * A fake engine, the one collaborator of the gRPC service under test: it records the job the service
 * made and answers with the deltas it is given, as the engine calls onDelta.
 */
class RecordingEngine {
  readonly jobs: ChatJob[] = [];
  constructor(
    private readonly deltas: Delta[],
    private readonly outcome: Outcome,
  ) {}

  chat(job: ChatJob, onDelta: (delta: Delta) => void): Promise<Outcome> {
    this.jobs.push(job);
    this.deltas.forEach(onDelta);
    return Promise.resolve(this.outcome);
  }
}

/** The real service and a real client on port 0, with the fake engine behind them. */
async function serveFake(engine: RecordingEngine): Promise<{ client: RuntimeStub; stop: () => void }> {
  const engines = new EngineRef();
  engines.set(engine as unknown as Engine);
  const server = new Server();
  server.addService(
    strictRuntimeService,
    runtimeImplementation(engines, new RuntimeMetrics(engines, 1), createLogger('warn')),
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  const client = new RuntimeClient(`127.0.0.1:${port}`, credentials.createInsecure()) as RuntimeStub;
  return {
    client,
    stop: () => {
      client.close();
      server.forceShutdown();
    },
  };
}

describe('gRPC Chat with tools, against a recording engine', () => {
  const deltas: Delta[] = [
    { type: 'text', channel: 'analysis', text: 'Two lookups.' },
    { type: 'text', channel: 'commentary', text: 'Checking.' },
    { type: 'toolCall', index: 0, id: 'call_a', name: 'get_weather' },
    { type: 'toolArguments', index: 0, text: '{"city":' },
    { type: 'toolArguments', index: 0, text: '"Paris"}' },
    { type: 'toolCall', index: 1, id: 'call_b', name: 'get_time' },
    { type: 'toolArguments', index: 1, text: '{}' },
  ];
  const engine = new RecordingEngine(deltas, { finishReason: 'tool_calls', usage });
  let fake: Awaited<ReturnType<typeof serveFake>>;
  beforeAll(async () => {
    fake = await serveFake(engine);
  });
  afterAll(() => fake?.stop());

  const chat = async (request: Record<string, unknown>) => {
    const { messages, error } = await collect(fake.client.Chat(request));
    expect(error).toBeNull();
    return { messages, job: engine.jobs.at(-1)! };
  };

  it('streams each call as its start (index, id, name), then its arguments; FINISH_REASON_TOOL_CALL', async () => {
    // the engine decides to call; the request needs no tools for this fake to stream calls
    const { messages } = await chat({ messages: ASK });
    expect(messages).toEqual([
      { text: 'Two lookups.', channel: 'CHANNEL_ANALYSIS' },
      { text: 'Checking.', channel: 'CHANNEL_COMMENTARY' },
      { tool_call: { index: 0, id: 'call_a', name: 'get_weather' } },
      { tool_call: { index: 0, arguments: '{"city":' } },
      { tool_call: { index: 0, arguments: '"Paris"}' } },
      { tool_call: { index: 1, id: 'call_b', name: 'get_time' } },
      { tool_call: { index: 1, arguments: '{}' } },
      {
        text: '',
        channel: 'CHANNEL_UNSPECIFIED',
        finish_reason: 'FINISH_REASON_TOOL_CALL',
        usage: {
          prompt_tokens: 40,
          completion_tokens: 20,
          reasoning_tokens: 5,
          time_to_first_token_seconds: 0.5,
          tokens_per_second: 10,
        },
      },
    ]);
  });

  it('hands the engine the ChatJob of a whole loop: tools, choice, parallelism, format, calls, results', async () => {
    const { job } = await chat({
      messages: LOOP,
      tools: [weatherTool()],
      tool_choice: { mode: 'TOOL_CHOICE_MODE_REQUIRED' },
      parallel_tool_calls: false,
      response_format: {
        type: 'RESPONSE_FORMAT_TYPE_JSON_SCHEMA',
        json_schema: { name: 'answer', description: 'A summary', schema: JSON.stringify(ANSWER_SCHEMA), strict: true },
      },
      max_tokens: 50,
    });
    expect(job).toEqual({
      model: '',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: '',
          reasoning: 'I need the weather.',
          toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
        },
        { role: 'tool', toolCallId: 'call_1', name: 'get_weather', content: '{"temp_c":21}' },
      ],
      tools: [
        { name: 'get_weather', description: 'The weather in a city now', parameters: WEATHER_PARAMETERS, strict: true },
      ],
      toolChoice: { mode: 'required' },
      parallelToolCalls: false,
      responseFormat: {
        type: 'json_schema',
        name: 'answer',
        description: 'A summary',
        schema: ANSWER_SCHEMA,
        strict: true,
      },
      maxTokens: 50,
      stop: [],
    });
  });

  const CHOICES: Array<{ given: Record<string, unknown>; toolChoice: ChatJob['toolChoice'] }> = [
    { given: {}, toolChoice: { mode: 'auto' } },
    { given: { mode: 'TOOL_CHOICE_MODE_AUTO' }, toolChoice: { mode: 'auto' } },
    { given: { mode: 'TOOL_CHOICE_MODE_NONE' }, toolChoice: { mode: 'none' } },
    { given: { function: { name: 'get_weather' } }, toolChoice: { mode: 'function', name: 'get_weather' } },
    {
      given: { mode: 'TOOL_CHOICE_MODE_FUNCTION', function: { name: 'get_weather' } },
      toolChoice: { mode: 'function', name: 'get_weather' },
    },
  ];
  for (const { given, toolChoice } of CHOICES) {
    it(`maps tool_choice ${JSON.stringify(given)} to ${JSON.stringify(toolChoice)}`, async () => {
      const { job } = await chat({ messages: ASK, tools: [weatherTool()], tool_choice: given });
      expect(job.toolChoice).toEqual(toolChoice);
    });
  }

  const FORMATS: Array<{ given: Record<string, unknown>; responseFormat: ChatJob['responseFormat'] }> = [
    { given: {}, responseFormat: { type: 'text' } },
    { given: { type: 'RESPONSE_FORMAT_TYPE_TEXT' }, responseFormat: { type: 'text' } },
    { given: { type: 'RESPONSE_FORMAT_TYPE_JSON_OBJECT' }, responseFormat: { type: 'json_object' } },
    {
      given: { json_schema: { name: 'answer', schema: JSON.stringify(ANSWER_SCHEMA) } },
      responseFormat: { type: 'json_schema', name: 'answer', schema: ANSWER_SCHEMA, strict: false },
    },
  ];
  for (const { given, responseFormat } of FORMATS) {
    it(`maps response_format ${JSON.stringify(given)} to ${JSON.stringify(responseFormat)}`, async () => {
      const { job } = await chat({ messages: ASK, response_format: given });
      expect(job.responseFormat).toEqual(responseFormat);
    });
  }

  it('hands a request without the new fields over as before: no tools, auto, parallel, text', async () => {
    const { job } = await chat({ messages: ASK });
    expect(job).toEqual({
      model: '',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [],
      toolChoice: { mode: 'auto' },
      parallelToolCalls: true,
      responseFormat: { type: 'text' },
      stop: [],
    });
  });
});

interface BadCase {
  name: string;
  request: Record<string, unknown>;
  field: string;
  details: string;
}

/** What the proto can say that OpenAI's JSON cannot: each refused before the shared parser, naming the field. */
const BAD_WIRE: BadCase[] = [
  {
    name: 'parameters that are not JSON',
    request: { messages: ASK, tools: [weatherTool('{type: object}')] },
    field: 'tools[0].function.parameters',
    details: 'tools[0].function.parameters: must be a JSON Schema as JSON text; this is not valid JSON',
  },
  {
    name: 'a response schema that is not JSON',
    request: { messages: ASK, response_format: { json_schema: { name: 'x', schema: '{"type":' } } },
    field: 'response_format.json_schema.schema',
    details: 'response_format.json_schema.schema: must be a JSON Schema as JSON text; this is not valid JSON',
  },
  {
    name: 'mode FUNCTION without a function',
    request: { messages: ASK, tools: [weatherTool()], tool_choice: { mode: 'TOOL_CHOICE_MODE_FUNCTION' } },
    field: 'tool_choice.function',
    details: 'tool_choice.function: is required with mode TOOL_CHOICE_MODE_FUNCTION',
  },
  {
    name: 'a function with mode NONE',
    request: {
      messages: ASK,
      tools: [weatherTool()],
      tool_choice: { mode: 'TOOL_CHOICE_MODE_NONE', function: { name: 'get_weather' } },
    },
    field: 'tool_choice.function',
    details:
      'tool_choice.function: only with mode TOOL_CHOICE_MODE_FUNCTION (or no mode); the mode is TOOL_CHOICE_MODE_NONE',
  },
  {
    name: 'a tool choice mode the proto does not define',
    request: { messages: ASK, tools: [weatherTool()], tool_choice: { mode: 9 } },
    field: 'tool_choice.mode',
    details:
      'tool_choice.mode: unknown value 9; expected TOOL_CHOICE_MODE_AUTO, TOOL_CHOICE_MODE_NONE, ' +
      'TOOL_CHOICE_MODE_REQUIRED or TOOL_CHOICE_MODE_FUNCTION',
  },
  {
    name: 'a schema with type JSON_OBJECT',
    request: {
      messages: ASK,
      response_format: { type: 'RESPONSE_FORMAT_TYPE_JSON_OBJECT', json_schema: { name: 'x', schema: '{}' } },
    },
    field: 'response_format.json_schema',
    details:
      'response_format.json_schema: only with type RESPONSE_FORMAT_TYPE_JSON_SCHEMA (or no type); ' +
      'the type is RESPONSE_FORMAT_TYPE_JSON_OBJECT',
  },
  {
    name: 'type JSON_SCHEMA without a schema',
    request: { messages: ASK, response_format: { type: 'RESPONSE_FORMAT_TYPE_JSON_SCHEMA' } },
    field: 'response_format.json_schema',
    details: 'response_format.json_schema: is required with type RESPONSE_FORMAT_TYPE_JSON_SCHEMA',
  },
  {
    name: 'a response format type the proto does not define',
    request: { messages: ASK, response_format: { type: 7 } },
    field: 'response_format.type',
    details:
      'response_format.type: unknown value 7; expected RESPONSE_FORMAT_TYPE_TEXT, RESPONSE_FORMAT_TYPE_JSON_OBJECT ' +
      'or RESPONSE_FORMAT_TYPE_JSON_SCHEMA',
  },
];

/** What the shared parser (and the engine's grammar) refuses, as a gRPC client sees it: the same field, named alike. */
const BAD_CHAT: BadCase[] = [
  {
    name: 'parameters that are no JSON Schema',
    request: {
      messages: ASK,
      tools: [weatherTool(JSON.stringify({ type: 'object', properties: { city: { type: 'town' } } }))],
    },
    field: 'tools[0].function.parameters.properties.city.type',
    details:
      'tools[0].function.parameters.properties.city.type: must be one of "array", "boolean", "integer", "null", ' +
      '"number", "object", "string"',
  },
  {
    name: 'parameters that are no object',
    request: { messages: ASK, tools: [weatherTool(JSON.stringify({ type: 'string' }))] },
    field: 'tools[0].function.parameters.type',
    details: 'tools[0].function.parameters.type: must be "object": a function takes its arguments as one JSON object',
  },
  {
    name: 'tool_choice naming a function not in tools',
    request: { messages: ASK, tools: [weatherTool()], tool_choice: { function: { name: 'get_time' } } },
    field: 'tool_choice.function.name',
    details: 'tool_choice.function.name: "get_time" names no function in tools',
  },
  {
    name: 'a tool message without tool_call_id',
    request: { messages: [...ASK, { role: 'tool', content: '21' }] },
    field: 'messages[1].tool_call_id',
    details: 'messages[1].tool_call_id: is required on a tool message: the id of the call it answers',
  },
  {
    name: 'a tool message answering no call',
    request: { messages: [...LOOP.slice(0, 3), { role: 'tool', tool_call_id: 'call_9', content: '21' }] },
    field: 'messages[3].tool_call_id',
    details: 'messages[3].tool_call_id: "call_9" names no tool call of an earlier assistant message',
  },
  {
    name: 'a tool call without an id',
    request: {
      messages: [
        ...LOOP.slice(0, 2),
        { role: 'assistant', tool_calls: [{ function: { name: 'get_weather' } }] },
        ...ASK,
      ],
    },
    field: 'messages[2].tool_calls[0].id',
    details: 'messages[2].tool_calls[0].id: is required',
  },
  {
    name: 'reasoning on a user message',
    request: { messages: [{ role: 'user', content: 'Hi', reasoning: 'mine' }] },
    field: 'messages[0].reasoning',
    details: 'messages[0].reasoning: only assistant messages carry reasoning',
  },
  {
    name: 'a response schema keyword no grammar can hold',
    request: {
      messages: ASK,
      response_format: { json_schema: { name: 'x', schema: JSON.stringify({ type: 'string', pattern: '^a+$' }) } },
    },
    field: 'response_format.json_schema.schema.pattern',
    details:
      'response_format.json_schema.schema.pattern: the keyword "pattern" cannot be enforced while generating; ' +
      'remove it or check it after',
  },
];

describe('gRPC Chat with tools, on the scripted model', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime('scripted');
  });
  afterAll(() => t?.stop());

  for (const c of [...BAD_WIRE, ...BAD_CHAT]) {
    it(`refuses ${c.name} with INVALID_ARGUMENT naming ${c.field}`, async () => {
      const { messages, error } = await collect(t.grpc.Chat(c.request));
      expect(messages).toEqual([]);
      expect([error?.code, error?.details]).toEqual([status.INVALID_ARGUMENT, c.details]);
      expect(fieldViolations(error?.metadata)).toEqual([{ field: c.field, description: c.details }]);
    });
  }

  it('refuses the same on CountTokens', async () => {
    const { error } = await unary(t.grpc.CountTokens.bind(t.grpc), { messages: ASK, tools: [weatherTool('[')] });
    expect([error?.code, error?.details]).toEqual([
      status.INVALID_ARGUMENT,
      'tools[0].function.parameters: must be a JSON Schema as JSON text; this is not valid JSON',
    ]);
  });

  const count = async (request: Record<string, unknown>) => {
    const { response, error } = await unary(t.grpc.CountTokens.bind(t.grpc), request);
    expect(error).toBeNull();
    return response!.tokens as number;
  };

  it('counts the tools and the response format into the prompt, as Chat renders them', async () => {
    const plain = await count({ messages: ASK });
    const withTools = await count({ messages: ASK, tools: [weatherTool()] });
    const withFormat = await count({
      messages: ASK,
      response_format: { json_schema: { name: 'answer', schema: JSON.stringify(ANSWER_SCHEMA) } },
    });
    expect(withTools).toBeGreaterThan(plain);
    expect(withFormat).toBeGreaterThan(plain);
  });
});

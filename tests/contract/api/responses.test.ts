import { describe, expect, it } from 'vitest';
import { CHAT_DEFAULTS, RESPONSES_SCHEMA_FIELDS, type ChatMessage } from '../../../contract/api/chat.js';
import { MAX_MESSAGES } from '../../../contract/api/limits.js';
import { CALLS_BEFORE, parseResponsesRequest, resolveToolResults } from '../../../contract/api/responses.js';
import { refusal, refusesEach, type Refused } from './refusals.js';

/** POST /v1/responses: every accepted shape to the exact job and echo; every bad one to its exact error. */

const cityParameters = {
  type: 'object',
  properties: { city: { type: 'string' } },
  required: ['city'],
  additionalProperties: false,
};
const weather = { type: 'function', name: 'get_weather', parameters: cityParameters, strict: true };
const answerSchema = { type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'] };

/** What every response echoes when the request leaves everything out. */
const DEFAULT_ECHO = {
  instructions: null,
  tools: [],
  tool_choice: 'auto',
  parallel_tool_calls: true,
  text: { format: { type: 'text' } },
  reasoning: { effort: null, summary: null },
  max_output_tokens: null,
  temperature: null,
  top_p: null,
  metadata: {},
  previous_response_id: null,
  store: true,
  truncation: 'disabled',
  top_logprobs: 0,
  background: false,
  service_tier: 'default',
  safety_identifier: null,
};

/**
 * The output of a turn that called get_weather, as this runtime answers it and the openai SDK's
 * responses.stream() hands it back (with its derived `parsed` and `parsed_arguments`), sent back as input.
 */
const calledWeather = [
  {
    type: 'reasoning',
    id: 'rs_1',
    summary: [],
    content: [{ type: 'reasoning_text', text: 'Need the weather.' }],
    status: 'completed',
  },
  {
    type: 'message',
    id: 'msg_1',
    role: 'assistant',
    status: 'completed',
    content: [{ type: 'output_text', text: 'Checking.', annotations: [], logprobs: [], parsed: null }],
  },
  {
    type: 'function_call',
    id: 'fc_1',
    call_id: 'call_1',
    name: 'get_weather',
    arguments: '{"city":"Paris"}',
    status: 'completed',
    parsed_arguments: null,
  },
];

describe('responses requests: what is accepted, as the engine takes it', () => {
  it('takes a string as one user message, with OpenAI defaults', () => {
    const request = parseResponsesRequest({ model: 'gpt-oss-20b', input: 'Hi' });
    expect(request).toEqual({
      job: {
        ...CHAT_DEFAULTS,
        model: 'gpt-oss-20b',
        messages: [{ role: 'user', content: 'Hi' }],
        stop: [],
        schemaFields: RESPONSES_SCHEMA_FIELDS,
      },
      stream: false,
      store: true,
      metadata: {},
      echo: DEFAULT_ECHO,
      callIdField: expect.any(Function),
    });
  });

  it('maps a whole tool loop, sent back statelessly, to the exact job and echo', () => {
    const request = parseResponsesRequest({
      model: 'gpt-oss-20b',
      instructions: 'Answer in JSON.',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'Weather in Paris?' }] },
        ...calledWeather,
        { type: 'function_call', call_id: 'call_2', name: 'get_weather', arguments: '{"city":"Lyon"}' },
        { type: 'function_call_output', call_id: 'call_1', output: '18C' },
        { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: '20C' }] },
      ],
      tools: [weather, { type: 'function', name: 'get_time', description: 'The time now', parameters: null }],
      tool_choice: { type: 'function', name: 'get_weather' },
      parallel_tool_calls: false,
      text: { format: { type: 'json_schema', name: 'answer', schema: answerSchema, strict: true } },
      reasoning: { effort: 'high', summary: null, context: 'auto' },
      max_output_tokens: 256,
      temperature: 0.5,
      top_p: 0.9,
      metadata: { run: '42' },
      user: 'u-1',
      safety_identifier: 's-1',
      store: false,
      stream: true,
      stream_options: { include_obfuscation: false },
      include: ['file_search_call.results'],
      truncation: 'disabled',
      service_tier: 'auto',
      top_logprobs: 0,
      background: false,
    });
    const tools = [
      { name: 'get_weather', parameters: cityParameters, strict: true },
      { name: 'get_time', description: 'The time now' },
    ];
    const responseFormat = { type: 'json_schema', name: 'answer', schema: answerSchema, strict: true };
    expect(request).toEqual({
      job: {
        ...CHAT_DEFAULTS,
        model: 'gpt-oss-20b',
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          {
            role: 'assistant',
            content: 'Checking.',
            reasoning: 'Need the weather.',
            toolCalls: [
              { id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
              { id: 'call_2', name: 'get_weather', arguments: '{"city":"Lyon"}' },
            ],
          },
          { role: 'tool', toolCallId: 'call_1', name: 'get_weather', content: '18C' },
          { role: 'tool', toolCallId: 'call_2', name: 'get_weather', content: '20C' },
        ],
        reasoningEffort: 'high',
        tools,
        toolChoice: { mode: 'function', name: 'get_weather' },
        parallelToolCalls: false,
        responseFormat,
        maxTokens: 256,
        temperature: 0.5,
        topP: 0.9,
        stop: [],
        schemaFields: RESPONSES_SCHEMA_FIELDS,
      },
      stream: true,
      store: false,
      instructions: 'Answer in JSON.',
      metadata: { run: '42' },
      echo: {
        ...DEFAULT_ECHO,
        instructions: 'Answer in JSON.',
        tools: [
          { type: 'function', name: 'get_weather', description: null, parameters: cityParameters, strict: true },
          { type: 'function', name: 'get_time', description: 'The time now', parameters: null, strict: null },
        ],
        tool_choice: { type: 'function', name: 'get_weather' },
        parallel_tool_calls: false,
        text: { format: responseFormat },
        reasoning: { effort: 'high', summary: null },
        max_output_tokens: 256,
        temperature: 0.5,
        top_p: 0.9,
        metadata: { run: '42' },
        store: false,
        safety_identifier: 's-1',
        user: 'u-1',
      },
      callIdField: expect.any(Function),
    });
  });

  it("takes messages of every role, without a type, as OpenAI's easy messages", () => {
    const { job } = parseResponsesRequest({
      input: [
        { role: 'system', content: 'S' },
        { role: 'developer', content: [{ type: 'input_text', text: 'D' }] },
        { role: 'assistant', content: 'A', phase: 'final_answer' },
        { type: 'message', role: 'user', content: 'U', status: 'completed', id: 'msg_9' },
      ],
    });
    expect(job.messages).toEqual([
      { role: 'system', content: 'S' },
      { role: 'developer', content: 'D' },
      { role: 'assistant', content: 'A' },
      { role: 'user', content: 'U' },
    ]);
  });

  it("reads a reasoning item's summary when it has no content, and joins several items", () => {
    const { job } = parseResponsesRequest({
      input: [
        { role: 'user', content: 'Q' },
        {
          type: 'reasoning',
          summary: [
            { type: 'summary_text', text: 'One.' },
            { type: 'summary_text', text: 'Two.' },
          ],
        },
        { type: 'reasoning', id: 'rs_2', summary: [], content: [{ type: 'reasoning_text', text: 'Three.' }] },
        { role: 'assistant', content: 'A' },
        { role: 'user', content: 'Q2' },
      ],
    });
    expect(job.messages[1]).toEqual({ role: 'assistant', content: 'A', reasoning: 'One.\n\nTwo.\n\nThree.' });
  });

  it('takes reasoning.effort and a json_object format', () => {
    const { job, echo } = parseResponsesRequest({
      input: 'x',
      reasoning: { effort: 'low' },
      text: { format: { type: 'json_object' }, verbosity: null },
    });
    expect([job.reasoningEffort, job.responseFormat]).toEqual(['low', { type: 'json_object' }]);
    expect(echo.text).toEqual({ format: { type: 'json_object' } });
  });

  it('leaves results of calls of a previous response to the caller, who resolves them on the merged history', () => {
    const request = parseResponsesRequest({
      previous_response_id: 'resp_1',
      input: [{ type: 'function_call_output', call_id: 'call_1', output: '18C' }],
    });
    expect(request.previousResponseId).toBe('resp_1');
    expect(request.job.messages).toEqual([{ role: 'tool', toolCallId: 'call_1', name: '', content: '18C' }]);
    const history: ChatMessage[] = [
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{}' }] },
    ];
    const field = (i: number) => request.callIdField(i - history.length);
    expect(resolveToolResults([...history, ...request.job.messages], field, CALLS_BEFORE)[2]).toEqual({
      role: 'tool',
      toolCallId: 'call_1',
      name: 'get_weather',
      content: '18C',
    });
    const unknown = refusal(() => resolveToolResults(request.job.messages, request.callIdField, CALLS_BEFORE), null);
    expect([unknown.field, unknown.message]).toEqual([
      'input[0].call_id',
      'input[0].call_id: "call_1" names no function_call before it (in the input or the previous response)',
    ]);
  });
});

const input = (...items: unknown[]) => ({ input: [{ role: 'user', content: 'Q' }, ...items] });

const ITEMS_REFUSED: Refused[] = [
  {
    name: 'an input item of an unknown type',
    body: input({ type: 'note', text: 'x' }),
    field: 'input[1].type',
    message:
      'input[1].type: unknown input item type "note"; ' +
      'expected "message", "function_call", "function_call_output" or "reasoning"',
  },
  {
    name: "an item of one of OpenAI's built-in tools",
    body: input({ type: 'web_search_call', id: 'ws_1', status: 'completed' }),
    code: 'not_supported',
    field: 'input[1].type',
    message:
      'input[1].type: "web_search_call" items are not supported by this runtime; ' +
      'only message, function_call, function_call_output and reasoning items are',
  },
  {
    name: 'an item reference',
    body: input({ id: 'msg_1' }),
    code: 'not_supported',
    field: 'input[1].type',
    message:
      "input[1].type: item references need OpenAI's stored items, which this runtime does not have; " +
      'send the items themselves, or chain with previous_response_id',
  },
  {
    name: 'an item with neither type nor role',
    body: input({ content: 'x' }),
    field: 'input[1].type',
    message: 'input[1].type: is required',
  },
  {
    name: 'an item that is a string',
    body: input('Q2'),
    field: 'input[1]',
    message:
      'input[1]: must be an input item: {"type": "message", "role": ..., "content": ...}, ' +
      '{"type": "function_call_output", ...}, ...',
  },
  {
    name: 'a message of the tool role',
    body: { input: [{ role: 'tool', content: 'x' }] },
    field: 'input[0].role',
    message: 'input[0].role: unknown role "tool"; expected one of user, assistant, system, developer',
  },
  {
    name: 'an image part',
    body: { input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://x/y.png' }] }] },
    code: 'not_supported',
    field: 'input[0].content[0].type',
    message:
      'input[0].content[0].type: image and file input is not supported by this runtime (gpt-oss reads text only)',
  },
  {
    name: 'a content part of an unknown type',
    body: { input: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }] },
    field: 'input[0].content[0].type',
    message: 'input[0].content[0].type: unknown content part type "text"; expected "input_text" or "output_text"',
  },
  {
    name: 'a function_call_output answering no call',
    body: input(...calledWeather, { type: 'function_call_output', call_id: 'call_x', output: '18C' }),
    field: 'input[4].call_id',
    message: 'input[4].call_id: "call_x" names no function_call before it (in the input or the previous response)',
  },
  {
    name: 'a function_call_output without call_id',
    body: input(...calledWeather, { type: 'function_call_output', output: '18C' }),
    field: 'input[4].call_id',
    message: 'input[4].call_id: is required',
  },
  {
    name: 'two calls of one call_id in a turn',
    body: input(...calledWeather, { ...calledWeather[2], id: 'fc_2' }),
    field: 'input[4].call_id',
    message: 'input[4].call_id: "call_1" is the call_id of another call in this turn',
  },
  {
    name: 'a reasoning item that leads to no assistant item',
    body: input(calledWeather[0], { role: 'user', content: 'Q2' }),
    field: 'input[1]',
    message: 'input[1]: a reasoning item must come right before the assistant message or function_call it led to',
  },
  {
    name: "input ending with the assistant's own call",
    body: input(...calledWeather),
    field: 'input[3]',
    message:
      "input[3]: the last input item must not be the assistant's own (a message, function_call or reasoning): " +
      'end with something to answer',
  },
  {
    name: 'encrypted reasoning',
    body: input(
      { type: 'reasoning', summary: [], encrypted_content: 'gAAAA' },
      { role: 'assistant', content: 'A' },
      {
        role: 'user',
        content: 'Q2',
      },
    ),
    code: 'not_supported',
    field: 'input[1].encrypted_content',
    message:
      'input[1].encrypted_content: encrypted reasoning is not supported by this runtime; ' +
      'send the reasoning in the clear (content)',
  },
  {
    name: 'an empty input list',
    body: { input: [] },
    field: 'input',
    message: 'input: must contain at least one item',
  },
  {
    name: 'no input',
    body: { instructions: 'x' },
    field: 'input',
    message: 'input: is required: a string or a list of items',
  },
  {
    name: 'more input items than the cap',
    body: { input: Array.from({ length: MAX_MESSAGES + 1 }, () => ({ role: 'user', content: 'x' })) },
    field: 'input',
    message: `input: at most ${MAX_MESSAGES} input items per request; got ${MAX_MESSAGES + 1}`,
  },
];

const FIELDS_REFUSED: Refused[] = [
  { name: 'an unknown field', body: { input: 'x', seed: 1 }, field: 'seed', message: 'seed: unknown field' },
  {
    name: "a tool in chat completions' nested shape",
    body: { input: 'x', tools: [{ type: 'function', function: { name: 'f' } }] },
    field: 'tools[0].name',
    message: 'tools[0].name: is required',
  },
  {
    name: 'a malformed tool schema',
    body: { input: 'x', tools: [{ ...weather, parameters: { type: 'object', properties: { city: { type: 7 } } } }] },
    field: 'tools[0].parameters.properties.city.type',
    message:
      'tools[0].parameters.properties.city.type: must be one of ' +
      '"array", "boolean", "integer", "null", "number", "object", "string"',
  },
  {
    name: 'two tools of one name',
    body: { input: 'x', tools: [weather, weather] },
    field: 'tools[1].name',
    message: 'tools[1].name: "get_weather" is already the name of tools[0]; each function needs its own name',
  },
  {
    name: 'a file search tool',
    body: { input: 'x', tools: [{ type: 'file_search', vector_store_ids: ['vs_1'] }] },
    code: 'not_supported',
    field: 'tools[0].type',
    message: 'tools[0].type: "file_search" tools are not supported by this runtime; only "function" tools are',
  },
  {
    name: 'a tool with an output schema',
    body: { input: 'x', tools: [{ ...weather, output_schema: { type: 'string' } }] },
    code: 'not_supported',
    field: 'tools[0].output_schema',
    message: 'tools[0].output_schema: function output schemas are not supported by this runtime',
  },
  {
    name: 'tool_choice naming an unknown function',
    body: { input: 'x', tools: [weather], tool_choice: { type: 'function', name: 'get_time' } },
    field: 'tool_choice.name',
    message: 'tool_choice.name: "get_time" names no function in tools',
  },
  {
    name: "a built-in tool's tool_choice",
    body: { input: 'x', tools: [weather], tool_choice: { type: 'web_search_preview' } },
    code: 'not_supported',
    field: 'tool_choice.type',
    message:
      'tool_choice.type: "web_search_preview" is one of OpenAI\'s built-in tools, which this runtime does not have',
  },
  {
    name: 'a json_schema format without a name',
    body: { input: 'x', text: { format: { type: 'json_schema', schema: answerSchema } } },
    field: 'text.format.name',
    message: 'text.format.name: is required',
  },
  {
    name: 'a json_schema format with a malformed schema',
    body: {
      input: 'x',
      text: { format: { type: 'json_schema', name: 'a', schema: { type: 'object', required: {} } } },
    },
    field: 'text.format.schema.required',
    message: 'text.format.schema.required: must be array',
  },
  {
    name: 'verbosity',
    body: { input: 'x', text: { verbosity: 'low' } },
    code: 'not_supported',
    field: 'text.verbosity',
    message: 'text.verbosity: verbosity is not supported by gpt-oss; ask for the length you want in the prompt',
  },
  {
    name: 'a reasoning effort gpt-oss does not have',
    body: { input: 'x', reasoning: { effort: 'minimal' } },
    field: 'reasoning.effort',
    message: 'reasoning.effort: unknown reasoning effort "minimal"; expected low, medium or high',
  },
  {
    name: 'a reasoning summary',
    body: { input: 'x', reasoning: { effort: 'low', summary: 'auto' } },
    code: 'not_supported',
    field: 'reasoning.summary',
    message:
      'reasoning.summary: reasoning summaries are not supported by this runtime; ' +
      'reasoning items carry the whole chain of thought (content, type reasoning_text)',
  },
  {
    name: 'encrypted reasoning in include',
    body: { input: 'x', include: ['reasoning.encrypted_content'] },
    code: 'not_supported',
    field: 'include[0]',
    message:
      'include[0]: encrypted reasoning is not supported by this runtime; its reasoning items carry the chain of ' +
      'thought in the clear (content), which a client that stores nothing sends back as it is',
  },
  {
    name: 'log probabilities in include',
    body: { input: 'x', include: ['message.output_text.logprobs', 'everything'] },
    code: 'not_supported',
    field: 'include[0]',
    message: 'include[0]: log probabilities are not supported by this runtime',
  },
  {
    name: 'truncation "auto"',
    body: { input: 'x', truncation: 'auto' },
    code: 'not_supported',
    field: 'truncation',
    message:
      'truncation: truncation "auto" is not supported by this runtime: ' +
      'an input that does not fit the context is refused',
  },
  {
    name: 'a background response',
    body: { input: 'x', background: true },
    code: 'not_supported',
    field: 'background',
    message: 'background: background responses are not supported by this runtime; stream the response instead',
  },
  {
    name: 'a conversation',
    body: { input: 'x', conversation: 'conv_1' },
    code: 'not_supported',
    field: 'conversation',
    message:
      'conversation: conversation objects are not supported by this runtime; chain responses with previous_response_id',
  },
  {
    name: 'an empty previous_response_id',
    body: { input: 'x', previous_response_id: '' },
    field: 'previous_response_id',
    message: 'previous_response_id: must not be empty',
  },
  {
    name: 'stream_options without stream',
    body: { input: 'x', stream_options: { include_obfuscation: false } },
    field: 'stream_options',
    message: 'stream_options: only allowed when stream is true',
  },
  {
    name: 'max_output_tokens 0',
    body: { input: 'x', max_output_tokens: 0 },
    field: 'max_output_tokens',
    message: 'max_output_tokens: must be greater than 0',
  },
  {
    name: 'temperature 3',
    body: { input: 'x', temperature: 3 },
    field: 'temperature',
    message: 'temperature: must be between 0 and 2',
  },
];

describe('responses input items: strict, naming the item', () => {
  refusesEach(parseResponsesRequest, ITEMS_REFUSED);
});

describe('responses fields: strict, naming the field', () => {
  refusesEach(parseResponsesRequest, FIELDS_REFUSED);

  it('refuses an unknown include value', () => {
    const error = refusal(parseResponsesRequest, { input: 'x', include: ['everything'] });
    expect([error.code, error.field, error.message]).toEqual([
      'invalid_argument',
      'include[0]',
      'include[0]: unknown include value "everything"',
    ]);
  });
});

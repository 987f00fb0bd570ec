import { describe, expect, it } from 'vitest';
import { CHAT_DEFAULTS, type ChatMessage } from '../../../contract/api/chat.js';
import { MAX_REQUEST_TEXT_BYTES } from '../../../contract/api/limits.js';
import { parseChatRequest, parseCountTokensRequest, resolveToolResults } from '../../../contract/api/requests.js';
import { LEGACY_FUNCTIONS } from '../../../contract/api/unsupported.js';
import { refusal, refusesEach, type Refused } from './refusals.js';

/** Chat Completions' tools, tool_choice, tool calls and results in history, and response_format. */

const user = [{ role: 'user', content: 'Weather in Paris?' }];
const cityParameters = {
  type: 'object',
  properties: { city: { type: 'string', description: 'The city' } },
  required: ['city'],
  additionalProperties: false,
};
const weather = { type: 'function', function: { name: 'get_weather', parameters: cityParameters } };
const time = { type: 'function', function: { name: 'get_time', description: 'The time now' } };
const withParameters = (parameters: unknown) => ({
  messages: user,
  tools: [{ type: 'function', function: { name: 'f', parameters } }],
});
const call = (id: string, name = 'get_weather', args = '{"city":"Paris"}') => ({
  id,
  type: 'function',
  function: { name, arguments: args },
});
/** user, an assistant turn calling get_weather as call_1, and its result. */
const loop = (result: Record<string, unknown> = { role: 'tool', tool_call_id: 'call_1', content: '18C' }) => [
  ...user,
  { role: 'assistant', content: null, tool_calls: [call('call_1')] },
  result,
];

const TOOLS_REFUSED: Refused[] = [
  {
    name: 'a tool schema with an unknown type',
    body: withParameters({ type: 'object', properties: { city: { type: 'strin' } } }),
    field: 'tools[0].function.parameters.properties.city.type',
    message:
      'tools[0].function.parameters.properties.city.type: must be one of ' +
      '"array", "boolean", "integer", "null", "number", "object", "string"',
  },
  {
    name: 'a tool schema whose required is not a list',
    body: withParameters({ type: 'object', required: 'city' }),
    field: 'tools[0].function.parameters.required',
    message: 'tools[0].function.parameters.required: must be array',
  },
  {
    name: 'a tool schema with a bad entry in a type list, named by its index',
    body: withParameters({ type: 'object', properties: { a: { type: ['string', 'nul'] } } }),
    field: 'tools[0].function.parameters.properties.a.type[1]',
    message:
      'tools[0].function.parameters.properties.a.type[1]: must be one of ' +
      '"array", "boolean", "integer", "null", "number", "object", "string"',
  },
  {
    name: 'parameters that are not an object schema',
    body: withParameters({ type: 'string' }),
    field: 'tools[0].function.parameters.type',
    message: 'tools[0].function.parameters.type: must be "object": a function takes its arguments as one JSON object',
  },
  {
    name: 'parameters that are a list',
    body: withParameters([{ type: 'string' }]),
    field: 'tools[0].function.parameters',
    message: 'tools[0].function.parameters: must be a JSON Schema object',
  },
  {
    name: 'a $ref to nothing',
    body: withParameters({ type: 'object', properties: { a: { $ref: '#/$defs/missing' } } }),
    field: 'tools[0].function.parameters.properties.a.$ref',
    message: 'tools[0].function.parameters.properties.a.$ref: "#/$defs/missing" points to nothing in the schema',
  },
  {
    name: 'a $ref to another document',
    body: withParameters({ type: 'object', properties: { a: { $ref: 'https://example.com/a.json' } } }),
    field: 'tools[0].function.parameters.properties.a.$ref',
    message:
      'tools[0].function.parameters.properties.a.$ref: "https://example.com/a.json" points outside the schema; ' +
      'only references inside it (#/$defs/...) are resolved',
  },
  {
    name: 'a pattern that is no regular expression',
    body: withParameters({ type: 'object', properties: { code: { type: 'string', pattern: '(' } } }),
    field: 'tools[0].function.parameters.properties.code.pattern',
    message:
      'tools[0].function.parameters.properties.code.pattern: ' +
      '"(" is not a regular expression (ECMA-262, as JSON Schema\'s)',
  },
  {
    name: 'a JSON Schema dialect this runtime does not read',
    body: withParameters({ $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' }),
    field: 'tools[0].function.parameters.$schema',
    message:
      'tools[0].function.parameters.$schema: "http://json-schema.org/draft-04/schema#" is no JSON Schema dialect ' +
      'this runtime reads; expected draft-07, 2019-09 or 2020-12',
  },
  {
    name: 'a draft-07 tuple in a schema that says it is 2020-12',
    body: withParameters({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { pair: { type: 'array', items: [{ type: 'string' }, { type: 'number' }] } },
    }),
    field: 'tools[0].function.parameters.properties.pair.items',
    message: 'tools[0].function.parameters.properties.pair.items: must be object or boolean',
  },
  {
    name: 'a schema nested deeper than the cap',
    body: withParameters(
      Array.from({ length: 40 }).reduce<Record<string, unknown>>(
        (inner) => ({ type: 'object', properties: { a: inner } }),
        { type: 'string' },
      ),
    ),
    field: 'tools[0].function.parameters',
    message: 'tools[0].function.parameters: nests deeper than 64 levels of objects and lists',
  },
  {
    name: 'two tools of one name',
    body: { messages: user, tools: [weather, time, weather] },
    field: 'tools[2].function.name',
    message: 'tools[2].function.name: "get_weather" is already the name of tools[0]; each function needs its own name',
  },
  {
    name: 'a function name with a space',
    body: { messages: user, tools: [{ type: 'function', function: { name: 'get weather' } }] },
    field: 'tools[0].function.name',
    message: 'tools[0].function.name: must be 1 to 64 letters, digits, underscores or dashes',
  },
  {
    name: 'a function name of 65 characters',
    body: { messages: user, tools: [{ type: 'function', function: { name: 'f'.repeat(65) } }] },
    field: 'tools[0].function.name',
    message: 'tools[0].function.name: must be 1 to 64 letters, digits, underscores or dashes',
  },
  {
    name: 'a function without a name',
    body: { messages: user, tools: [{ type: 'function', function: { description: 'd' } }] },
    field: 'tools[0].function.name',
    message: 'tools[0].function.name: is required',
  },
  {
    name: 'an unknown field of a function',
    body: { messages: user, tools: [{ type: 'function', function: { name: 'f', examples: [] } }] },
    field: 'tools[0].function.examples',
    message: 'tools[0].function.examples: unknown field',
  },
  {
    name: 'a custom tool',
    body: { messages: user, tools: [weather, { type: 'custom', custom: { name: 'sh' } }] },
    code: 'not_supported',
    field: 'tools[1].type',
    message: 'tools[1].type: "custom" tools are not supported by this runtime; only "function" tools are',
  },
  {
    name: 'a web search tool',
    body: { messages: user, tools: [{ type: 'web_search' }] },
    code: 'not_supported',
    field: 'tools[0].type',
    message: 'tools[0].type: "web_search" tools are not supported by this runtime; only "function" tools are',
  },
  {
    name: 'a tool of an unknown type',
    body: { messages: user, tools: [{ type: 'retrieval' }] },
    field: 'tools[0].type',
    message: 'tools[0].type: unknown tool type "retrieval"; expected "function"',
  },
  {
    name: 'a tool that is a string',
    body: { messages: user, tools: ['get_weather'] },
    field: 'tools[0]',
    message: 'tools[0]: must be {"type": "function", ...}',
  },
  {
    name: 'more tools than OpenAI takes',
    body: {
      messages: user,
      tools: Array.from({ length: 129 }, (_, i) => ({ type: 'function', function: { name: `f${i}` } })),
    },
    field: 'tools',
    message: 'tools: takes at most 128 tools',
  },
  {
    name: 'tools whose text is over the cap',
    body: {
      messages: user,
      tools: [{ type: 'function', function: { name: 'f', description: 'd'.repeat(MAX_REQUEST_TEXT_BYTES) } }],
    },
    field: 'tools',
    // the user's 17 bytes, the description and the 62 bytes of JSON around it
    message:
      `tools: the request's text is ${MAX_REQUEST_TEXT_BYTES + 79} bytes (UTF-8); ` +
      'at most 1048576 bytes per request',
  },
];

const CHOICE_REFUSED: Refused[] = [
  {
    name: 'tool_choice naming an unknown function',
    body: { messages: user, tools: [weather], tool_choice: { type: 'function', function: { name: 'get_time' } } },
    field: 'tool_choice.function.name',
    message: 'tool_choice.function.name: "get_time" names no function in tools',
  },
  {
    name: 'tool_choice "required" without tools',
    body: { messages: user, tools: [], tool_choice: 'required' },
    field: 'tool_choice',
    message: 'tool_choice: "required" needs tools to choose from; give tools, or leave tool_choice out',
  },
  {
    name: 'an unknown tool_choice',
    body: { messages: user, tools: [weather], tool_choice: 'any' },
    field: 'tool_choice',
    message: 'tool_choice: unknown choice "any"; expected "auto", "none", "required" or a function',
  },
  {
    name: 'tool_choice allowed_tools',
    body: {
      messages: user,
      tools: [weather],
      tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [] } },
    },
    code: 'not_supported',
    field: 'tool_choice.type',
    message:
      'tool_choice.type: allowed_tools is not supported by this runtime; send only the tools the model may call, ' +
      'with tool_choice "auto" or "required"',
  },
  {
    name: "tool_choice in the Responses API's flat shape",
    body: { messages: user, tools: [weather], tool_choice: { type: 'function', name: 'get_weather' } },
    field: 'tool_choice.function',
    message: 'tool_choice.function: must be {"name": ...}',
  },
  {
    name: 'parallel_tool_calls that is not a boolean',
    body: { messages: user, tools: [weather], parallel_tool_calls: 'yes' },
    field: 'parallel_tool_calls',
    message: 'parallel_tool_calls: must be true or false',
  },
];

const HISTORY_REFUSED: Refused[] = [
  {
    name: 'a tool message without tool_call_id',
    body: { messages: loop({ role: 'tool', content: '18C' }) },
    field: 'messages[2].tool_call_id',
    message: 'messages[2].tool_call_id: is required on a tool message: the id of the call it answers',
  },
  {
    name: 'a tool message answering an unknown call',
    body: { messages: loop({ role: 'tool', tool_call_id: 'call_x', content: '18C' }) },
    field: 'messages[2].tool_call_id',
    message: 'messages[2].tool_call_id: "call_x" names no tool call of an earlier assistant message',
  },
  {
    name: 'a tool message before the call it answers',
    body: {
      messages: [
        ...user,
        { role: 'tool', tool_call_id: 'call_1', content: '18C' },
        { role: 'assistant', tool_calls: [call('call_1')] },
        ...user,
      ],
    },
    field: 'messages[1].tool_call_id',
    message: 'messages[1].tool_call_id: "call_1" names no tool call of an earlier assistant message',
  },
  {
    name: 'a tool message naming another function than the call',
    body: { messages: loop({ role: 'tool', tool_call_id: 'call_1', name: 'get_time', content: '18C' }) },
    field: 'messages[2].name',
    message: 'messages[2].name: "get_time" is not the function that call "call_1" called ("get_weather")',
  },
  {
    name: 'tool_call_id on a user message',
    body: { messages: [{ role: 'user', content: 'x', tool_call_id: 'call_1' }] },
    field: 'messages[0].tool_call_id',
    message: 'messages[0].tool_call_id: only tool messages (role "tool") answer a call',
  },
  {
    name: 'tool calls on a user message',
    body: { messages: [{ role: 'user', content: 'x', tool_calls: [call('call_1')] }] },
    field: 'messages[0].tool_calls',
    message: 'messages[0].tool_calls: only assistant messages make tool calls',
  },
  {
    name: 'arguments sent as an object',
    body: {
      messages: [
        ...user,
        { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: {} } }] },
        ...user,
      ],
    },
    field: 'messages[1].tool_calls[0].function.arguments',
    message:
      'messages[1].tool_calls[0].function.arguments: ' +
      'must be a string: the arguments as JSON text, as OpenAI sends them',
  },
  {
    name: 'two calls of one id in one message',
    body: { messages: [...user, { role: 'assistant', tool_calls: [call('call_1'), call('call_1')] }, ...user] },
    field: 'messages[1].tool_calls[1].id',
    message: 'messages[1].tool_calls[1].id: "call_1" is the id of another call in this message',
  },
  {
    name: 'a call with an empty id',
    body: { messages: [...user, { role: 'assistant', tool_calls: [call('')] }, ...user] },
    field: 'messages[1].tool_calls[0].id',
    message: 'messages[1].tool_calls[0].id: must not be empty',
  },
  {
    name: 'a custom tool call',
    body: {
      messages: [
        ...user,
        { role: 'assistant', tool_calls: [{ id: 'c', type: 'custom', custom: { name: 'sh', input: 'ls' } }] },
        ...user,
      ],
    },
    code: 'not_supported',
    field: 'messages[1].tool_calls[0].type',
    message: 'messages[1].tool_calls[0].type: custom (free-form) tool calls are not supported by this runtime',
  },
  {
    name: 'reasoning and reasoning_content that differ',
    body: { messages: [...user, { role: 'assistant', content: 'a', reasoning: 'x', reasoning_content: 'y' }, ...user] },
    field: 'messages[1].reasoning',
    message:
      'messages[1].reasoning: reasoning and reasoning_content are two names of one text; give either, or both the same',
  },
  {
    name: 'reasoning (the newer name) on a user message',
    body: { messages: [{ role: 'user', content: 'x', reasoning: 'hmm' }] },
    field: 'messages[0].reasoning',
    message: 'messages[0].reasoning: only assistant messages carry reasoning',
  },
  {
    name: 'a function message (deprecated by OpenAI)',
    body: { messages: [...user, { role: 'function', name: 'get_weather', content: '18C' }] },
    code: 'not_supported',
    field: 'messages[1].role',
    message: `messages[1].role: ${LEGACY_FUNCTIONS}`,
  },
  {
    name: "an assistant's function_call (deprecated by OpenAI)",
    body: {
      messages: [...user, { role: 'assistant', function_call: { name: 'f', arguments: '{}' } }, ...user],
    },
    code: 'not_supported',
    field: 'messages[1].function_call',
    message: `messages[1].function_call: ${LEGACY_FUNCTIONS}`,
  },
  {
    name: 'a conversation ending with the tool calls, unanswered',
    body: { messages: [...user, { role: 'assistant', tool_calls: [call('call_1')] }] },
    field: 'messages[1].role',
    message: 'messages[1].role: the last message must not be from the assistant',
  },
];

const jsonSchemaFormat = (jsonSchema: Record<string, unknown>) => ({
  messages: user,
  response_format: { type: 'json_schema', json_schema: jsonSchema },
});

const FORMAT_REFUSED: Refused[] = [
  {
    name: 'a response format schema with a bad keyword value',
    body: jsonSchemaFormat({
      name: 'answer',
      schema: { type: 'object', properties: { n: { type: 'number', minimum: 'zero' } } },
    }),
    field: 'response_format.json_schema.schema.properties.n.minimum',
    message: 'response_format.json_schema.schema.properties.n.minimum: must be number',
  },
  {
    name: 'a json_schema format without its schema',
    body: jsonSchemaFormat({ name: 'answer' }),
    field: 'response_format.json_schema.schema',
    message:
      'response_format.json_schema.schema: is required: the JSON Schema the answer must match ' +
      '(for any JSON object, use type "json_object")',
  },
  {
    name: 'a json_schema format with a bad name',
    body: jsonSchemaFormat({ name: 'my answer', schema: { type: 'object' } }),
    field: 'response_format.json_schema.name',
    message: 'response_format.json_schema.name: must be 1 to 64 letters, digits, underscores or dashes',
  },
  {
    name: 'a json_schema format in the flat shape of the Responses API',
    body: { messages: user, response_format: { type: 'json_schema', name: 'a', schema: { type: 'object' } } },
    field: 'response_format.json_schema',
    message: 'response_format.json_schema: must be {"name": ..., "schema": ...}',
  },
  {
    name: 'an unknown response format type',
    body: { messages: user, response_format: { type: 'grammar', grammar: 'root ::= "a"' } },
    field: 'response_format.type',
    message: 'response_format.type: unknown format type "grammar"; expected "text", "json_object" or "json_schema"',
  },
  {
    name: 'a schema on json_object',
    body: { messages: user, response_format: { type: 'json_object', schema: {} } },
    field: 'response_format.schema',
    message: 'response_format.schema: unknown field',
  },
];

const METADATA_REFUSED: Refused[] = [
  {
    name: 'metadata of 17 pairs',
    body: { messages: user, metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) },
    field: 'metadata',
    message: 'metadata: takes at most 16 pairs; got 17',
  },
  {
    name: 'a metadata value that is not a string',
    body: { messages: user, metadata: { k: 1 } },
    field: 'metadata.k',
    message: 'metadata.k: must be a string',
  },
  {
    name: 'a metadata key of 65 characters',
    body: { messages: user, metadata: { ['k'.repeat(65)]: 'v' } },
    field: 'metadata',
    message: 'metadata: keys must be at most 64 characters',
  },
];

describe('chat tools: definitions, checked as OpenAI defines them', () => {
  refusesEach(parseChatRequest, TOOLS_REFUSED);
});
describe('chat tool_choice and parallel_tool_calls', () => {
  refusesEach(parseChatRequest, CHOICE_REFUSED);
});
describe('chat history with tool calls and their results', () => {
  refusesEach(parseChatRequest, HISTORY_REFUSED);
});
describe('chat response_format', () => {
  refusesEach(parseChatRequest, FORMAT_REFUSED);
});
describe('chat metadata', () => {
  refusesEach(parseChatRequest, METADATA_REFUSED);
});

describe('chat tool calling: what is accepted, as the engine takes it', () => {
  const answerSchema = {
    type: 'object',
    properties: { summary: { type: 'string' }, celsius: { type: ['number', 'null'] } },
    required: ['summary', 'celsius'],
    additionalProperties: false,
  };

  it('maps a whole tool loop to the exact job', () => {
    const { job } = parseChatRequest({
      model: 'gpt-oss-20b',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather and time in Paris?' },
        {
          role: 'assistant',
          content: null,
          reasoning_content: 'Need both.',
          reasoning: 'Need both.',
          refusal: null,
          annotations: [],
          tool_calls: [call('call_1'), call('call_2', 'get_time', '{}')],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '18C' },
        { role: 'tool', tool_call_id: 'call_2', name: 'get_time', content: [{ type: 'text', text: '12:00' }] },
      ],
      tools: [weather, time],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'answer', description: 'The answer', schema: answerSchema, strict: true },
      },
      functions: [],
      function_call: 'none',
    });
    expect(job).toEqual({
      ...CHAT_DEFAULTS,
      model: 'gpt-oss-20b',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather and time in Paris?' },
        {
          role: 'assistant',
          content: '',
          reasoning: 'Need both.',
          toolCalls: [
            { id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
            { id: 'call_2', name: 'get_time', arguments: '{}' },
          ],
        },
        { role: 'tool', toolCallId: 'call_1', name: 'get_weather', content: '18C' },
        { role: 'tool', toolCallId: 'call_2', name: 'get_time', content: '12:00' },
      ],
      tools: [
        { name: 'get_weather', parameters: cityParameters },
        { name: 'get_time', description: 'The time now' },
      ],
      toolChoice: { mode: 'function', name: 'get_weather' },
      parallelToolCalls: false,
      responseFormat: {
        type: 'json_schema',
        name: 'answer',
        description: 'The answer',
        schema: answerSchema,
        strict: true,
      },
      stop: [],
    });
  });

  it('keeps arguments that are not valid JSON as written: it is what the model wrote', () => {
    const { job } = parseChatRequest({
      tools: [weather],
      messages: loop({ role: 'tool', tool_call_id: 'call_1', content: 'error: invalid JSON' }).map((m, i) =>
        i === 1 ? { role: 'assistant', tool_calls: [call('call_1', 'get_weather', '{"city": Par')] } : m,
      ),
    });
    expect(job.messages[1]).toEqual({
      role: 'assistant',
      content: '',
      toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city": Par' }],
    });
  });

  it('answers the latest call of an id reused across turns', () => {
    const { job } = parseChatRequest({
      messages: [
        ...loop({ role: 'tool', tool_call_id: 'call_0', content: '18C' }).map((m, i) =>
          i === 1 ? { role: 'assistant', tool_calls: [call('call_0')] } : m,
        ),
        { role: 'assistant', content: 'It is 18C.' },
        { role: 'user', content: 'And the time?' },
        { role: 'assistant', tool_calls: [call('call_0', 'get_time', '{}')] },
        { role: 'tool', tool_call_id: 'call_0', content: '12:00' },
      ],
    });
    expect(job.messages.filter((m) => m.role === 'tool').map((m) => m.role === 'tool' && m.name)).toEqual([
      'get_weather',
      'get_time',
    ]);
  });

  it('takes each tool_choice mode, and "none" or null without tools', () => {
    const choice = (tool_choice: unknown, tools: unknown[] = [weather]) =>
      parseChatRequest({ messages: user, tools, tool_choice }).job.toolChoice;
    expect(choice('auto')).toEqual({ mode: 'auto' });
    expect(choice('none')).toEqual({ mode: 'none' });
    expect(choice('required')).toEqual({ mode: 'required' });
    expect(choice('none', [])).toEqual({ mode: 'none' });
    expect(choice(null, [])).toEqual({ mode: 'auto' });
    expect(parseChatRequest({ messages: user, tools: [weather] }).job).toMatchObject({
      toolChoice: { mode: 'auto' },
      parallelToolCalls: true,
    });
  });

  it('takes each response format; json_schema strict defaults to false as OpenAI', () => {
    const format = (response_format: unknown) =>
      parseChatRequest({ messages: user, response_format }).job.responseFormat;
    expect(format({ type: 'text' })).toEqual({ type: 'text' });
    expect(format(null)).toEqual({ type: 'text' });
    expect(format({ type: 'json_object' })).toEqual({ type: 'json_object' });
    expect(format({ type: 'json_schema', json_schema: { name: 'a-b_1', schema: { type: 'string' } } })).toEqual({
      type: 'json_schema',
      name: 'a-b_1',
      schema: { type: 'string' },
      strict: false,
    });
  });

  it("takes back what the openai SDK's parse helpers add to an answer, and reads the text itself", () => {
    const sdkCall = { ...call('call_1'), function: { ...call('call_1').function, parsed_arguments: { city: 'Rome' } } };
    const { job } = parseChatRequest({
      messages: loop().map((m, i) =>
        i === 1 ? { role: 'assistant', content: null, parsed: null, tool_calls: [sdkCall] } : m,
      ),
    });
    expect(job.messages[1]).toEqual({
      role: 'assistant',
      content: '',
      toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
    });
  });

  it('takes metadata, and does not put it in the job', () => {
    const { job } = parseChatRequest({ messages: user, metadata: { team: 'search', run: '42' } });
    expect(job).not.toHaveProperty('metadata');
  });
});

describe('JSON Schemas as clients write them', () => {
  const accepts = (parameters: Record<string, unknown>) =>
    expect(parseChatRequest(withParameters(parameters)).job.tools[0]!.parameters).toEqual(parameters);

  it('takes the features harmony renders: descriptions, defaults, enums, lists, nullables, nesting, unions', () => {
    accepts({
      type: 'object',
      properties: {
        unit: { type: 'string', enum: ['c', 'f'], default: 'c', description: 'Unit' },
        days: { type: 'array', items: { type: 'integer', minimum: 1 } },
        note: { type: ['string', 'null'] },
        where: { type: 'object', properties: { lat: { type: 'number' } }, required: ['lat'] },
        either: { anyOf: [{ type: 'string' }, { type: 'number' }] },
        one: { oneOf: [{ const: 'a' }, { const: 'b' }] },
        $ref: { type: 'string', description: 'a property named $ref is a property, not a reference' },
      },
    });
  });

  it('takes local references: $defs, definitions and the root', () => {
    accepts({
      type: 'object',
      $defs: { city: { type: 'string' } },
      definitions: { 'a/b': { type: 'number' } },
      properties: { a: { $ref: '#/$defs/city' }, b: { $ref: '#/definitions/a~1b' }, self: { $ref: '#' } },
    });
  });

  it("takes draft-07's tuples without $schema, and each dialect named by $schema", () => {
    accepts({ type: 'object', properties: { pair: { type: 'array', items: [{ type: 'string' }] } } });
    accepts({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', definitions: {} });
    accepts({ $schema: 'https://json-schema.org/draft/2019-09/schema', type: 'object' });
    accepts({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      prefixItems: [{ type: 'string' }],
    });
  });

  it('takes parameters without a type, or empty; none at all is no parameters', () => {
    accepts({ properties: { q: { type: 'string' } } });
    accepts({});
    const { job } = parseChatRequest({ messages: user, tools: [{ type: 'function', function: { name: 'f' } }] });
    expect(job.tools).toEqual([{ name: 'f' }]);
  });
});

describe('resolveToolResults', () => {
  const messages: ChatMessage[] = [
    { role: 'user', content: 'x' },
    { role: 'assistant', content: '', toolCalls: [{ id: 'a', name: 'f', arguments: '{}' }] },
    { role: 'tool', toolCallId: 'a', name: '', content: 'r' },
  ];

  it('fills in the function each result answers, and leaves the list as it was', () => {
    const resolved = resolveToolResults(messages, (i) => `messages[${i}].tool_call_id`);
    expect(resolved[2]).toEqual({ role: 'tool', toolCallId: 'a', name: 'f', content: 'r' });
    expect(messages[2]).toEqual({ role: 'tool', toolCallId: 'a', name: '', content: 'r' });
  });

  it('names the field and what a call is where it is, for an unknown id', () => {
    const unknown: ChatMessage[] = [...messages, { role: 'tool', toolCallId: 'b', name: '', content: 'r' }];
    const error = refusal(() => resolveToolResults(unknown, (i) => `input[${i + 4}].call_id`, 'call'), null);
    expect([error.field, error.message]).toEqual(['input[7].call_id', 'input[7].call_id: "b" names no call']);
  });
});

describe('CountTokens with tools and a response format (they change the prompt)', () => {
  it('counts them with the messages', () => {
    expect(
      parseCountTokensRequest({ messages: user, tools: [weather], response_format: { type: 'json_object' } }),
    ).toEqual({
      kind: 'chat',
      job: {
        model: '',
        messages: user,
        reasoningEffort: undefined,
        tools: [{ name: 'get_weather', parameters: cityParameters }],
        responseFormat: { type: 'json_object' },
      },
    });
  });

  it('refuses them with a raw prompt, and a bad tool as chat does', () => {
    const withPrompt = refusal(parseCountTokensRequest, { prompt: 'x', tools: [weather] });
    expect([withPrompt.field, withPrompt.message]).toEqual([
      'tools',
      'tools: only counted with messages; a raw prompt is counted as it is',
    ]);
    const bad = refusal(parseCountTokensRequest, { messages: user, tools: [weather, weather] });
    expect(bad.field).toBe('tools[1].function.name');
    const choice = refusal(parseCountTokensRequest, { messages: user, tools: [weather], tool_choice: 'auto' });
    expect([choice.field, choice.message]).toEqual(['tool_choice', 'tool_choice: unknown field']);
  });
});

import fc from 'fast-check';
import { anyText, text } from './fuzzValues.js';

/**
 * Valid tool calling and structured output for the fuzz tests' bodies: function tools of distinct
 * names with schemas of the kinds harmony renders, a tool_choice among them, response formats, and
 * an assistant turn that called a function with its result, in both APIs' shapes.
 */

export const FUNCTION_NAMES = ['get_weather', 'get_time', 'search-docs', 'f_1'];

export const PARAMETERS = [
  {},
  { type: 'object', properties: { city: { type: 'string', description: 'The city' } }, required: ['city'] },
  {
    type: 'object',
    properties: {
      unit: { type: 'string', enum: ['c', 'f'], default: 'c' },
      days: { type: 'array', items: { type: 'integer', minimum: 1 } },
    },
  },
  {
    type: 'object',
    properties: { note: { type: ['string', 'null'] }, at: { anyOf: [{ type: 'string' }, { $ref: '#/$defs/p' }] } },
    $defs: { p: { type: 'object', properties: { x: { type: 'number' } } } },
    additionalProperties: false,
  },
];

export const ANSWER_SCHEMA = {
  type: 'object',
  properties: { answer: { type: 'string' }, confidence: { type: 'number' } },
  required: ['answer'],
};

interface Definition {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
  strict?: boolean;
}

const definition = (name: string): fc.Arbitrary<Definition> =>
  fc.record(
    { name: fc.constant(name), description: text, parameters: fc.constantFrom(...PARAMETERS), strict: fc.boolean() },
    { requiredKeys: ['name'] },
  );

/** Up to three function definitions, no name twice. */
const definitions = fc
  .subarray(FUNCTION_NAMES, { maxLength: 3 })
  .chain((names) => fc.tuple(...names.map(definition)).map((defs): Definition[] => defs));

const choice = (names: string[], named: (name: string) => unknown) =>
  names.length
    ? fc.oneof(fc.constantFrom('auto', 'none', 'required'), fc.constantFrom(...names).map(named))
    : fc.constant('none');

/** tools, tool_choice and parallel_tool_calls of a chat request (the definition nested under `function`). */
export const chatToolFields = definitions.chain((defs) =>
  fc.record(
    {
      tools: fc.constant(defs.map((d) => ({ type: 'function', function: d }))),
      tool_choice: choice(
        defs.map((d) => d.name),
        (name) => ({ type: 'function', function: { name } }),
      ),
      parallel_tool_calls: fc.boolean(),
    },
    { requiredKeys: ['tools'] },
  ),
);

/** tools, tool_choice and parallel_tool_calls of a Responses request (flat definitions). */
export const responsesToolFields = definitions.chain((defs) =>
  fc.record(
    {
      tools: fc.constant(defs.map((d) => ({ type: 'function', ...d }))),
      tool_choice: choice(
        defs.map((d) => d.name),
        (name) => ({ type: 'function', name }),
      ),
      parallel_tool_calls: fc.boolean(),
    },
    { requiredKeys: ['tools'] },
  ),
);

const FORMATS = ['text', 'json_object', 'json_schema'] as const;

export const chatResponseFormat = fc
  .constantFrom(...FORMATS)
  .map((type) =>
    type === 'json_schema' ? { type, json_schema: { name: 'answer', schema: ANSWER_SCHEMA, strict: true } } : { type },
  );

export const responsesTextFormat = fc
  .constantFrom(...FORMATS)
  .map((type) => (type === 'json_schema' ? { type, name: 'answer', schema: ANSWER_SCHEMA, strict: true } : { type }));

/** A call as the model might have written it: arguments valid JSON or not (kept as written either way). */
const pastCall = fc.record({
  id: fc.constantFrom('call_1', 'call_2', 'c'),
  name: fc.constantFrom(...FUNCTION_NAMES),
  args: fc.constantFrom('{}', '{"city":"Paris"}', '{"city": Par'),
  reasoning: text,
  result: anyText,
});

/** An assistant message that called a function, and the tool message with its result. */
export const chatToolTurn = pastCall.map(({ id, name, args, reasoning, result }) => [
  {
    role: 'assistant',
    content: null,
    reasoning_content: reasoning,
    tool_calls: [{ id, type: 'function', function: { name, arguments: args } }],
  },
  { role: 'tool', tool_call_id: id, content: result },
]);

/** The same turn as Responses items: reasoning, the function_call, and its output. */
export const responsesToolTurn = pastCall.map(({ id, name, args, reasoning, result }) => [
  { type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text: reasoning }] },
  { type: 'function_call', call_id: id, name, arguments: args, status: 'completed' },
  { type: 'function_call_output', call_id: id, output: result },
]);

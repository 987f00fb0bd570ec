import fc from 'fast-check';
import { CHAT_ROLES } from '../../../contract/api/requests.js';
import { anyText, near, oddValue, setAt, text, type Body, type Mutation } from './fuzzValues.js';
import {
  chatResponseFormat,
  chatToolFields,
  chatToolTurn,
  responsesTextFormat,
  responsesToolFields,
  responsesToolTurn,
} from './toolArbitraries.js';

export { deepNesting, oddValue } from './fuzzValues.js';

/**
 * Generated request bodies for the fuzz tests: arbitrary JSON, and near-valid bodies: a valid
 * request with up to two mutations (a field set to the wrong type, a huge number, odd unicode, deep
 * nesting; an unknown field added; a field OpenAI knows and this runtime refuses; a field removed).
 * Two in five stay valid, kept short (max_tokens 1 to 4), so that a server under fuzz spends its time
 * on requests, not on generating. Valid chat and Responses bodies offer tools, choose among them,
 * ask for structured output and carry earlier tool calls with their results.
 */

const contentPart = fc.record({ type: fc.constant('text'), text: anyText });

const messageOf = (role: fc.Arbitrary<string>) =>
  fc.record(
    {
      role,
      content: fc.oneof(text, fc.array(contentPart, { minLength: 1, maxLength: 3 })),
      reasoning_content: fc.constant(null),
    },
    { requiredKeys: ['role', 'content'] },
  );

/** Earlier turns of any role, then a user message. */
const plainConversation = fc
  .tuple(fc.array(messageOf(fc.constantFrom(...CHAT_ROLES)), { maxLength: 3 }), messageOf(fc.constant('user')))
  .map(([earlier, last]) => [...earlier, last]);

/** A valid conversation: plain, or ending with a function's result. */
const conversation = fc.oneof(
  { arbitrary: plainConversation, weight: 3 },
  { arbitrary: fc.tuple(plainConversation, chatToolTurn).map(([plain, turn]) => [...plain, ...turn]), weight: 1 },
);

const stop = fc.oneof(text, fc.array(text, { maxLength: 4 }));

/** Valid sampling fields, each present or not. */
const SAMPLING = {
  model: fc.constantFrom('', '', 'gpt-oss-tiny-scripted-seed1', 'gpt-oss-tiny-seed1'),
  max_tokens: fc.integer({ min: 1, max: 4 }),
  temperature: fc.double({ min: 0, max: 2, noNaN: true }),
  top_p: fc.double({ min: 0.01, max: 1, noNaN: true }),
  seed: fc.nat(),
  stop,
  top_k: fc.nat({ max: 200 }),
  min_p: fc.double({ min: 0, max: 1, noNaN: true }),
  repeat_penalty: fc.double({ min: 0.5, max: 2, noNaN: true }),
  presence_penalty: fc.double({ min: -2, max: 2, noNaN: true }),
  frequency_penalty: fc.double({ min: -2, max: 2, noNaN: true }),
  user: anyText,
  n: fc.constant(1),
};

/** Tools offered in one request in three, with their choice. */
const withTools = <T extends Body>(valid: fc.Arbitrary<T>, tools: fc.Arbitrary<Body>) =>
  fc
    .tuple(valid, fc.oneof({ arbitrary: fc.constant({}), weight: 2 }, { arbitrary: tools, weight: 1 }))
    .map(([body, toolFields]) => ({ ...body, ...toolFields }));

const validChat = withTools(
  fc
    .record(
      {
        ...SAMPLING,
        messages: conversation,
        reasoning_effort: fc.constantFrom('low', 'medium', 'high'),
        stream: fc.boolean(),
        response_format: chatResponseFormat,
      },
      { requiredKeys: ['messages', 'max_tokens'] },
    )
    .map((body) => (body.stream ? { ...body, stream_options: { include_usage: true } } : body)),
  chatToolFields,
);

const validCompletion = fc.record(
  { ...SAMPLING, prompt: text, stream: fc.boolean() },
  { requiredKeys: ['prompt', 'max_tokens'] },
);

const validCount = fc.oneof(
  fc.record({ model: SAMPLING.model, prompt: text }, { requiredKeys: ['prompt'] }),
  withTools(
    fc.record(
      {
        model: SAMPLING.model,
        messages: conversation,
        reasoning_effort: fc.constantFrom('low', 'high'),
        response_format: chatResponseFormat,
      },
      { requiredKeys: ['messages'] },
    ),
    chatToolFields.map(({ tools }) => ({ tools })),
  ),
);

const inputMessage = (role: fc.Arbitrary<string>) =>
  fc.record({
    role,
    content: fc.oneof(text, fc.array(fc.record({ type: fc.constant('input_text'), text: anyText }), { maxLength: 2 })),
  });

/** A string, or messages ending with a user's or with a function's result. */
const responsesInput = fc.oneof(
  text,
  fc
    .tuple(
      fc.array(inputMessage(fc.constantFrom('system', 'developer', 'user', 'assistant')), { maxLength: 2 }),
      inputMessage(fc.constant('user')),
      fc.option(responsesToolTurn, { nil: [] }),
    )
    .map(([earlier, last, turn]) => [...earlier, last, ...turn]),
);

const validResponses = withTools(
  fc.record(
    {
      model: SAMPLING.model,
      input: responsesInput,
      instructions: text,
      reasoning: fc.record({ effort: fc.constantFrom('low', 'medium', 'high') }),
      text: fc.record({ format: responsesTextFormat }),
      max_output_tokens: fc.integer({ min: 1, max: 4 }),
      temperature: SAMPLING.temperature,
      top_p: SAMPLING.top_p,
      stream: fc.boolean(),
      // a runtime under fuzz keeps nothing
      store: fc.constant(false),
      metadata: fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
      user: anyText,
    },
    { requiredKeys: ['input', 'max_output_tokens', 'store'] },
  ),
  responsesToolFields,
);

/** The same mutations in both shapes of a tool: the definition nested under `function` (chat) or flat. */
const toolMutation = (definition: Array<string | number>) =>
  fc.oneof(
    setAt(fc.constantFrom('name', 'parameters', 'description', 'strict', 'type').map((f) => [...definition, f])),
    setAt(
      fc
        .constantFrom('properties', 'required', '$ref', 'type', 'items', 'pattern')
        .map((f) => [...definition, 'parameters', f]),
      fc.oneof(oddValue, fc.constantFrom('#/$defs/none', 'http://x/s.json', '(', 'strin', ['a'])),
    ),
  );

const FIELDS = [
  ...Object.keys(SAMPLING),
  'messages',
  'prompt',
  'reasoning_effort',
  'stream',
  'stream_options',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'metadata',
];
const MESSAGE_FIELDS = ['role', 'content', 'reasoning_content', 'reasoning', 'name', 'tool_calls', 'tool_call_id'];
const REFUSED_FIELDS = ['n', 'logprobs', 'logit_bias', 'echo', 'suffix', 'functions', 'function_call', 'store'];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  setAt(fc.constantFrom(...FIELDS).map((f) => [f])),
  setAt(
    fc.tuple(fc.nat({ max: 5 }), fc.constantFrom(...MESSAGE_FIELDS)).map(([i, f]) => ['messages', i, f]),
    fc.oneof(oddValue, fc.constantFrom('tool', 'robot', 'assistant', 'function', 'call_1', 'call_x')),
  ),
  setAt(
    fc.nat({ max: 3 }).map((i) => ['messages', i, 'content', 0]),
    fc.oneof(oddValue, fc.record({ type: fc.constantFrom('image_url', 'input_audio', 'video', '') })),
  ),
  setAt(fc.constantFrom('id', 'type', 'function').map((f) => ['messages', 4, 'tool_calls', 0, f])),
  toolMutation(['tools', 0, 'function']),
  setAt(fc.constantFrom('name', 'schema', 'strict').map((f) => ['response_format', 'json_schema', f])),
  setAt(
    fc.constantFrom(...REFUSED_FIELDS).map((f) => [f]),
    fc.oneof(oddValue, fc.constant(2)),
  ),
  setAt(fc.string({ maxLength: 12 }).map((f) => [f])),
  fc.record({ path: fc.constantFrom('messages', 'prompt', 'model').map((f) => [f]), remove: fc.constant(true) }),
);

const RESPONSES_FIELDS = [
  'model',
  'input',
  'instructions',
  'reasoning',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'text',
  'max_output_tokens',
  'temperature',
  'top_p',
  'stream',
  'stream_options',
  'store',
  'metadata',
  'include',
  'previous_response_id',
];
const ITEM_FIELDS = ['type', 'role', 'content', 'call_id', 'name', 'arguments', 'output', 'summary', 'status'];
const RESPONSES_REFUSED = ['background', 'truncation', 'conversation', 'prompt', 'top_logprobs', 'service_tier'];

const responsesMutation: fc.Arbitrary<Mutation> = fc.oneof(
  setAt(fc.constantFrom(...RESPONSES_FIELDS).map((f) => [f])),
  setAt(
    fc.tuple(fc.nat({ max: 5 }), fc.constantFrom(...ITEM_FIELDS)).map(([i, f]) => ['input', i, f]),
    fc.oneof(
      oddValue,
      fc.constantFrom('message', 'function_call', 'function_call_output', 'reasoning', 'web_search_call', 'tool'),
    ),
  ),
  setAt(
    fc.nat({ max: 5 }).map((i) => ['input', i, 'content', 0]),
    fc.oneof(oddValue, fc.record({ type: fc.constantFrom('input_image', 'output_text', 'refusal', 'text') })),
  ),
  toolMutation(['tools', 0]),
  setAt(fc.constantFrom('type', 'name', 'schema').map((f) => ['text', 'format', f])),
  setAt(
    fc.constantFrom(...RESPONSES_REFUSED).map((f) => [f]),
    fc.oneof(oddValue, fc.constantFrom(true, 'auto', 'conv_1')),
  ),
  setAt(fc.string({ maxLength: 12 }).map((f) => [f])),
  fc.record({ path: fc.constantFrom('input', 'model').map((f) => [f]), remove: fc.constant(true) }),
);

/** Near a valid /v1/chat/completions body (or ChatRequest). */
export const nearChatBody = near(validChat, mutation);
/** Near a valid /v1/completions body (or GenerateRequest). */
export const nearCompletionBody = near(validCompletion, mutation);
/** Near a valid CountTokensRequest. */
export const nearCountBody = near(validCount, mutation);
/** Near a valid POST /v1/responses body. */
export const nearResponsesBody = near(validResponses, responsesMutation);

/** Anything a client might send as a body: arbitrary JSON, or near a request of any kind. */
export const anyBody: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.anything({ maxDepth: 2 }),
  oddValue,
  nearChatBody,
  nearCompletionBody,
  nearCountBody,
  nearResponsesBody,
);

/** GPTOSS_FUZZ_SCALE=10 (an environment variable) runs ten times as many cases: a longer hunt than the unit lane's. */
export const FUZZ_SCALE = Math.max(0.01, Number(process.env.GPTOSS_FUZZ_SCALE ?? 1) || 1);
/** How many runs at this scale. */
export const runs = (n: number) => Math.max(1, Math.round(n * FUZZ_SCALE));
/** A test's time limit at this scale. */
export const fuzzTimeoutMs = (ms: number) => Math.round(ms * Math.max(1, FUZZ_SCALE));

import fc from 'fast-check';
import { CHAT_ROLES } from '../../../contract/api/requests.js';

/**
 * Generated request bodies for the fuzz tests: arbitrary JSON, and near-valid bodies: a valid
 * request with up to two mutations (a field set to the wrong type, a huge number, odd unicode, deep
 * nesting; an unknown field added; a field OpenAI knows and this runtime refuses; a field removed).
 * Two in five stay valid, kept short (max_tokens 1 to 4), so that a server under fuzz spends its time
 * on requests, not on generating.
 */

function nested(depth: number, asArrays: boolean): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = asArrays ? [value] : { a: value };
  return value;
}

/**
 * `[[[...]]]` and `{"a":{"a":...}}`, 100 to 20,000 deep: built once, as fast-check's map() walks
 * what it returns and would take milliseconds per deep value.
 */
export const deepNesting = fc.constantFrom(
  ...[100, 1000, 5000, 20_000].flatMap((depth) => [nested(depth, true), nested(depth, false)]),
);

/** Text of every kind: ASCII, graphemes, lone surrogates and control characters, harmony's markers. */
const anyText = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(' ', '\u0000', '\uFFFF', '\uD800', 'é', '😀', '<|start|>assistant<|channel|>final', 'analysis'),
);
const text = anyText.filter((t) => t.length > 0);

/** Values of every kind a field might wrongly hold. */
export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -0, 1, -1, 0.5, 1e308, -1e308, 2 ** 53 + 2, 2 ** 31, -(2 ** 31), 5e-324),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  fc.integer(),
  fc.double(),
  anyText,
  fc.constantFrom([], {}, [''], [null], { type: 'text' }, { type: 'image_url' }),
  fc.jsonValue({ maxDepth: 2 }),
  deepNesting,
);

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

/** A valid conversation: earlier turns of any role, then a user message. */
const conversation = fc
  .tuple(fc.array(messageOf(fc.constantFrom(...CHAT_ROLES)), { maxLength: 3 }), messageOf(fc.constant('user')))
  .map(([earlier, last]) => [...earlier, last]);

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

const validChat = fc
  .record(
    {
      ...SAMPLING,
      messages: conversation,
      reasoning_effort: fc.constantFrom('low', 'medium', 'high'),
      stream: fc.boolean(),
      tools: fc.constant([]),
    },
    { requiredKeys: ['messages', 'max_tokens'] },
  )
  .map((body) => (body.stream ? { ...body, stream_options: { include_usage: true } } : body));

const validCompletion = fc.record(
  { ...SAMPLING, prompt: text, stream: fc.boolean() },
  { requiredKeys: ['prompt', 'max_tokens'] },
);

const validCount = fc.oneof(
  fc.record({ model: SAMPLING.model, prompt: text }, { requiredKeys: ['prompt'] }),
  fc.record(
    { model: SAMPLING.model, messages: conversation, reasoning_effort: fc.constantFrom('low', 'high') },
    { requiredKeys: ['messages'] },
  ),
);

type Body = Record<string, unknown>;

/** One change to a body at a path (["messages", 0, "role"]): a value set, or the field removed. */
interface Mutation {
  path: Array<string | number>;
  value?: unknown;
  remove?: boolean;
}

/** The body with the mutation applied, copying each level it changes (generated values stay as they were). */
function mutated(body: unknown, { path, value, remove }: Mutation): unknown {
  const [key, ...rest] = path;
  if (key === undefined) return value;
  const copy: Body | unknown[] = Array.isArray(body)
    ? [...(body as unknown[])]
    : typeof body === 'object' && body !== null
      ? { ...(body as Body) }
      : {};
  const container = copy as Record<string | number, unknown>;
  if (rest.length === 0 && remove) delete container[key];
  else container[key] = mutated(container[key], { path: rest, value, remove });
  return copy;
}

const FIELDS = [...Object.keys(SAMPLING), 'messages', 'prompt', 'reasoning_effort', 'stream', 'stream_options'];
const MESSAGE_FIELDS = ['role', 'content', 'reasoning_content', 'name', 'tool_calls'];
const REFUSED_FIELDS = ['tools', 'tool_choice', 'n', 'logprobs', 'response_format', 'logit_bias', 'echo', 'suffix'];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ path: fc.constantFrom(...FIELDS).map((f) => [f]), value: oddValue }),
  fc.record({
    path: fc.tuple(fc.nat({ max: 3 }), fc.constantFrom(...MESSAGE_FIELDS)).map(([i, f]) => ['messages', i, f]),
    value: fc.oneof(oddValue, fc.constantFrom('tool', 'robot', 'assistant')),
  }),
  fc.record({
    path: fc.nat({ max: 3 }).map((i) => ['messages', i, 'content', 0]),
    value: fc.oneof(oddValue, fc.record({ type: fc.constantFrom('image_url', 'input_audio', 'video', '') })),
  }),
  fc.record({ path: fc.constantFrom(...REFUSED_FIELDS).map((f) => [f]), value: fc.oneof(oddValue, fc.constant(2)) }),
  fc.record({
    path: fc.string({ maxLength: 12 }).map((f) => [f]),
    value: oddValue,
  }),
  fc.record({ path: fc.constantFrom('messages', 'prompt', 'model').map((f) => [f]), remove: fc.constant(true) }),
);

const near = (valid: fc.Arbitrary<Body>) =>
  fc
    .tuple(
      valid,
      fc.oneof(
        { arbitrary: fc.constant([]), weight: 2 },
        { arbitrary: fc.array(mutation, { minLength: 1, maxLength: 2 }), weight: 3 },
      ),
    )
    .map(([body, changes]) => changes.reduce<unknown>((changed, change) => mutated(changed, change), body));

/** Near a valid /v1/chat/completions body (or ChatRequest). */
export const nearChatBody = near(validChat);
/** Near a valid /v1/completions body (or GenerateRequest). */
export const nearCompletionBody = near(validCompletion);
/** Near a valid CountTokensRequest. */
export const nearCountBody = near(validCount);

/** Anything a client might send as a body: arbitrary JSON, or near a request of any kind. */
export const anyBody: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.anything({ maxDepth: 2 }),
  oddValue,
  nearChatBody,
  nearCompletionBody,
  nearCountBody,
);

/** GPTOSS_FUZZ_SCALE=10 (an environment variable) runs ten times as many cases: a longer hunt than the unit lane's. */
export const FUZZ_SCALE = Math.max(0.01, Number(process.env.GPTOSS_FUZZ_SCALE ?? 1) || 1);
/** How many runs at this scale. */
export const runs = (n: number) => Math.max(1, Math.round(n * FUZZ_SCALE));
/** A test's time limit at this scale. */
export const fuzzTimeoutMs = (ms: number) => Math.round(ms * Math.max(1, FUZZ_SCALE));

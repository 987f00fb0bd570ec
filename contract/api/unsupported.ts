import { z } from 'zod';

/**
 * OpenAI request fields this runtime knows but does not implement. Each is refused as not_supported,
 * naming the field, unless its value asks for nothing: null, false, an empty list or object, or the
 * field's own default (n = 1, response_format {"type": "text"}, ...). Clients written for OpenAI send
 * those defaults; refusing them would break the client without protecting anyone.
 */

export const TOOLS_NOT_SUPPORTED =
  'tool calling is not supported yet by this runtime (it is planned); send messages without tools';

/** An issue refused as not_supported (UNIMPLEMENTED / 400) rather than invalid_argument. */
export const NOT_SUPPORTED = { notSupported: true } as const;

interface Unsupported {
  why: string;
  /** A value of the field's own that asks for nothing (besides null, false, [] and {}). */
  neutral?: (value: unknown) => boolean;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const asksNothing = (value: unknown) =>
  value === undefined ||
  value === null ||
  value === false ||
  (Array.isArray(value) && value.length === 0) ||
  (isPlainObject(value) && Object.keys(value).length === 0);

/** A field that is refused unless it asks for nothing. */
export const unsupportedField = ({ why, neutral }: Unsupported) =>
  z
    .unknown()
    .superRefine((value, ctx) => {
      if (asksNothing(value) || neutral?.(value)) return;
      ctx.addIssue({ code: 'custom', message: why, params: NOT_SUPPORTED });
    })
    .optional();

const unsupportedFields = (table: Record<string, Unsupported>) =>
  Object.fromEntries(Object.entries(table).map(([name, entry]) => [name, unsupportedField(entry)]));

const tools = { why: TOOLS_NOT_SUPPORTED };
/** tool_choice and function_call "none": call no tool, which is what happens anyway. */
const toolChoice = { why: TOOLS_NOT_SUPPORTED, neutral: (value: unknown) => value === 'none' };
const oneChoice = { why: 'only n = 1 is supported', neutral: (value: unknown) => value === 1 };
const logprobs = { why: 'log probabilities are not supported by this runtime' };
const logitBias = { why: 'logit_bias is not supported by this runtime' };
const storage = { why: 'this runtime stores no completions' };
const promptCache = {
  why: 'prompt caching is automatic here (each slot keeps its last prompt prefix); it takes no cache options',
};

/** Known OpenAI fields of /v1/chat/completions that this runtime refuses. */
export const CHAT_UNSUPPORTED_FIELDS = unsupportedFields({
  tools,
  tool_choice: toolChoice,
  parallel_tool_calls: tools,
  functions: tools,
  function_call: toolChoice,
  n: oneChoice,
  logprobs,
  top_logprobs: { ...logprobs, neutral: (value) => value === 0 },
  logit_bias: logitBias,
  response_format: {
    why: 'structured output (response_format) is not supported by this runtime',
    neutral: (value) => isPlainObject(value) && value.type === 'text' && Object.keys(value).length === 1,
  },
  audio: { why: 'audio output is not supported by this runtime' },
  modalities: {
    why: 'this runtime answers in text only',
    neutral: (value) => Array.isArray(value) && value.every((m) => m === 'text'),
  },
  prediction: { why: 'predicted outputs are not supported by this runtime' },
  web_search_options: { why: 'web search is not supported by this runtime' },
  service_tier: {
    why: 'this runtime has one service tier',
    neutral: (value) => value === 'auto' || value === 'default',
  },
  store: storage,
  metadata: storage,
  prompt_cache_key: promptCache,
  prompt_cache_retention: promptCache,
  prompt_cache_options: promptCache,
  verbosity: { why: 'verbosity is not supported by gpt-oss; ask for the length you want in the prompt' },
  moderation: { why: 'this runtime does no moderation' },
});

/** Known OpenAI fields of /v1/completions that this runtime refuses. */
export const COMPLETION_UNSUPPORTED_FIELDS = unsupportedFields({
  n: oneChoice,
  best_of: { why: 'only best_of = 1 is supported', neutral: (value) => value === 1 },
  echo: { why: 'echo is not supported by this runtime' },
  suffix: { why: 'suffix (insertion) is not supported by this runtime', neutral: (value) => value === '' },
  logprobs,
  logit_bias: logitBias,
});

/** Known OpenAI fields of a chat message that this runtime refuses. */
export const MESSAGE_UNSUPPORTED_FIELDS = unsupportedFields({
  name: { why: 'participant names are not supported by this runtime; put the name in the content' },
  tool_calls: tools,
  tool_call_id: tools,
  function_call: tools,
  audio: { why: 'audio is not supported by this runtime' },
  refusal: { why: 'refusal messages are not supported by this runtime' },
});

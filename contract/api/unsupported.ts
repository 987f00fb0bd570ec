import * as z from 'zod';
import { isPlainObject } from './wire.js';

/**
 * OpenAI request fields this runtime knows but does not implement. Each is refused as not_supported,
 * naming the field, unless its value asks for nothing: null, false, an empty list or object, or the
 * field's own default (n = 1, service_tier "auto", ...). Clients written for OpenAI send those
 * defaults; refusing them would break the client without protecting anyone.
 */

/** An issue refused as not_supported (UNIMPLEMENTED / 400) rather than invalid_argument. */
export const NOT_SUPPORTED = { notSupported: true } as const;

export const LEGACY_FUNCTIONS =
  'OpenAI\'s deprecated function calling (functions, function_call, role "function") is not supported by this ' +
  'runtime; send tools, and answer tool_calls with role "tool" messages naming their tool_call_id';

interface Unsupported {
  why: string;
  /** A value of the field's own that asks for nothing (besides null, false, [] and {}). */
  neutral?: (value: unknown) => boolean;
}

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

const legacy = { why: LEGACY_FUNCTIONS };
const oneChoice = { why: 'only n = 1 is supported', neutral: (value: unknown) => value === 1 };
const logprobs = { why: 'log probabilities are not supported by this runtime' };
const topLogprobs = { ...logprobs, neutral: (value: unknown) => value === 0 };
const logitBias = { why: 'logit_bias is not supported by this runtime' };
const promptCache = {
  why: 'prompt caching is automatic here (each slot keeps its last prompt prefix); it takes no cache options',
};
const serviceTier = {
  why: 'this runtime has one service tier',
  neutral: (value: unknown) => value === 'auto' || value === 'default',
};
const verbosity = { why: 'verbosity is not supported by gpt-oss; ask for the length you want in the prompt' };
const moderation = { why: 'this runtime does no moderation' };

/** Known OpenAI fields of /v1/chat/completions that this runtime refuses. */
export const CHAT_UNSUPPORTED_FIELDS = unsupportedFields({
  functions: legacy,
  /** "none": call no function, which is what happens without functions. */
  function_call: { ...legacy, neutral: (value) => value === 'none' },
  n: oneChoice,
  logprobs,
  top_logprobs: topLogprobs,
  logit_bias: logitBias,
  audio: { why: 'audio output is not supported by this runtime' },
  modalities: {
    why: 'this runtime answers in text only',
    neutral: (value) => Array.isArray(value) && value.every((m) => m === 'text'),
  },
  prediction: { why: 'predicted outputs are not supported by this runtime' },
  web_search_options: { why: 'web search is not supported by this runtime' },
  service_tier: serviceTier,
  store: { why: 'this runtime stores no completions' },
  prompt_cache_key: promptCache,
  prompt_cache_retention: promptCache,
  prompt_cache_options: promptCache,
  verbosity,
  moderation,
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
  function_call: legacy,
  audio: { why: 'audio is not supported by this runtime' },
  refusal: { why: 'refusal messages are not supported by this runtime' },
  /** What OpenAI's answers carry (web search citations), so a client sending a message back may send it. */
  annotations: { why: 'annotations (citations) are not supported by this runtime' },
});

/** Known OpenAI fields of POST /v1/responses that this runtime refuses. */
export const RESPONSES_UNSUPPORTED_FIELDS = unsupportedFields({
  background: { why: 'background responses are not supported by this runtime; stream the response instead' },
  context_management: { why: 'context management (compaction) is not supported by this runtime' },
  conversation: {
    why: 'conversation objects are not supported by this runtime; chain responses with previous_response_id',
  },
  prompt: { why: 'prompt templates are not supported by this runtime; send instructions and input' },
  prompt_cache_key: promptCache,
  prompt_cache_retention: promptCache,
  prompt_cache_options: promptCache,
  service_tier: serviceTier,
  top_logprobs: topLogprobs,
  moderation,
  truncation: {
    why: 'truncation "auto" is not supported by this runtime: an input that does not fit the context is refused',
    neutral: (value) => value === 'disabled',
  },
});

/** Known fields of the Responses API's `reasoning` that this runtime refuses. */
export const REASONING_UNSUPPORTED_FIELDS = unsupportedFields({
  summary: {
    why:
      'reasoning summaries are not supported by this runtime; reasoning items carry the whole chain of thought ' +
      '(content, type reasoning_text)',
  },
  generate_summary: { why: 'reasoning summaries are not supported by this runtime' },
  /** gpt-oss keeps the chain of thought within a turn and drops it after a final answer (harmony's rule). */
  context: {
    why: 'gpt-oss drops earlier turns\' reasoning (harmony\'s rule); only "auto" and "current_turn" are supported',
    neutral: (value) => value === 'auto' || value === 'current_turn',
  },
  mode: { why: 'only the "standard" reasoning mode is supported', neutral: (value) => value === 'standard' },
});

export const TEXT_UNSUPPORTED_FIELDS = unsupportedFields({ verbosity });

import * as z from 'zod';
import { CHAT_DEFAULTS, type ChatJob, type ChatPrompt, type GenerateJob, type Sampling } from './chat.js';
import { oneOf } from '../errors.js';
import { REASONING_EFFORTS, type ReasoningEffort } from '../models.js';
import { chatMessagesOf } from './chatMessages.js';
import { invalidArgument } from './errors.js';
import { parseWith, requireObject } from './issues.js';
import { MAX_MESSAGES, quoted } from './limits.js';
import { messageSchema } from './messages.js';
import { chatResponseFormat } from './responseFormat.js';
import { MAX_COMPLETION_TOKENS_FIELD, SAMPLING_FIELDS } from './sampling.js';
import { checkTextSize, jsonTexts, messageTexts } from './textSize.js';
import { toolChoiceOf } from './toolChoice.js';
import { chatTools, toolList } from './tools.js';
import { CHAT_UNSUPPORTED_FIELDS, COMPLETION_UNSUPPORTED_FIELDS, unsupportedField } from './unsupported.js';
import { metadataSchema, optionalBoolean, optionalString } from './wire.js';

export { CHAT_ROLES, type ChatRole } from './messages.js';
export { resolveToolResults } from './toolResults.js';
export type * from './chat.js';

/**
 * Requests as both APIs carry them (the proto and OpenAI's JSON share snake_case field names), so one
 * strict schema validates gRPC and HTTP alike and names the field at fault the same way in both. A
 * field this runtime does not know is refused, naming it; a known OpenAI field it does not implement
 * is refused as not_supported (unsupported.ts). The proto carries a subset of these fields, so a gRPC
 * request can only ever hold fields the schema knows.
 */

/** How an OpenAI endpoint answers: whole, or streamed as server-sent events (usage last, if asked). */
export interface Delivery {
  stream: boolean;
  includeUsage: boolean;
}

/** What CountTokens counts: chat messages as Chat renders them, or a raw prompt. */
export type CountTokensJob = { kind: 'chat'; job: ChatPrompt } | { kind: 'text'; model: string; prompt: string };

export const reasoningEffort = z
  .string({ error: 'must be a string' })
  .nullish()
  .superRefine((effort, ctx) => {
    if (effort && !(REASONING_EFFORTS as readonly string[]).includes(effort)) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown reasoning effort ${quoted(effort)}; expected ${oneOf(REASONING_EFFORTS)}`,
      });
    }
  });

const messages = z
  .array(messageSchema, { error: 'is required and must be a list' })
  .min(1, 'must contain at least one message');

/** OpenAI's streaming switches; not on the proto, whose generating calls always stream. */
const STREAM_FIELDS = {
  stream: optionalBoolean,
  stream_options: z
    .strictObject(
      {
        include_usage: optionalBoolean,
        include_obfuscation: unsupportedField({ why: 'stream obfuscation is not supported by this runtime' }),
      },
      { error: 'must be an object' },
    )
    .nullish(),
};

/** End-user identifiers OpenAI takes for abuse monitoring: accepted, and neither used nor logged. */
export const IDENTITY_FIELDS = { user: optionalString, safety_identifier: optionalString };

/** What changes the prompt besides the messages: the functions offered and the answer's format. */
const PROMPT_FIELDS = { tools: toolList, response_format: z.unknown().optional() };

const chatSchema = z.strictObject({
  model: optionalString,
  messages,
  reasoning_effort: reasoningEffort,
  ...PROMPT_FIELDS,
  tool_choice: z.unknown().optional(),
  parallel_tool_calls: optionalBoolean,
  ...SAMPLING_FIELDS,
  ...MAX_COMPLETION_TOKENS_FIELD,
  ...STREAM_FIELDS,
  ...IDENTITY_FIELDS,
  /** Tags of a stored completion; nothing is stored here, so they ask for nothing (and are not logged). */
  metadata: metadataSchema.nullish(),
  ...CHAT_UNSUPPORTED_FIELDS,
});

const prompt = z
  .string({
    error: (issue) => (Array.isArray(issue.input) ? 'give one prompt as a string' : 'is required and must be a string'),
  })
  .min(1, 'must not be empty');

const generateSchema = z.strictObject({
  model: optionalString,
  prompt,
  ...SAMPLING_FIELDS,
  ...STREAM_FIELDS,
  ...IDENTITY_FIELDS,
  ...COMPLETION_UNSUPPORTED_FIELDS,
});

const countTokensSchema = z.strictObject({
  model: optionalString,
  prompt: optionalString,
  messages: z.array(messageSchema, { error: 'must be a list' }).nullish(),
  reasoning_effort: reasoningEffort,
  ...PROMPT_FIELDS,
});

type SamplingWire = { [K in keyof typeof SAMPLING_FIELDS]?: z.output<(typeof SAMPLING_FIELDS)[K]> };
type StreamWire = { [K in keyof typeof STREAM_FIELDS]?: z.output<(typeof STREAM_FIELDS)[K]> };

/** Checked before the schema runs, so a flood of messages costs one comparison. */
export function checkListLength(body: unknown, field: string, what: string): void {
  const list = requireObject(body)[field];
  if (Array.isArray(list) && list.length > MAX_MESSAGES) {
    throw invalidArgument(field, `${field}: at most ${MAX_MESSAGES} ${what} per request; got ${list.length}`);
  }
}

function samplingOf(body: SamplingWire): Sampling {
  return {
    maxTokens: body.max_tokens ?? undefined,
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    seed: body.seed ?? undefined,
    stop: body.stop ?? [],
    topK: body.top_k ?? undefined,
    minP: body.min_p ?? undefined,
    repeatPenalty: body.repeat_penalty ?? undefined,
    presencePenalty: body.presence_penalty ?? undefined,
    frequencyPenalty: body.frequency_penalty ?? undefined,
  };
}

function deliveryOf(body: StreamWire): Delivery {
  const stream = body.stream === true;
  if (body.stream_options && !stream) {
    throw invalidArgument('stream_options', 'stream_options: only allowed when stream is true');
  }
  return { stream, includeUsage: body.stream_options?.include_usage === true };
}

/** max_completion_tokens is OpenAI's newer name of max_tokens: one of them, or both agreeing. */
function maxTokensOf(body: { max_tokens?: number | null; max_completion_tokens?: number | null }) {
  const old = body.max_tokens ?? undefined;
  const current = body.max_completion_tokens ?? undefined;
  if (old !== undefined && current !== undefined && old !== current) {
    throw invalidArgument(
      'max_completion_tokens',
      'max_completion_tokens: give max_tokens or max_completion_tokens (its newer name), not both',
    );
  }
  return current ?? old ?? undefined;
}

type PromptWire = z.output<typeof countTokensSchema> & { messages: z.output<typeof messages> };

/** Everything of a chat request that shapes the prompt, read and checked, with the text cap over all of it. */
function chatPromptOf(parsed: PromptWire, stop: readonly string[] = []): ChatPrompt {
  const chatMessages = chatMessagesOf(parsed.messages);
  const tools = chatTools(parsed.tools);
  const responseFormat = chatResponseFormat(parsed.response_format);
  checkTextSize([
    ['messages', [...messageTexts(chatMessages), ...stop]],
    ['tools', jsonTexts(parsed.tools ?? undefined)],
    ['response_format', jsonTexts(responseFormat.type === 'json_schema' ? responseFormat : undefined)],
  ]);
  return {
    model: parsed.model ?? '',
    messages: chatMessages,
    reasoningEffort: (parsed.reasoning_effort ?? undefined) as ReasoningEffort | undefined,
    tools,
    responseFormat,
  };
}

export function parseChatRequest(body: unknown): { job: ChatJob; delivery: Delivery } {
  checkListLength(body, 'messages', 'messages');
  const parsed = parseWith(chatSchema, body);
  const chatPrompt = chatPromptOf(parsed, parsed.stop ?? []);
  const job: ChatJob = {
    ...CHAT_DEFAULTS,
    ...samplingOf(parsed),
    maxTokens: maxTokensOf(parsed),
    ...chatPrompt,
    toolChoice: toolChoiceOf(parsed.tool_choice, chatPrompt.tools, 'chat'),
    parallelToolCalls: parsed.parallel_tool_calls ?? CHAT_DEFAULTS.parallelToolCalls,
  };
  return { job, delivery: deliveryOf(parsed) };
}

export function parseGenerateRequest(body: unknown): { job: GenerateJob; delivery: Delivery } {
  const parsed = parseWith(generateSchema, body);
  checkTextSize([['prompt', [parsed.prompt, ...(parsed.stop ?? [])]]]);
  const job: GenerateJob = { ...samplingOf(parsed), model: parsed.model ?? '', prompt: parsed.prompt };
  return { job, delivery: deliveryOf(parsed) };
}

export function parseCountTokensRequest(body: unknown): CountTokensJob {
  checkListLength(body, 'messages', 'messages');
  const parsed = parseWith(countTokensSchema, body);
  if (parsed.messages?.length) {
    if (parsed.prompt) throw invalidArgument('prompt', 'prompt: give a prompt or messages to count, not both');
    return { kind: 'chat', job: chatPromptOf({ ...parsed, messages: parsed.messages }) };
  }
  if (!parsed.prompt) throw invalidArgument('prompt', 'prompt: give a prompt or messages to count');
  for (const field of ['tools', 'response_format'] as const) {
    if (parsed[field] !== undefined && parsed[field] !== null) {
      throw invalidArgument(field, `${field}: only counted with messages; a raw prompt is counted as it is`);
    }
  }
  checkTextSize([['prompt', [parsed.prompt]]]);
  return { kind: 'text', model: parsed.model ?? '', prompt: parsed.prompt };
}

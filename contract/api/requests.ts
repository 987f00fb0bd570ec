import { z } from 'zod';
import {
  CHAT_DEFAULTS,
  type ChatJob,
  type ChatMessage,
  type ChatPrompt,
  type GenerateJob,
  type Sampling,
} from './chat.js';
import { oneOf } from '../errors.js';
import { REASONING_EFFORTS, type ReasoningEffort } from '../models.js';
import { invalidArgument } from './errors.js';
import { MAX_MESSAGES, MAX_REQUEST_TEXT_BYTES, quoted } from './limits.js';
import { messageSchema, messageText, type ChatRole, type WireMessage } from './messages.js';
import { MAX_COMPLETION_TOKENS_FIELD, SAMPLING_FIELDS } from './sampling.js';
import { CHAT_UNSUPPORTED_FIELDS, COMPLETION_UNSUPPORTED_FIELDS, unsupportedField } from './unsupported.js';
import { parseWith, requireObject } from './issues.js';

export { CHAT_ROLES, type ChatRole } from './messages.js';
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

const optionalString = z.string({ error: 'must be a string' }).nullish();

const reasoningEffort = z
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
  stream: z.boolean({ error: 'must be true or false' }).nullish(),
  stream_options: z
    .strictObject(
      {
        include_usage: z.boolean({ error: 'must be true or false' }).nullish(),
        include_obfuscation: unsupportedField({ why: 'stream obfuscation is not supported by this runtime' }),
      },
      { error: 'must be an object' },
    )
    .nullish(),
};

/** End-user identifiers OpenAI takes for abuse monitoring: accepted, and neither used nor logged. */
const IDENTITY_FIELDS = { user: optionalString, safety_identifier: optionalString };

const chatSchema = z.strictObject({
  model: optionalString,
  messages,
  reasoning_effort: reasoningEffort,
  ...SAMPLING_FIELDS,
  ...MAX_COMPLETION_TOKENS_FIELD,
  ...STREAM_FIELDS,
  ...IDENTITY_FIELDS,
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
});

type SamplingWire = { [K in keyof typeof SAMPLING_FIELDS]?: z.output<(typeof SAMPLING_FIELDS)[K]> };
type StreamWire = { [K in keyof typeof STREAM_FIELDS]?: z.output<(typeof STREAM_FIELDS)[K]> };

/** Checked before the schema runs, so a flood of messages costs one comparison. */
function checkMessageCount(body: unknown): void {
  const list = requireObject(body).messages;
  if (Array.isArray(list) && list.length > MAX_MESSAGES) {
    throw invalidArgument('messages', `messages: at most ${MAX_MESSAGES} messages per request; got ${list.length}`);
  }
}

function checkTextSize(field: string, texts: readonly string[]): void {
  const bytes = texts.reduce((sum, text) => sum + Buffer.byteLength(text, 'utf8'), 0);
  if (bytes > MAX_REQUEST_TEXT_BYTES) {
    throw invalidArgument(
      field,
      `${field}: the request's text is ${bytes} bytes (UTF-8); at most ${MAX_REQUEST_TEXT_BYTES} bytes per request`,
    );
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

/** The messages as the engine takes them; the conversation must end with something to answer. */
function chatMessagesOf(wire: WireMessage[]): ChatMessage[] {
  const list = wire.map((m, i): ChatMessage => {
    if (m.reasoning_content !== null && m.reasoning_content !== undefined && m.role !== 'assistant') {
      const field = `messages[${i}].reasoning_content`;
      throw invalidArgument(field, `${field}: only assistant messages carry reasoning`);
    }
    const content = messageText(m);
    if (m.role === 'assistant')
      return { role: 'assistant', content, ...(m.reasoning_content ? { reasoning: m.reasoning_content } : {}) };
    return { role: m.role as Exclude<ChatRole, 'assistant'>, content };
  });
  const last = list.length - 1;
  if (list[last]!.role === 'assistant') {
    throw invalidArgument(
      `messages[${last}].role`,
      `messages[${last}].role: the last message must not be from the assistant`,
    );
  }
  return list;
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

export function parseChatRequest(body: unknown): { job: ChatJob; delivery: Delivery } {
  checkMessageCount(body);
  const parsed = parseWith(chatSchema, body);
  const chatMessages = chatMessagesOf(parsed.messages);
  const stop = parsed.stop ?? [];
  checkTextSize('messages', [...chatMessages.map((m) => m.content), ...stop]);
  const job: ChatJob = {
    ...CHAT_DEFAULTS,
    ...samplingOf(parsed),
    maxTokens: maxTokensOf(parsed),
    model: parsed.model ?? '',
    messages: chatMessages,
    reasoningEffort: (parsed.reasoning_effort ?? undefined) as ReasoningEffort | undefined,
  };
  return { job, delivery: deliveryOf(parsed) };
}

export function parseGenerateRequest(body: unknown): { job: GenerateJob; delivery: Delivery } {
  const parsed = parseWith(generateSchema, body);
  checkTextSize('prompt', [parsed.prompt, ...(parsed.stop ?? [])]);
  const job: GenerateJob = { ...samplingOf(parsed), model: parsed.model ?? '', prompt: parsed.prompt };
  return { job, delivery: deliveryOf(parsed) };
}

export function parseCountTokensRequest(body: unknown): CountTokensJob {
  checkMessageCount(body);
  const parsed = parseWith(countTokensSchema, body);
  const modelName = parsed.model ?? '';
  if (parsed.messages?.length) {
    if (parsed.prompt) throw invalidArgument('prompt', 'prompt: give a prompt or messages to count, not both');
    const chatMessages = chatMessagesOf(parsed.messages);
    checkTextSize(
      'messages',
      chatMessages.map((m) => m.content),
    );
    const reasoning = (parsed.reasoning_effort ?? undefined) as ReasoningEffort | undefined;
    const { tools, responseFormat } = CHAT_DEFAULTS;
    return {
      kind: 'chat',
      job: { model: modelName, messages: chatMessages, reasoningEffort: reasoning, tools, responseFormat },
    };
  }
  if (!parsed.prompt) throw invalidArgument('prompt', 'prompt: give a prompt or messages to count');
  checkTextSize('prompt', [parsed.prompt]);
  return { kind: 'text', model: modelName, prompt: parsed.prompt };
}

import { openAiErrorBody, type ApiError } from '../../../contract/api/errors.js';
import { isPlainObject } from '../../../contract/api/wire.js';
import type { ReasoningEffort } from '../../../contract/models.js';
import type { TokenUsage } from '../../types.js';
import { readEvent, writeEvent } from './sse.js';

type Body = Record<string, unknown>;

/** What one streamed event tells the gateway. */
export interface EventFacts {
  /** The request's usage, if this event carries it. */
  usage?: TokenUsage;
  /** The event carries nothing but the usage (Chat and Completions' last chunk): left out if the client did not ask. */
  usageOnly?: boolean;
  /** The Responses API's sequence_number of the event. */
  sequence?: number;
}

/** How an OpenAI endpoint carries what the gateway reads and writes; the rest of a request passes untouched. */
export interface EndpointShape {
  /** Where a request asks for its reasoning effort; undefined for raw completions, which have none. */
  effort?: { asked(body: Body): unknown; set(body: Body, effort: ReasoningEffort): Body };
  /** Chat and Completions stream their usage only when `stream_options.include_usage` asks for it. */
  usageAskedInStream: boolean;
  usageOfAnswer(answer: unknown): TokenUsage | null;
  inspect(event: Buffer): EventFacts;
  /** The event that ends a stream cut short, in the endpoint's own streamed error shape. */
  streamError(error: ApiError, lastSequence: number | undefined): Buffer;
}

const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0);
const objectOr = (value: unknown): Body => (isPlainObject(value) ? value : {});

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Chat and Completions' usage: completion_tokens includes the reasoning, which the details count. */
function completionUsage(usage: unknown): TokenUsage | null {
  if (!isPlainObject(usage)) return null;
  return {
    promptTokens: count(usage.prompt_tokens),
    completionTokens: count(usage.completion_tokens),
    reasoningTokens: count(objectOr(usage.completion_tokens_details).reasoning_tokens),
  };
}

/** The Responses API's usage: input and output tokens, the reasoning counted in output_tokens_details. */
function responseUsage(usage: unknown): TokenUsage | null {
  if (!isPlainObject(usage)) return null;
  return {
    promptTokens: count(usage.input_tokens),
    completionTokens: count(usage.output_tokens),
    reasoningTokens: count(objectOr(usage.output_tokens_details).reasoning_tokens),
  };
}

/** Chat and Completions' chunks: the usage rides alone in the last one, with no choices. */
function completionChunkFacts(event: Buffer): EventFacts {
  // a cheap look first: only the usage chunk has the key (text inside strings has its quotes escaped)
  if (!event.includes('"usage":')) return {};
  const chunk = objectOr(parsed(readEvent(event).data));
  const usage = completionUsage(chunk.usage);
  if (!usage) return {};
  return { usage, usageOnly: Array.isArray(chunk.choices) && chunk.choices.length === 0 };
}

const completionStreamError = (error: ApiError) => writeEvent(openAiErrorBody(error));

const chat: EndpointShape = {
  effort: {
    asked: (body) => body.reasoning_effort,
    set: (body, effort) => ({ ...body, reasoning_effort: effort }),
  },
  usageAskedInStream: true,
  usageOfAnswer: (answer) => completionUsage(objectOr(answer).usage),
  inspect: completionChunkFacts,
  streamError: completionStreamError,
};

const completions: EndpointShape = {
  usageAskedInStream: true,
  usageOfAnswer: (answer) => completionUsage(objectOr(answer).usage),
  inspect: completionChunkFacts,
  streamError: completionStreamError,
};

/** A `reasoning` that is there but not an object: no effort the gateway can read or cap (the runtime refuses it). */
const NOT_AN_EFFORT = Symbol('not an effort');

/** The Responses API's events that end a stream, each with the response and its usage. */
const LAST_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);
const SEQUENCE = /"sequence_number":(\d+)/g;

const responses: EndpointShape = {
  effort: {
    asked: (body) =>
      body.reasoning === undefined || body.reasoning === null
        ? undefined
        : isPlainObject(body.reasoning)
          ? body.reasoning.effort
          : NOT_AN_EFFORT,
    set: (body, effort) => ({ ...body, reasoning: { ...objectOr(body.reasoning), effort } }),
  },
  usageAskedInStream: false,
  usageOfAnswer: (answer) => responseUsage(objectOr(answer).usage),
  inspect(event) {
    const { name, data } = readEvent(event);
    const sequence = [...data.matchAll(SEQUENCE)].at(-1)?.[1];
    const facts: EventFacts = sequence === undefined ? {} : { sequence: Number(sequence) };
    if (!name || !LAST_EVENTS.has(name)) return facts;
    const usage = responseUsage(objectOr(objectOr(parsed(data)).response).usage);
    return usage ? { ...facts, usage } : facts;
  },
  streamError: (error, lastSequence) =>
    writeEvent(
      {
        type: 'error',
        code: error.code,
        message: error.message,
        param: error.field ?? null,
        sequence_number: lastSequence === undefined ? 0 : lastSequence + 1,
      },
      'error',
    ),
};

/** The endpoints the gateway relays, by path. */
export const GENERATION_ENDPOINTS: Readonly<Record<string, EndpointShape>> = {
  '/v1/chat/completions': chat,
  '/v1/completions': completions,
  '/v1/responses': responses,
};

import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { ApiError, toApiError } from '../../contract/api/errors.js';
import type { Delta, Outcome } from '../engine/types.js';
import { errorBody, sendError } from './errors.js';
import { abortOnClose, startStream, writeEvent } from './sse.js';

export interface GenerationShape {
  /** One streamed delta as an OpenAI chunk's choice; the first chunk of a stream carries the role. */
  chunkChoice(delta: Delta, first: boolean): object;
  /** The streamed choice that carries the finish reason (and the role, when it is the first chunk). */
  finishChoice(outcome: Outcome, first: boolean): object;
  /** The whole non-streamed choice, from the collected deltas. */
  wholeChoice(deltas: Delta[], outcome: Outcome): object;
  /** "chat.completion" or "text_completion". */
  object: string;
  chunkObject: string;
  idPrefix: string;
}

const FINISH: Record<Outcome['finishReason'], string> = {
  stop: 'stop',
  length: 'length',
  cancelled: 'cancelled',
  tool_calls: 'tool_calls',
};
export const openAiFinish = (outcome: Outcome) => FINISH[outcome.finishReason];

function usageOf(outcome: Outcome) {
  const { promptTokens, completionTokens, reasoningTokens, cachedTokens = 0 } = outcome.usage;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    // as OpenAI reports its prompt cache: the prompt tokens the slot already held, not evaluated again
    prompt_tokens_details: { cached_tokens: cachedTokens },
    completion_tokens_details: { reasoning_tokens: reasoningTokens },
  };
}

/**
 * Runs one generation for an OpenAI endpoint, streamed as server-sent events or answered whole. A
 * client that disconnects aborts the generation; errors before the first byte are JSON errors with
 * the catalogue's status, errors after it an SSE error event.
 */
export async function respond(
  res: Response,
  options: {
    stream: boolean;
    includeUsage: boolean;
    model: string;
    shape: GenerationShape;
    onError: (e: ApiError, cause: unknown) => void;
  },
  run: (onDelta: (delta: Delta) => void, signal: AbortSignal) => Promise<Outcome>,
): Promise<void> {
  const { shape, stream } = options;
  const controller = abortOnClose(res);
  const base = {
    id: `${shape.idPrefix}-${randomUUID()}`,
    created: Math.floor(Date.now() / 1000),
    model: options.model,
  };
  const deltas: Delta[] = [];
  const send = (choices: object[], usage?: object) =>
    writeEvent(res, { ...base, object: shape.chunkObject, choices, ...(usage && { usage }) });
  const onDelta = (delta: Delta) => {
    if (!stream) return void deltas.push(delta);
    const first = !res.headersSent;
    if (first) startStream(res);
    send([shape.chunkChoice(delta, first)]);
  };
  try {
    const outcome = await run(onDelta, controller.signal);
    if (controller.signal.aborted && res.destroyed) return;
    if (!stream) {
      res.json({
        ...base,
        object: shape.object,
        choices: [shape.wholeChoice(deltas, outcome)],
        usage: usageOf(outcome),
      });
      return;
    }
    const first = !res.headersSent;
    if (first) startStream(res);
    send([shape.finishChoice(outcome, first)]);
    if (options.includeUsage) send([], usageOf(outcome));
    res.end('data: [DONE]\n\n');
  } catch (error) {
    // whatever the engine throws once the client has gone (node-llama-cpp's AbortError before the
    // first token), the request was cancelled, not failed
    const apiError = toApiError(error, controller.signal.aborted);
    options.onError(apiError, error);
    if (res.destroyed) return;
    if (!res.headersSent) return sendError(res, apiError);
    writeEvent(res, errorBody(apiError));
    res.end();
  }
}

/** The parsed JSON body; the schemas say what is wrong with it. */
export function jsonBody(req: Request): unknown {
  if (!req.is('application/json')) {
    throw new ApiError('invalid_argument', 'send the request body as JSON with Content-Type: application/json');
  }
  return req.body as unknown;
}

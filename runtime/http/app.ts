import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { EngineRef } from '../engine/engineRef.js';
import { ApiError } from '../../contract/api/errors.js';
import { quoted, shortened } from '../../contract/api/limits.js';
import { parseChatRequest, parseGenerateRequest } from '../../contract/api/requests.js';
import type { Delta } from '../engine/types.js';
import type { Logger } from '../../contract/log.js';
import { reportRejection, type RuntimeMetrics } from '../metrics.js';
import { errorMiddleware, sendError } from './errors.js';
import { jsonBody, openAiFinish, respond, type GenerationShape } from './generation.js';

export interface HttpAppOptions {
  engines: EngineRef;
  metrics: RuntimeMetrics;
  log: Logger;
  maxBodyBytes: number;
}

const textOf = (deltas: Delta[], reasoning: boolean) =>
  deltas
    .filter((d) => d.type === 'text' && (d.channel === 'analysis') === reasoning)
    .map((d) => (d.type === 'text' ? d.text : ''))
    .join('');

/** Reasoning under both names clients read: `reasoning_content` (llama.cpp, DeepSeek), `reasoning` (vLLM, Ollama). */
const reasoningFields = (text: string) => ({ reasoning_content: text, reasoning: text });

/** The calls of a whole answer, as OpenAI's message.tool_calls. */
function toolCallsOf(deltas: Delta[]) {
  const calls: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }> = [];
  for (const d of deltas) {
    if (d.type === 'toolCall')
      calls[d.index] = { id: d.id, type: 'function', function: { name: d.name, arguments: '' } };
    else if (d.type === 'toolArguments') calls[d.index]!.function.arguments += d.text;
  }
  return calls;
}

/** One streamed delta as OpenAI streams it: text by channel, a call's start (id, name), then its arguments. */
function chatDelta(delta: Delta) {
  switch (delta.type) {
    case 'text':
      return delta.channel === 'analysis' ? reasoningFields(delta.text) : { content: delta.text };
    case 'toolCall':
      return {
        tool_calls: [
          { index: delta.index, id: delta.id, type: 'function', function: { name: delta.name, arguments: '' } },
        ],
      };
    case 'toolArguments':
      return { tool_calls: [{ index: delta.index, function: { arguments: delta.text } }] };
  }
}

/**
 * Reasoning (the analysis channel) goes apart from the answer; the final and commentary channels
 * (preambles are meant for users) make up `content`; function calls become `tool_calls`.
 */
const chatShape: GenerationShape = {
  object: 'chat.completion',
  chunkObject: 'chat.completion.chunk',
  idPrefix: 'chatcmpl',
  chunkChoice: (delta, first) => ({
    index: 0,
    delta: { ...(first ? { role: 'assistant' } : {}), ...chatDelta(delta) },
    finish_reason: null,
  }),
  finishChoice: (outcome) => ({ index: 0, delta: {}, finish_reason: openAiFinish(outcome) }),
  wholeChoice: (deltas, outcome) => {
    const reasoning = textOf(deltas, true);
    const content = textOf(deltas, false);
    const calls = toolCallsOf(deltas);
    return {
      index: 0,
      message: {
        role: 'assistant',
        // as OpenAI: null when the turn is only function calls
        content: content || calls.length === 0 ? content : null,
        ...(reasoning ? reasoningFields(reasoning) : {}),
        ...(calls.length ? { tool_calls: calls } : {}),
      },
      finish_reason: openAiFinish(outcome),
    };
  },
};

const completionText = (delta: Delta) => (delta.type === 'text' ? delta.text : '');

const completionShape: GenerationShape = {
  object: 'text_completion',
  chunkObject: 'text_completion',
  idPrefix: 'cmpl',
  chunkChoice: (delta) => ({ index: 0, text: completionText(delta), logprobs: null, finish_reason: null }),
  finishChoice: (outcome) => ({ index: 0, text: '', logprobs: null, finish_reason: openAiFinish(outcome) }),
  wholeChoice: (deltas, outcome) => ({
    index: 0,
    text: deltas.map(completionText).join(''),
    logprobs: null,
    finish_reason: openAiFinish(outcome),
  }),
};

export function createHttpApp({ engines, metrics, log, maxBodyBytes }: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  const onError = (error: ApiError, cause: unknown) => reportRejection(metrics, log, error, cause, { api: 'http' });

  /** Express 5 forwards rejected promises to the error middleware; the handlers still catch their own. */
  const handle =
    (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) =>
      fn(req, res).catch(next);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    res
      .status(engines.ready ? 200 : 503)
      .json({ status: engines.ready ? 'ready' : engines.loaded ? 'draining' : 'loading' });
  });
  app.get(
    '/metrics',
    handle(async (_req, res) => {
      res.setHeader('Content-Type', metrics.registry.contentType);
      res.send(await metrics.registry.metrics());
    }),
  );

  app.use('/v1', express.json({ limit: maxBodyBytes, type: () => true }));

  app.get(
    '/v1/models',
    handle(async (_req, res) => {
      const info = engines.get().info();
      res.json({ object: 'list', data: [{ id: info.servedName, object: 'model', created: 0, owned_by: 'gptoss' }] });
    }),
  );
  // a wildcard: served names may hold slashes (openai/gpt-oss-20b)
  app.get(
    '/v1/models/*id',
    handle(async (req, res) => {
      const info = engines.get().info();
      const id = ([] as string[]).concat(req.params.id ?? []).join('/');
      if (id !== info.servedName) {
        throw new ApiError(
          'model_not_found',
          `model ${quoted(id)} is not served here; this runtime serves "${info.servedName}"`,
          'model',
        );
      }
      res.json({ id: info.servedName, object: 'model', created: 0, owned_by: 'gptoss' });
    }),
  );

  app.post(
    '/v1/chat/completions',
    handle(async (req, res) => {
      const { job, delivery } = parseChatRequest(jsonBody(req));
      const engine = engines.get();
      await respond(
        res,
        { ...delivery, model: engine.info().servedName, shape: chatShape, onError },
        (onDelta, signal) => engine.chat(job, onDelta, signal),
      );
    }),
  );

  app.post(
    '/v1/completions',
    handle(async (req, res) => {
      const { job, delivery } = parseGenerateRequest(jsonBody(req));
      const engine = engines.get();
      await respond(
        res,
        { ...delivery, model: engine.info().servedName, shape: completionShape, onError },
        (onDelta, signal) => engine.generate(job, onDelta, signal),
      );
    }),
  );

  app.use((req, res) => {
    sendError(res, new ApiError('not_found', `no route for ${req.method} ${shortened(req.path)}`));
  });
  app.use(errorMiddleware(onError));
  return app;
}

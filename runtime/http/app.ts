import express, { type Express } from 'express';
import { ApiError } from '../../contract/api/errors.js';
import { quoted, shortened } from '../../contract/api/limits.js';
import { parseChatRequest, parseGenerateRequest } from '../../contract/api/requests.js';
import type { Logger } from '../../contract/log.js';
import { reportRejection, type RuntimeMetrics } from '../metrics.js';
import { chatShape, completionShape } from './chatShapes.js';
import type { HttpEngines } from './engines.js';
import { errorMiddleware, sendError } from './errors.js';
import { jsonBody, respond } from './generation.js';
import { responsesRouter } from './responses/routes.js';
import { answeringId, servedIds } from './servedIds.js';
import { ResponseStore } from './responses/store.js';

export interface HttpAppOptions {
  engines: HttpEngines;
  metrics: RuntimeMetrics;
  log: Logger;
  maxBodyBytes: number;
  /** Where /v1/responses keeps stored responses; a fresh one with the default bounds if not given. */
  responseStore?: ResponseStore;
}

/** Express 5 forwards a handler's rejected promise to the error middleware, so handlers may be async. */
export function createHttpApp({ engines, metrics, log, maxBodyBytes, responseStore }: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  const onError = (error: ApiError, cause: unknown) => reportRejection(metrics, log, error, cause, { api: 'http' });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    res
      .status(engines.ready ? 200 : 503)
      .json({ status: engines.ready ? 'ready' : engines.loaded ? 'draining' : 'loading' });
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  app.use(['/v1', '/apply-template'], express.json({ limit: maxBodyBytes, type: () => true }));

  const modelObject = (id: string) => ({ id, object: 'model', created: 0, owned_by: 'gptoss' });
  app.get('/v1/models', (_req, res) => {
    res.json({ object: 'list', data: servedIds(engines.get().info()).map(modelObject) });
  });
  // a wildcard: served names may hold slashes (openai/gpt-oss-20b)
  app.get('/v1/models/*id', (req, res) => {
    const ids = servedIds(engines.get().info());
    const id = ([] as string[]).concat(req.params.id ?? []).join('/');
    if (!ids.includes(id)) {
      const served = ids.map((name) => `"${name}"`).join(', ');
      throw new ApiError(
        'model_not_found',
        `model ${quoted(id)} is not served here; this runtime serves ${served}`,
        'model',
      );
    }
    res.json(modelObject(id));
  });

  app.post('/v1/chat/completions', async (req, res) => {
    const { job, delivery } = parseChatRequest(jsonBody(req));
    const engine = engines.get();
    const model = answeringId(engine.info(), job.model);
    await respond(res, { ...delivery, model, shape: chatShape, onError }, (onDelta, signal) =>
      engine.chat(job, onDelta, signal),
    );
  });

  app.post('/v1/completions', async (req, res) => {
    const { job, delivery } = parseGenerateRequest(jsonBody(req));
    const engine = engines.get();
    await respond(
      res,
      { ...delivery, model: answeringId(engine.info(), job.model), shape: completionShape, onError },
      (onDelta, signal) => engine.generate(job, onDelta, signal),
    );
  });

  // llama.cpp server's render endpoint: a chat completions body in, the exact text the model would see out
  app.post('/apply-template', (req, res) => {
    const { job } = parseChatRequest(jsonBody(req));
    res.json({ prompt: engines.get().renderText(job) });
  });

  app.use('/v1/responses', responsesRouter({ engines, store: responseStore ?? new ResponseStore(), onError, log }));

  app.use((req, res) => {
    sendError(res, new ApiError('not_found', `no route for ${req.method} ${shortened(req.path)}`));
  });
  app.use(errorMiddleware(onError));
  return app;
}

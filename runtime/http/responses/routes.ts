import { Router, type Request } from 'express';
import type { ChatMessage } from '../../../contract/api/chat.js';
import { ApiError, invalidArgument } from '../../../contract/api/errors.js';
import { quoted, shortened } from '../../../contract/api/limits.js';
import {
  CALLS_BEFORE,
  parseResponsesRequest,
  resolveToolResults,
  type ResponsesRequest,
} from '../../../contract/api/responses.js';
import type { Logger } from '../../../contract/log.js';
import type { HttpEngines } from '../engines.js';
import { jsonBody } from '../generation.js';
import { assistantTurn } from './conversation.js';
import { newId } from './output.js';
import { runResponse } from './run.js';
import { answeringId } from '../servedIds.js';
import type { ResponseStore } from './store.js';

export interface ResponsesDeps {
  engines: HttpEngines;
  store: ResponseStore;
  onError: (error: ApiError, cause: unknown) => void;
  log: Logger;
}

/** Why an id is not (or no longer) in the store, for the error that names it. */
const notStored = (store: ResponseStore, id: string) =>
  `response ${quoted(id)} is not stored on this runtime: it keeps up to ${store.limits.maxResponses} responses ` +
  'in memory, per replica, and this one was stored with store: false, deleted, evicted, or never answered here';

/**
 * OpenAI's Responses API: POST /v1/responses (whole or streamed), and the stored responses by id
 * (GET, DELETE). docs/responses.md says what each field does here.
 */
export function responsesRouter({ engines, store, onError, log }: ResponsesDeps): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const request = parseResponsesRequest(jsonBody(req));
    const history = historyOf(store, request.previousResponseId);
    const turn = turnOf(request, history);
    const instructions: ChatMessage[] = request.instructions
      ? [{ role: 'developer', content: request.instructions }]
      : [];
    const job = { ...request.job, messages: [...instructions, ...history, ...turn] };
    const engine = engines.get();
    const base = {
      id: newId('resp'),
      created_at: Math.floor(Date.now() / 1000),
      model: answeringId(engine.info(), job.model),
      echo: request.echo,
    };
    const answered = await runResponse(res, { base, stream: request.stream, onError }, (onDelta, signal) =>
      engine.chat(job, onDelta, signal),
    );
    if (answered && request.store) {
      const conversation = [...history, ...turn, assistantTurn(answered.output)];
      if (!store.put(base.id, { response: answered.response, conversation })) {
        log.warn(
          { response: base.id, maxBytes: store.limits.maxBytes },
          'Skipped storing a response larger than the store',
        );
      }
    }
  });

  router.get('/:id', (req, res) => {
    checkQuery(req);
    const found = store.get(req.params.id);
    if (!found) throw unknownResponse(store, req.params.id);
    res.json(found.response);
  });

  router.delete('/:id', (req, res) => {
    checkQuery(req);
    if (!store.delete(req.params.id)) throw unknownResponse(store, req.params.id);
    res.json({ id: req.params.id, object: 'response', deleted: true });
  });

  return router;
}

/** The conversation a previous_response_id continues; none without one. */
function historyOf(store: ResponseStore, previousResponseId: string | undefined): ChatMessage[] {
  if (!previousResponseId) return [];
  const previous = store.get(previousResponseId);
  if (!previous) {
    throw invalidArgument('previous_response_id', `previous_response_id: ${notStored(store, previousResponseId)}`);
  }
  return previous.conversation;
}

/** This request's messages; with a previous response, a result may answer one of its calls. */
function turnOf(request: ResponsesRequest, history: ChatMessage[]): ChatMessage[] {
  if (!request.previousResponseId) return request.job.messages;
  const whole = [...history, ...request.job.messages];
  const field = (i: number) => request.callIdField(i - history.length);
  return resolveToolResults(whole, field, CALLS_BEFORE).slice(history.length);
}

const unknownResponse = (store: ResponseStore, id: string) =>
  new ApiError('not_found', notStored(store, id), 'response_id');

/** GET and DELETE take no query parameters here: replaying a stored response as events is not supported. */
function checkQuery(req: Request): void {
  for (const key of Object.keys(req.query)) {
    if (key === 'stream' && req.query.stream === 'false') continue;
    if (key === 'stream') {
      throw new ApiError(
        'not_supported',
        'stream: replaying a stored response as events is not supported by this runtime; GET it whole',
        'stream',
      );
    }
    throw invalidArgument(shortened(key), `${shortened(key)}: unknown query parameter`);
  }
}

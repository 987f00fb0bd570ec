import type { Response } from 'express';
import { ApiError, toApiError } from '../../../contract/api/errors.js';
import type { Delta, Outcome } from '../../engine/types.js';
import { sendError } from '../errors.js';
import { abortOnClose, startStream, writeEvent } from '../sse.js';
import type { OutputItem } from './items.js';
import { OutputBuilder, type ResponseEvent } from './output.js';
import { responseObject, statusOf, type FinishedStatus, type ResponseBase } from './response.js';

/** A response that finished (completed or incomplete): what the store keeps of it. */
export interface Answered {
  response: object;
  output: OutputItem[];
}

/** The event that ends a stream, by the response's status. */
const LAST_EVENT: Record<FinishedStatus, string> = {
  completed: 'response.completed',
  incomplete: 'response.incomplete',
  cancelled: 'response.failed',
};

const CANCELLED = new ApiError('cancelled', 'the generation was cancelled before it finished');

/** The events of one streamed response, numbered from 0; the first one sent opens the stream. */
class ResponseEvents {
  private sequence = 0;

  constructor(
    private readonly res: Response,
    private readonly base: ResponseBase,
  ) {}

  send(event: ResponseEvent): void {
    if (!this.res.headersSent) this.open();
    writeEvent(this.res, { ...event, sequence_number: this.sequence++ }, event.type);
  }

  private open(): void {
    startStream(this.res);
    const started = responseObject(this.base, { status: 'in_progress', output: [] });
    this.send({ type: 'response.created', response: started });
    this.send({ type: 'response.in_progress', response: started });
  }
}

/**
 * Runs one generation for POST /v1/responses: the response object whole, or OpenAI's events as
 * server-sent events, numbered by sequence_number. The stream opens with the first delta
 * (response.created, response.in_progress), so a request the engine refuses before generating gets
 * an HTTP error with the catalogue's status; a failure after that ends the stream with an `error`
 * event and response.failed. A client that disconnects aborts the generation.
 */
export async function runResponse(
  res: Response,
  options: { base: ResponseBase; stream: boolean; onError: (e: ApiError, cause: unknown) => void },
  run: (onDelta: (delta: Delta) => void, signal: AbortSignal) => Promise<Outcome>,
): Promise<Answered | null> {
  const { base, stream } = options;
  const controller = abortOnClose(res);
  const events = new ResponseEvents(res, base);
  const output = new OutputBuilder((event) => {
    if (stream) events.send(event);
  });
  try {
    const outcome = await run((delta) => output.push(delta), controller.signal);
    if (controller.signal.aborted && res.destroyed) return null;
    const status = statusOf(outcome);
    output.finish(status === 'completed' ? 'completed' : 'incomplete');
    const error = status === 'cancelled' ? CANCELLED : undefined;
    const response = responseObject(base, { status, output: output.items, outcome, error });
    if (!stream) res.json(response);
    else {
      events.send({ type: LAST_EVENT[status], response });
      res.end();
    }
    return status === 'cancelled' ? null : { response, output: output.items };
  } catch (error) {
    // whatever the engine throws once the client has gone, the request was cancelled, not failed
    const apiError = toApiError(error, controller.signal.aborted);
    options.onError(apiError, error);
    if (res.destroyed) return null;
    if (!res.headersSent) sendError(res, apiError);
    else failStream(res, events, output, base, apiError);
    return null;
  }
}

/** A failure once the stream is open: the item cut short closed, the error, then the failed response. */
function failStream(
  res: Response,
  events: ResponseEvents,
  output: OutputBuilder,
  base: ResponseBase,
  error: ApiError,
): void {
  output.finish('incomplete');
  events.send({ type: 'error', code: error.code, message: error.message, param: error.field ?? null });
  events.send({
    type: 'response.failed',
    response: responseObject(base, { status: 'failed', output: output.items, error }),
  });
  res.end();
}

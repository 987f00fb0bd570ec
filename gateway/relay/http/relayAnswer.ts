import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { ERROR_CATALOGUE, isAbortError, type ApiError } from '../../../contract/api/errors.js';
import { brokenAnswer } from '../refusal.js';
import { isPlainObject } from '../../../contract/api/wire.js';
import type { GatewayMetrics } from '../../metrics.js';
import type { RequestEnd, RequestRecord } from '../record.js';
import type { EndpointShape } from './endpoints.js';
import type { ForwardPlan } from './forwardBody.js';
import { writeHead, type HeaderList } from './reply.js';
import { SseEvents } from './sse.js';
import { relayedHeaders, type HeldAnswer, type LiveAnswer } from './upstream.js';

export interface AnswerContext {
  res: ServerResponse;
  /** The gateway's headers (rate limits, the effort cap) on top of the runtime's. */
  headers: HeaderList;
  shape: EndpointShape;
  plan: ForwardPlan;
  record: RequestRecord;
  metrics: GatewayMetrics;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

function errorCodeOf(body: Buffer): string | null {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    const error = isPlainObject(parsed) && isPlainObject(parsed.error) ? parsed.error : {};
    return typeof error.code === 'string' ? error.code : null;
  } catch {
    return null;
  }
}

/** A whole answer, as the runtime sent it, with the gateway's headers; usage read from a success. */
export function sendHeld(held: HeldAnswer, context: Pick<AnswerContext, 'res' | 'headers' | 'shape'>): RequestEnd {
  const { res, headers, shape } = context;
  writeHead(res, held.status, headers, { ...held.headers, 'content-length': held.body.length });
  res.end(held.body);
  const ok = held.status >= 200 && held.status < 300;
  let usage = null;
  if (ok) {
    try {
      usage = shape.usageOfAnswer(JSON.parse(held.body.toString('utf8')));
    } catch {
      usage = null;
    }
  }
  return { httpStatus: held.status, status: held.status, code: ok ? null : errorCodeOf(held.body), usage };
}

/** The replica's connection broke after it had started answering: counted, and the client's error. */
function brokenStream(context: AnswerContext, error: unknown): ApiError {
  context.metrics.upstreamError(context.record.model, 'broken_stream');
  const why = (error as { code?: string }).code ?? (error as Error).message;
  return brokenAnswer(context.record.model, why, error);
}

/** The client went away: the upstream request was destroyed with it. */
const clientLeft = (context: AnswerContext, error: unknown) => context.signal.aborted || isAbortError(error);

/**
 * Server-sent events relayed as they come, whole events at a time, with backpressure (the replica
 * is read no faster than the client takes it). The usage event is read, and left out when the
 * client did not ask for it. A break ends the stream with the endpoint's error event.
 */
async function relayStream(answer: LiveAnswer, context: AnswerContext): Promise<RequestEnd> {
  const { res, shape, plan, record, signal } = context;
  const status = answer.response.statusCode ?? 200;
  writeHead(res, status, context.headers, relayedHeaders(answer.response));
  res.flushHeaders();
  const events = new SseEvents();
  let usage = null;
  let lastSequence: number | undefined;
  try {
    for await (const chunk of answer.response) {
      record.firstToken();
      const out: Buffer[] = [];
      for (const event of events.push(chunk as Buffer)) {
        const facts = shape.inspect(event);
        lastSequence = facts.sequence ?? lastSequence;
        usage = facts.usage ?? usage;
        if (!facts.usageOnly || plan.clientWantsUsage) out.push(event);
      }
      if (out.length > 0 && !res.write(Buffer.concat(out))) await once(res, 'drain', { signal });
    }
  } catch (error) {
    if (clientLeft(context, error)) throw error;
    const broken = brokenStream(context, error);
    res.end(shape.streamError(broken, lastSequence));
    return { httpStatus: ERROR_CATALOGUE.unavailable.http, status, code: broken.code, usage: null };
  }
  res.end(events.rest());
  return { httpStatus: status, status, code: null, usage };
}

/** Reads the whole answer; a break before it is whole is the client's 503 (nothing was sent yet). */
async function wholeAnswer(answer: LiveAnswer, context: AnswerContext): Promise<HeldAnswer> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of answer.response) chunks.push(chunk as Buffer);
  } catch (error) {
    if (clientLeft(context, error)) throw error;
    throw brokenStream(context, error);
  }
  const status = answer.response.statusCode ?? 502;
  return { status, headers: relayedHeaders(answer.response), body: Buffer.concat(chunks) };
}

/** The replica's answer to the client: a stream as it comes, anything else whole. */
export async function relayAnswer(answer: LiveAnswer, context: AnswerContext): Promise<RequestEnd> {
  const type = answer.response.headers['content-type'] ?? '';
  if (type.startsWith('text/event-stream')) return relayStream(answer, context);
  return sendHeld(await wholeAnswer(answer, context), context);
}

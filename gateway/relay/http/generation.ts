import type { IncomingMessage, ServerResponse } from 'node:http';
import { httpAffinity, servedIdAffinity } from '../../routing/affinity.js';
import { routeToReplicas, noReplicaTook } from '../attempts.js';
import { authenticate } from '../auth.js';
import type { RelayDeps } from '../deps.js';
import { EFFORT_CAPPED_HEADER } from '../effort.js';
import { modelRequired, requireWakeable, resolveModel } from '../models.js';
import { admit } from '../rateLimits.js';
import type { RequestEnd, RequestRecord } from '../record.js';
import { Refusal } from '../refusal.js';
import { checkCharset, jsonObject, readBody } from './body.js';
import type { EndpointShape } from './endpoints.js';
import { planForward } from './forwardBody.js';
import { relayAnswer, sendHeld } from './relayAnswer.js';
import { gatewayHeaders, type HeaderList } from './reply.js';
import { requestUpstream } from './upstream.js';

/** The body's `model`: the one field every endpoint needs before anything else. */
function modelField(body: Record<string, unknown>): string {
  const { model } = body;
  if (model === undefined || model === null || model === '') throw modelRequired();
  if (typeof model !== 'string') throw new Refusal('invalid_argument', 'model: must be a string', { field: 'model' });
  return model;
}

/**
 * One generation (Chat, Completions, Responses): who is calling, which model, within which quotas,
 * then the request as the runtime takes it to a replica the router chooses, retried on another
 * while none has answered, and the answer relayed. Throws what the client is to be told.
 */
export async function relayGeneration(
  deps: RelayDeps,
  shape: EndpointShape,
  exchange: { req: IncomingMessage; res: ServerResponse; record: RequestRecord; signal: AbortSignal },
): Promise<RequestEnd> {
  const { req, res, record, signal } = exchange;
  const caller = authenticate(deps.keys, req.headers.authorization, 'http');
  record.identified(caller);
  checkCharset(req.headers['content-type']);
  const raw = await readBody(req, deps.config.maxBodyBytes);
  const body = jsonObject(raw, req.headers['content-type']);
  const target = resolveModel(deps.directory, caller.policy, modelField(body));
  record.model = target.id;
  record.affinity = servedIdAffinity(httpAffinity(req.url ?? '/', body), target.adapter);
  requireWakeable(target.model, deps.config.unavailableRetryAfterSeconds);
  record.admitted(admit(deps.quotas, caller));
  const plan = planForward(shape, body, raw, target.servedName, caller.policy.maxReasoningEffort);
  const capped: HeaderList = plan.capped ? [[EFFORT_CAPPED_HEADER, plan.capped.header]] : [];
  const headers = gatewayHeaders(record.rateLimits, capped);
  // an adapter is served by its model's replicas: the model is what waits for one, and wakes
  const ready = await deps.holds.ready(target.model, signal);
  const routed = await routeToReplicas(deps, ready.model, record, (replica) =>
    requestUpstream({
      agent: deps.agent,
      replica,
      path: req.url ?? '/',
      body: plan.bytes,
      connectTimeoutMs: deps.config.connectTimeoutMs,
      signal,
      onWritten: ready.handedOn,
    }),
  ).finally(ready.handedOn);
  if ('exhausted' in routed) {
    const fallback = routed.exhausted.last?.fallback;
    if (fallback) return sendHeld(fallback, { res, headers, shape });
    throw noReplicaTook(record.model, routed.exhausted, deps.config.unavailableRetryAfterSeconds);
  }
  try {
    return await relayAnswer(routed.answered, { res, headers, shape, plan, record, metrics: deps.metrics, signal });
  } finally {
    routed.release();
  }
}

import { quoted } from '../../contract/api/limits.js';
import type { GatewayMetrics, UpstreamErrorReason } from '../metrics.js';
import { replicaKey, type Router } from '../routing/router.js';
import type { ModelDirectory, Replica, ServedModel } from '../types.js';
import type { RequestRecord } from './record.js';
import { Refusal } from './refusal.js';

/**
 * One try on one replica: it answered (the request is committed to it: whatever happens next, the
 * client hears it from this replica), or it failed before its first byte, which another replica
 * may do better. `fallback` is what the client is answered if no replica does (a runtime's own 429).
 */
export type Attempt<T, F> = { answered: T } | { failed: UpstreamErrorReason; detail: string; fallback?: F };

export type Routed<T, F> =
  | { answered: T; replica: Replica; release: () => void }
  | { exhausted: { tried: number; last: Extract<Attempt<T, F>, { failed: UpstreamErrorReason }> | undefined } };

export interface RoutingDeps {
  directory: ModelDirectory;
  router: Router;
  metrics: GatewayMetrics;
  maxAttempts: number;
}

/**
 * Tries the request on the model's replicas, each at most once, up to maxAttempts, the router
 * choosing each; the replicas are read again before each try, so one that turned Ready meanwhile
 * may take it. The committed replica's request stays outstanding until `release`.
 */
export async function routeToReplicas<T, F>(
  deps: RoutingDeps,
  model: ServedModel,
  record: RequestRecord,
  attempt: (replica: Replica) => Promise<Attempt<T, F>>,
): Promise<Routed<T, F>> {
  const tried = new Set<string>();
  let last: Extract<Attempt<T, F>, { failed: UpstreamErrorReason }> | undefined;
  for (let n = 0; n < deps.maxAttempts; n++) {
    const current = deps.directory.get(model.namespace, model.name) ?? model;
    const choice = deps.router.pick(current, tried, record.affinity);
    if (!choice) break;
    if (n > 0) {
      record.retries++;
      deps.metrics.retried(record.model);
    }
    deps.metrics.routed(record.model, choice.reason);
    tried.add(replicaKey(current, choice.chosen));
    const release = deps.router.begin(current, choice.chosen);
    const outcome = await attempt(choice.chosen).catch((error: unknown) => {
      release();
      throw error;
    });
    if ('answered' in outcome) {
      record.replica = choice.chosen.pod;
      return { answered: outcome.answered, replica: choice.chosen, release };
    }
    release();
    deps.metrics.upstreamError(record.model, outcome.failed);
    last = outcome;
  }
  return { exhausted: { tried: tried.size, last } };
}

/** 503 for a request no replica took: none was left to try, or each failed before answering. */
export function noReplicaTook(
  id: string,
  exhausted: { tried: number; last: { detail: string } | undefined },
  retryAfterSeconds: number,
): Refusal {
  const message =
    exhausted.last === undefined
      ? `model ${quoted(id)} has no ready replica; retry later`
      : `no replica of model ${quoted(id)} could take the request (${exhausted.tried} tried; ` +
        `the last: ${exhausted.last.detail}); retry later`;
  return new Refusal('unavailable', message, { retryAfterSeconds });
}

/**
 * Which replica takes a request under the least-load strategy, and a request with no affinity key
 * under either (prefix-hash: prefixHash.ts): the power of two random choices over the gateway's own
 * count of requests outstanding on each replica (Mitzenmacher: two random picks, the less loaded
 * wins, keep the worst queue near the mean without every gateway replica herding onto the same pod),
 * with the runtime's own utilisation (its queue, which other gateway replicas also fill) breaking
 * ties. Pure: the random source is given.
 */

export const ROUTING_REASONS = [
  'only_replica',
  'least_outstanding',
  'utilization',
  'random',
  'prefix_hash',
  'prefix_overflow',
] as const;
/**
 * What decided a choice: one candidate, fewer outstanding requests, lower utilisation, or neither (a
 * coin); with prefix-hash routing (prefixHash.ts), the key's home replica, or a later one on the
 * key's walk because the home was over its load bound.
 */
export type RoutingReason = (typeof ROUTING_REASONS)[number];

export interface ReplicaLoad {
  /** Requests this gateway has sent to the replica that have not ended. */
  outstanding: number;
  /** The runtime's gptoss_runtime_utilization at its last scrape; undefined when unknown. */
  utilization: number | undefined;
}

export interface Choice<T> {
  chosen: T;
  reason: RoutingReason;
}

/** An index in [0, n) from a source of numbers in [0, 1). */
const pickIndex = (random: () => number, n: number) => Math.min(n - 1, Math.floor(random() * n));

/** Two distinct candidates at random: the second drawn from the others. */
function twoAtRandom<T>(candidates: readonly T[], random: () => number): [T, T] {
  const first = pickIndex(random, candidates.length);
  const other = pickIndex(random, candidates.length - 1);
  const second = other >= first ? other + 1 : other;
  return [candidates[first]!, candidates[second]!];
}

/** The choice among candidates (undefined when there is none). */
export function chooseReplica<T>(
  candidates: readonly T[],
  loadOf: (candidate: T) => ReplicaLoad,
  random: () => number,
): Choice<T> | undefined {
  if (candidates.length === 0) return undefined;
  if (candidates.length === 1) return { chosen: candidates[0]!, reason: 'only_replica' };
  const [a, b] = twoAtRandom(candidates, random);
  const [loadA, loadB] = [loadOf(a), loadOf(b)];
  if (loadA.outstanding !== loadB.outstanding) {
    return { chosen: loadA.outstanding < loadB.outstanding ? a : b, reason: 'least_outstanding' };
  }
  const [utilA, utilB] = [loadA.utilization, loadB.utilization];
  if (utilA !== undefined && utilB !== undefined && utilA !== utilB) {
    return { chosen: utilA < utilB ? a : b, reason: 'utilization' };
  }
  // the first pick was already random
  return { chosen: a, reason: 'random' };
}

import { createHash } from 'node:crypto';
import type { Choice } from './choose.js';

/**
 * Consistent hashing with bounded loads (CHWBL; Mirrokni, Thorup and Zadimoghaddam 2016; KubeAI's
 * PrefixHash load balancer): each replica sits at many points of a hash ring; a request's affinity
 * key (affinity.ts) lands on the ring and its home is the replica at the first point clockwise, so
 * every turn of a conversation meets the same replica and finds its start in that replica's cache.
 * A replica takes the request only while its load stays within a bound near the mean; over it, the
 * walk goes on clockwise to the next replica, so a hot conversation (or a crowd of them on one home)
 * spills over to the same next replicas rather than to random ones. Adding or removing a replica
 * moves only the keys whose home it was (about 1/n of them). Pure: the ring is given, the loads are
 * read through a function, nothing is random; every gateway replica computes the same homes.
 */

/**
 * Points per replica. With v points a replica's share of the ring is within about 1/sqrt(v) of
 * 1/n (128: about 9%), and the bound evens out the rest; more points cost memory and ring builds.
 */
export const POINTS_PER_REPLICA = 128;

/** The ring: points in ascending position, each with the replica (its key) it belongs to. */
export interface HashRing {
  positions: readonly number[];
  members: readonly string[];
  /** Distinct members: a walk ends once it met them all. */
  size: number;
}

/** A point on the ring: 48 bits of sha256 (a whole number JavaScript holds exactly; collisions negligible). */
const positionOf = (text: string) => createHash('sha256').update(text).digest().readUIntBE(0, 6);

/** The ring of these members (replica keys), each at `points` points. */
export function buildRing(memberKeys: readonly string[], points = POINTS_PER_REPLICA): HashRing {
  const members = [...new Set(memberKeys)];
  const placed = members.flatMap((member) =>
    Array.from({ length: points }, (_, i) => ({ position: positionOf(`${member}#${i}`), member })),
  );
  // equal positions (vanishingly rare) ordered by member, so every gateway builds the same ring
  placed.sort((a, b) => a.position - b.position || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
  return { positions: placed.map((p) => p.position), members: placed.map((p) => p.member), size: members.length };
}

/** The index of the first point at or after the position; wraps to 0 past the last. */
function firstPointFrom(positions: readonly number[], position: number): number {
  let [low, high] = [0, positions.length];
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (positions[middle]! < position) low = middle + 1;
    else high = middle;
  }
  return low === positions.length ? 0 : low;
}

/** The members in the order a key meets them: its home first, then clockwise, each once. */
export function* clockwise(ring: HashRing, key: string): Generator<string> {
  const count = ring.positions.length;
  if (count === 0) return;
  const start = firstPointFrom(ring.positions, positionOf(key));
  const met = new Set<string>();
  for (let step = 0; step < count && met.size < ring.size; step++) {
    const member = ring.members[(start + step) % count]!;
    if (met.has(member)) continue;
    met.add(member);
    yield member;
  }
}

/**
 * The most a replica may hold with this request counted: ceil(loadFactor × (total + 1) / replicas),
 * the mean load after the request, raised by the factor. With a factor of at least 1 some replica is
 * always within it (the least loaded holds at most floor(total / replicas)). The tolerance keeps a
 * product like 1.1 × 50 / 5 (11.000000000000002 in floating point) from rounding up a whole request.
 */
export const loadBound = (total: number, replicas: number, loadFactor: number) =>
  Math.ceil((loadFactor * (total + 1)) / replicas - 1e-9);

export interface PrefixHashRequest<T> {
  ring: HashRing;
  /** The request's affinity key. */
  key: string;
  /** The replicas that may take it: the ring's members less those already tried. */
  candidates: readonly T[];
  /** A candidate's member key on the ring (replicaKey). */
  keyOf: (candidate: T) => string;
  /** Requests outstanding on the candidate (this gateway's count). */
  loadOf: (candidate: T) => number;
  /** 1.25: a replica may hold up to a quarter more than the mean before requests spill over. */
  loadFactor: number;
}

/**
 * The candidate that takes the request: the first on the key's walk within the bound, the bound
 * taken over the candidates (a tried replica is neither a taker nor part of the mean). Its reason:
 * `prefix_hash` when it is the home (the first candidate the walk meets), `prefix_overflow` when the
 * home was over the bound; `only_replica` when there is one candidate. Undefined when there is none.
 */
export function choosePrefixHash<T>(request: PrefixHashRequest<T>): Choice<T> | undefined {
  const { ring, key, candidates, keyOf, loadOf, loadFactor } = request;
  if (candidates.length === 0) return undefined;
  if (candidates.length === 1) return { chosen: candidates[0]!, reason: 'only_replica' };
  const byMember = new Map(candidates.map((candidate) => [keyOf(candidate), candidate]));
  const total = candidates.reduce((sum, candidate) => sum + loadOf(candidate), 0);
  const bound = loadBound(total, candidates.length, loadFactor);
  let homeMet = false;
  for (const member of clockwise(ring, key)) {
    const candidate = byMember.get(member);
    if (candidate === undefined) continue;
    if (loadOf(candidate) + 1 <= bound)
      return { chosen: candidate, reason: homeMet ? 'prefix_overflow' : 'prefix_hash' };
    homeMet = true;
  }
  // only with a factor under 1, or candidates the ring lacks: the least loaded, the first of equals
  const least = candidates.reduce((best, candidate) => (loadOf(candidate) < loadOf(best) ? candidate : best));
  return { chosen: least, reason: 'prefix_overflow' };
}

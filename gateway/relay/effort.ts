import { DEFAULT_REASONING_EFFORT, REASONING_EFFORTS, type ReasoningEffort } from '../../contract/models.js';

/** The answer's header (HTTP) and metadata (gRPC) that says a request was served below the effort it asked. */
export const EFFORT_CAPPED_HEADER = 'x-gptoss-reasoning-effort-capped';

/** A request's effort lowered to its key's cap: what it is served at, and the header's value ("high->low"). */
export interface CappedEffort {
  served: ReasoningEffort;
  header: string;
}

const rank = (effort: ReasoningEffort) => REASONING_EFFORTS.indexOf(effort);
const isEffort = (value: unknown): value is ReasoningEffort =>
  typeof value === 'string' && (REASONING_EFFORTS as readonly string[]).includes(value);

/**
 * The cap applied to what a request asked: null when it stays as asked (no cap, at or below the
 * cap, or a value that is no effort at all, which the runtime refuses in its own words). None asked
 * (undefined, null) means the runtime's default, which counts as medium.
 */
export function capEffort(asked: unknown, cap: ReasoningEffort | null): CappedEffort | null {
  if (cap === null) return null;
  const effort = asked === undefined || asked === null ? DEFAULT_REASONING_EFFORT : asked;
  if (!isEffort(effort) || rank(effort) <= rank(cap)) return null;
  return { served: cap, header: `${effort}->${cap}` };
}

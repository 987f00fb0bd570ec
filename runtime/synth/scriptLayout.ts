import type { Vocabulary } from './vocab.js';

/**
 * Where the scripted model keeps each feature in its residual stream (see harmonyScript.ts for the
 * circuit). Every dimension holds one thing:
 * - a constant C0, much larger than everything else, so RMS normalisation divides by nearly the
 *   same number at every position and the norms' weights (C0/sqrt(D)) give back the features as
 *   they were written;
 * - a one-hot dimension for each token the script reacts to (WATCHED);
 * - the current token's id as three base-8 digits, one-hot (TOK), which the copy head moves;
 * - flags written by detector heads, the positional features written by the offset heads, and the
 *   copied token's digits (COPY).
 */

export const C0 = 256;
/** Digits of a token id: three base-8 digits cover 512 ids, more than the compact vocabulary holds. */
export const DIGITS = 3;
export const DIGIT_BASE = 8;

export const FLAGS = [
  'lineType',
  'calling',
  'result',
  'said',
  'constrained',
  'params',
  'reasoned',
  'effortCue',
  'low',
  'medium',
  'high',
  'tools',
  'preambleHere',
  'emptyMessage',
  'preambled',
] as const;
export type Flag = (typeof FLAGS)[number];

/**
 * The offset heads' outputs (scriptOffsets.ts): the parity of the distance to the anchor, cosine
 * and sine at pi/4, pi/16 and pi/64, and which kind of anchor is in view (the attention the two
 * parity heads put on it, by kind: 1 in the region of that kind of anchor, else 0).
 */
export const OFFSET_FEATURES = ['parity', 'c4', 's4', 'c16', 's16', 'c64', 's64'] as const;
export type OffsetFeature = (typeof OFFSET_FEATURES)[number];
export const ANCHOR_KINDS = ['name', 'call', 'result', 'answer'] as const;
export type AnchorKind = (typeof ANCHOR_KINDS)[number];

export interface ScriptLayout {
  readonly embedding: number;
  readonly constant: number;
  /** The one-hot dimension of a watched token (by text), or an error. */
  watched(token: string): number;
  readonly watchedDims: ReadonlyMap<number, number>;
  tokDigit(position: number, digit: number): number;
  copyDigit(position: number, digit: number): number;
  flag(name: Flag): number;
  offset(name: OffsetFeature): number;
  /** 1 where a position measures from an anchor of this kind. */
  inView(kind: AnchorKind): number;
}

/** The digits of a token id, least significant first. */
export function digitsOf(id: number): number[] {
  if (id >= DIGIT_BASE ** DIGITS) throw new Error(`token id ${id} has more than ${DIGITS} base-${DIGIT_BASE} digits`);
  return Array.from({ length: DIGITS }, (_, i) => Math.floor(id / DIGIT_BASE ** i) % DIGIT_BASE);
}

export function scriptLayout(vocab: Vocabulary, watchedTokens: readonly string[], embedding: number): ScriptLayout {
  let next = 1;
  const take = (n: number) => {
    const first = next;
    next += n;
    return first;
  };
  const watchedDims = new Map(watchedTokens.map((t) => [vocab.idOf(t), take(1)]));
  const tok = take(DIGITS * DIGIT_BASE);
  const flags = new Map(FLAGS.map((f) => [f, take(1)]));
  const offsets = new Map(OFFSET_FEATURES.map((f) => [f, take(1)]));
  const views = new Map(ANCHOR_KINDS.map((k) => [k, take(1)]));
  const copy = take(DIGITS * DIGIT_BASE);
  if (next > embedding) throw new Error(`the scripted model needs an embedding of at least ${next}, not ${embedding}`);
  return {
    embedding,
    constant: 0,
    watched(token) {
      const dim = watchedDims.get(vocab.idOf(token));
      if (dim === undefined) throw new Error(`token ${JSON.stringify(token)} has no feature dimension`);
      return dim;
    },
    watchedDims,
    tokDigit: (position, digit) => tok + position * DIGIT_BASE + digit,
    copyDigit: (position, digit) => copy + position * DIGIT_BASE + digit,
    flag: (name) => flags.get(name)!,
    offset: (name) => offsets.get(name)!,
    inView: (kind) => views.get(kind)!,
  };
}

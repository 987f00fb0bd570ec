import type { OffsetFeature } from './scriptLayout.js';

/**
 * What the code is made of: the offset heads' features, and `view`, the attention on the anchor
 * (1, or 0 with none).
 */
export type CodeInput = OffsetFeature | 'view';

/**
 * The positional code the scripted model copies with. Each offset head attends to one anchor token
 * (or its sink) with a score of `epsilon * cos(theta * d + phase)`, d the distance back to the
 * anchor, so its attention on the anchor is a sigmoid of that cosine: two opposite heads at theta = pi
 * (the parity of d), and a cosine and a sine head at pi/4, pi/16 and pi/64. Centred, these eight
 * numbers are a code of d; the copy head's query, the code of the answer position turned forward by
 * one step, scores highest against the source position one further on, and every other offset
 * below 128 at least 40 less (copyScore, checked by tests/runtime/synth/scriptOffsets.test.ts).
 */

export const PARITY_EPSILON = 4;
export const WAVE_EPSILON = 1;
export interface Wave {
  pair: number;
  cos: OffsetFeature;
  sin: OffsetFeature;
}
/** RoPE pairs 1, 2 and 3 turn by pi/4, pi/16 and pi/64 a position (scriptAttention.ts). */
export const WAVES: readonly Wave[] = [
  { pair: 1, cos: 'c4', sin: 's4' },
  { pair: 2, cos: 'c16', sin: 's16' },
  { pair: 3, cos: 'c64', sin: 's64' },
];
export const thetaOf = (pair: number) => Math.PI / 4 ** pair;
/** Offsets the code tells apart: sources and answers are kept within this window of their anchors. */
export const COPY_WINDOW = 128;
/** The answer position d reads the source position d + 1 (the token after the one it has just written). */
export const COPY_SHIFT = 1;
/** Score of the copied position over the best other one, and over everything outside the gates. */
export const KERNEL_SCALE = 45;

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * What the offset heads write for an anchor d positions back: the two parity heads' attentions on
 * it, p0 = sigmoid(4 cos(pi d)) and p1 = sigmoid(-4 cos(pi d)), as their difference (parity) and
 * sum (view, exactly 1); each wave head's attention on it.
 */
export function offsetInputs(d: number): Record<CodeInput, number> {
  const parity = Math.cos(Math.PI * d);
  const p0 = sigmoid(PARITY_EPSILON * parity);
  const p1 = sigmoid(-PARITY_EPSILON * parity);
  const inputs = { parity: p0 - p1, view: p0 + p1 } as Record<CodeInput, number>;
  for (const w of WAVES) {
    inputs[w.cos] = sigmoid(WAVE_EPSILON * Math.cos(thetaOf(w.pair) * d));
    inputs[w.sin] = sigmoid(WAVE_EPSILON * Math.sin(thetaOf(w.pair) * d));
  }
  return inputs;
}

/** The code as linear combinations: the parity, and each wave centred on half the view (zero with no anchor). */
export const CODE: ReadonlyArray<Partial<Record<CodeInput, number>>> = [
  { parity: 1 },
  ...WAVES.flatMap((w) => [
    { [w.cos]: 1, view: -0.5 },
    { [w.sin]: 1, view: -0.5 },
  ]),
];

export function codeOf(inputs: Record<CodeInput, number>): number[] {
  return CODE.map((row) => Object.entries(row).reduce((sum, [f, w]) => sum + w * inputs[f as CodeInput], 0));
}

/** Scales so that each wave's largest squared norm, and the parity's, weigh 1 before KERNEL_SCALE. */
function amplitudes(): number[] {
  const codes = Array.from({ length: COPY_WINDOW }, (_, d) => codeOf(offsetInputs(d)));
  const parity = 1 / codes[0]![0]! ** 2;
  const waves = WAVES.map((_, w) => 1 / Math.max(...codes.map((c) => c[1 + 2 * w]! ** 2 + c[2 + 2 * w]! ** 2)));
  return [parity, ...waves.flatMap((a) => [a, a])].map((a) => a * KERNEL_SCALE);
}
const AMPLITUDES = amplitudes();

/**
 * The copy head's query as a matrix on the code: each wave's (cos, sin) turned forward by
 * COPY_SHIFT steps of its frequency (the parity flips), and scaled. Row r: the query's code dimension r.
 */
export const QUERY_FROM_CODE: readonly (readonly number[])[] = (() => {
  const n = CODE.length;
  const m = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  m[0]![0] = AMPLITUDES[0]! * Math.cos(Math.PI * COPY_SHIFT);
  WAVES.forEach((w, i) => {
    const a = thetaOf(w.pair) * COPY_SHIFT;
    const [c, s] = [1 + 2 * i, 2 + 2 * i];
    const amp = AMPLITUDES[c]!;
    m[c]![c] = amp * Math.cos(a);
    m[c]![s] = -amp * Math.sin(a);
    m[s]![c] = amp * Math.sin(a);
    m[s]![s] = amp * Math.cos(a);
  });
  return m;
})();

/** The copy score between an answer position dq after its anchor and a source position dk after its own. */
export function copyScore(dq: number, dk: number): number {
  const q = codeOf(offsetInputs(dq));
  const k = codeOf(offsetInputs(dk));
  return QUERY_FROM_CODE.reduce((sum, row, r) => sum + row.reduce((s, w, c) => s + w * q[c]!, 0) * k[r]!, 0);
}

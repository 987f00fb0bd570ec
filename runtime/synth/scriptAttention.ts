/**
 * Hand-written attention weights for one gpt-oss layer, in the units the script thinks in: a
 * query-key product is the attention score itself (the 1/sqrt(head dim) llama.cpp applies is
 * undone here), a residual dimension is read as written (the norms give features back unscaled,
 * see scriptLayout.ts).
 *
 * RoPE: the scripted model's file sets a frequency base of 2^32 and linear scaling by 1/pi, so that
 * in a head of 32 dimensions (NEOX pairs: dimension i turns with i + 16) pair p turns by pi / 4^p
 * per position: pair 0 flips sign at every step, pairs 1-7 resolve offsets up to 2 * 4^7, and pairs
 * 10-15 turn by less than a millionth of a turn per position, so content put there ignores distance.
 */

export const SCRIPT_HEAD_DIM = 32;
/** Heads a layer needs: the detector layer uses ten (scriptHeads.ts). */
export const SCRIPT_HEADS = 10;
export const ROPE_FREQ_BASE = 2 ** 32;
export const ROPE_SCALE = Math.PI;
/** Radians pair p of a head turns per position. */
export const ropeTheta = (pair: number) => Math.PI / 4 ** pair;
/** Dimensions whose rotation is negligible: pairs 10 to 15. */
export const STATIC_DIMS: readonly number[] = [10, 11, 12, 13, 14, 15, 26, 27, 28, 29, 30, 31];

export interface AttentionShape {
  embedding: number;
  heads: number;
  headDim: number;
}

/** A head's input: a residual dimension, or the bias (a constant 1). */
export type Input = number | 'bias';

export class AttentionWeights {
  private readonly qw: Float32Array;
  private readonly kw: Float32Array;
  private readonly vw: Float32Array;
  private readonly ow: Float32Array;
  private readonly qb: Float32Array;
  private readonly kb: Float32Array;
  private readonly vb: Float32Array;
  private readonly sinks: Float32Array;
  private readonly scoreScale: number;

  constructor(private readonly shape: AttentionShape) {
    const { embedding: D, heads, headDim } = shape;
    const width = heads * headDim;
    this.qw = new Float32Array(D * width);
    this.kw = new Float32Array(D * width);
    this.vw = new Float32Array(D * width);
    this.ow = new Float32Array(width * D);
    this.qb = new Float32Array(width);
    this.kb = new Float32Array(width);
    this.vb = new Float32Array(width);
    this.sinks = new Float32Array(heads);
    this.scoreScale = Math.sqrt(headDim);
  }

  /** Adds to the query's dimension `e` of `head`: `weight` times the input (scores come out as q·k). */
  query(head: number, e: number, input: Input, weight: number): void {
    this.add(this.qw, this.qb, head, e, input, weight * this.scoreScale);
  }

  key(head: number, e: number, input: Input, weight: number): void {
    this.add(this.kw, this.kb, head, e, input, weight);
  }

  value(head: number, e: number, input: Input, weight: number): void {
    this.add(this.vw, this.vb, head, e, input, weight);
  }

  /** The head's value dimension `e` goes to residual dimension `to`. */
  output(head: number, e: number, to: number, weight = 1): void {
    const index = to * this.shape.heads * this.shape.headDim + head * this.shape.headDim + e;
    this.ow[index] = this.ow[index]! + weight;
  }

  /** The head's attention sink: a logit that takes the attention no key earns. */
  sink(head: number, logit: number): void {
    this.sinks[head] = logit;
  }

  tensors(layer: number): Array<[string, Float32Array]> {
    const b = `blk.${layer}.`;
    return [
      [`${b}attn_q.weight`, this.qw],
      [`${b}attn_k.weight`, this.kw],
      [`${b}attn_v.weight`, this.vw],
      [`${b}attn_output.weight`, this.ow],
      [`${b}attn_q.bias`, this.qb],
      [`${b}attn_k.bias`, this.kb],
      [`${b}attn_v.bias`, this.vb],
      [`${b}attn_sinks.weight`, this.sinks],
    ];
  }

  private add(weights: Float32Array, bias: Float32Array, head: number, e: number, input: Input, weight: number) {
    const row = head * this.shape.headDim + e;
    if (input === 'bias') bias[row] = bias[row]! + weight;
    else weights[row * this.shape.embedding + input] = weights[row * this.shape.embedding + input]! + weight;
  }
}

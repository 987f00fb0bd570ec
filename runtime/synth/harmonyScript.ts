import { REASONING_EFFORTS, type ReasoningEffort } from '../../contract/models.js';
import type { GptOssShape } from './presets.js';
import type { Vocabulary } from './vocab.js';

/**
 * The scripted harmony model: weights shaped (not trained) so that, asked through the harmony chat
 * format, a gpt-oss model answers with an analysis message whose text depends on the prompt's
 * reasoning effort, then a final message, then <|return|>. Tests assert these exact strings.
 *
 * How: token embeddings are one-hot features; in the dense attention layer three heads detect, from
 * anywhere in the context, the channel names "analysis" and "final" and the words " low", " medium"
 * and " high" (the system message's "Reasoning: ..." line), each writing a flag into the residual;
 * the output matrix maps (current token, flags) to the next token with large margins. Queries and keys
 * use the head dimensions that RoPE barely rotates (huge freq_base), so detection ignores position.
 * Limits: one user turn; user text must not contain those words or earlier assistant turns.
 */

export const SCRIPTED_ANALYSIS_TOKENS: Readonly<Record<ReasoningEffort, readonly string[]>> = {
  low: ['Quick', ' look', ': answer', ' now.'],
  medium: ['Some', ' thought', ': weigh', ' it.'],
  high: ['Deep', ' thinking', ': check', ' everything.'],
};
export const SCRIPTED_FINAL_TOKENS: readonly string[] = ['Hello', ' from', ' synthetic', ' gpt-oss!'];

export const SCRIPTED_REASONING: Readonly<Record<ReasoningEffort, string>> = {
  low: SCRIPTED_ANALYSIS_TOKENS.low.join(''),
  medium: SCRIPTED_ANALYSIS_TOKENS.medium.join(''),
  high: SCRIPTED_ANALYSIS_TOKENS.high.join(''),
};
export const SCRIPTED_ANSWER = SCRIPTED_FINAL_TOKENS.join('');
/**
 * Tokens the model samples for one answer after `<|start|>assistant`, each counted in usage:
 * `<|channel|>analysis<|message|>`, the reasoning, `<|end|><|start|>assistant<|channel|>final<|message|>`,
 * the answer, `<|return|>`.
 */
export const SCRIPTED_COMPLETION_TOKENS =
  3 + SCRIPTED_ANALYSIS_TOKENS.medium.length + 6 + SCRIPTED_FINAL_TOKENS.length + 1;

/** Words the tokenizer must keep whole so the detectors see them. */
export const SCRIPT_WORDS = [
  'analysis',
  ' analysis',
  'final',
  ' final',
  'assistant',
  ' low',
  ' medium',
  ' high',
  'user',
  'system',
  'developer',
  'Reasoning',
  ' commentary',
];
export const SCRIPT_EMITTED = [...Object.values(SCRIPTED_ANALYSIS_TOKENS).flat(), ...SCRIPTED_FINAL_TOKENS];

const FLAGS = ['analysis', 'final', ...REASONING_EFFORTS] as const;
type Flag = (typeof FLAGS)[number];

/** Dimension 0 is "any other token", then the flags, then one per token the script reacts to. */
function featureLayout(vocab: Vocabulary, embedding: number) {
  const flagDim = new Map<Flag, number>(FLAGS.map((f, i) => [f, 1 + i]));
  const watched = [
    'assistant',
    '<|channel|>',
    'analysis',
    'final',
    '<|message|>',
    '<|end|>',
    '<|start|>',
    ' low',
    ' medium',
    ' high',
    ...SCRIPT_EMITTED,
  ];
  const tokenDim = new Map<number, number>(watched.map((t, i) => [vocab.idOf(t), 1 + FLAGS.length + i]));
  const needed = 1 + FLAGS.length + watched.length;
  if (needed > embedding) throw new Error(`the scripted model needs an embedding of at least ${needed}`);
  const dimOf = (token: string) => {
    const dim = tokenDim.get(vocab.idOf(token));
    if (dim === undefined) throw new Error(`token ${JSON.stringify(token)} has no feature dimension`);
    return dim;
  };
  return { flagDim: (f: Flag) => flagDim.get(f)!, tokenDim, dimOf };
}

/** Margins: the current token's successor gets CURRENT; flag conditions add less than that. */
const CURRENT = 40;
const DEFAULT_BRANCH = 5;
const FLAG_BONUS = 10;
const FINAL_BONUS = 20;
/** Detection score (q·k after scaling) far above the sink, which absorbs attention when nothing matches. */
const KEY_WEIGHT = 20;
const SINK = 15;

export function scriptedTensors(shape: GptOssShape, vocab: Vocabulary): Map<string, Float32Array> {
  const { embedding: D, heads, kvHeads, headDim: hd } = shape;
  if (kvHeads < 2 || heads / kvHeads < 2)
    throw new Error('the scripted model needs at least 2 KV heads and 2 heads per KV head');
  const V = vocab.tokens.length;
  const { flagDim, tokenDim, dimOf } = featureLayout(vocab, D);
  const out = new Map<string, Float32Array>();

  const embd = new Float32Array(D * V);
  for (let t = 0; t < V; t++) embd[t * D + (tokenDim.get(t) ?? 0)] = 1;
  out.set('token_embd.weight', embd);

  const logits = new Float32Array(D * V);
  const rule = (from: number, next: string, weight: number) => {
    const index = vocab.idOf(next) * D + from;
    logits[index] = logits[index]! + weight;
  };
  rule(dimOf('assistant'), '<|channel|>', CURRENT);
  rule(dimOf('<|channel|>'), 'analysis', CURRENT + DEFAULT_BRANCH);
  rule(dimOf('<|channel|>'), 'final', CURRENT);
  rule(flagDim('analysis'), 'final', FLAG_BONUS);
  rule(dimOf('analysis'), '<|message|>', CURRENT);
  rule(dimOf('final'), '<|message|>', CURRENT);
  rule(dimOf('<|end|>'), '<|start|>', CURRENT);
  rule(dimOf('<|start|>'), 'assistant', CURRENT);
  const chain = (first: string, tokens: readonly string[], last: string) => {
    rule(dimOf(first), tokens[0]!, CURRENT);
    tokens.forEach((token, i) => rule(dimOf(token), tokens[i + 1] ?? last, CURRENT));
  };
  for (const effort of REASONING_EFFORTS) {
    const tokens = SCRIPTED_ANALYSIS_TOKENS[effort];
    chain('<|message|>', tokens, '<|end|>');
    rule(flagDim(effort), tokens[0]!, FLAG_BONUS);
  }
  chain('<|message|>', SCRIPTED_FINAL_TOKENS, '<|return|>');
  rule(flagDim('final'), SCRIPTED_FINAL_TOKENS[0]!, FINAL_BONUS);
  out.set('output.weight', logits);

  // Dense layer (index 1): detector heads. Head a and f share KV head 0; head e uses KV head 1.
  const group = heads / kvHeads;
  const detectors: Array<{ head: number; kv: number; keyDim: number; tokens: string[]; flags: Flag[] }> = [
    { head: 0, kv: 0, keyDim: hd / 2 - 1, tokens: ['analysis'], flags: ['analysis'] },
    { head: 1, kv: 0, keyDim: hd / 2 - 2, tokens: ['final'], flags: ['final'] },
    { head: group, kv: 1, keyDim: hd / 2 - 1, tokens: [' low', ' medium', ' high'], flags: ['low', 'medium', 'high'] },
  ];
  const qBias = new Float32Array(heads * hd);
  const wk = new Float32Array(D * kvHeads * hd);
  const wv = new Float32Array(D * kvHeads * hd);
  const wo = new Float32Array(heads * hd * D);
  // Value dimension per flag inside its KV head, so two detectors sharing a KV head do not mix.
  const valueDim = [0, 0];
  for (const d of detectors) {
    qBias[d.head * hd + d.keyDim] = 1;
    d.tokens.forEach((token, i) => {
      const from = dimOf(token);
      wk[(d.kv * hd + d.keyDim) * D + from] = KEY_WEIGHT;
      const vd = valueDim[d.kv]!++;
      // attn_norm scales a one-hot embedding to sqrt(D); undo it so the flag is 1
      wv[(d.kv * hd + vd) * D + from] = 1 / Math.sqrt(D);
      wo[flagDim(d.flags[i]!) * heads * hd + d.head * hd + vd] = 1;
    });
  }
  out.set('blk.1.attn_q.bias', qBias);
  out.set('blk.1.attn_k.weight', wk);
  out.set('blk.1.attn_v.weight', wv);
  out.set('blk.1.attn_output.weight', wo);
  out.set('blk.1.attn_sinks.weight', new Float32Array(heads).fill(SINK));
  out.set('blk.0.attn_sinks.weight', new Float32Array(heads).fill(SINK));
  return out;
}

import { REASONING_EFFORTS } from '../../contract/models.js';
import { C0, FLAGS, digitsOf, type Flag, type ScriptLayout } from './scriptLayout.js';
import { ANALYSIS_TOKENS, ANSWER_TOKENS, TOOL_ANSWER_TOKENS } from './scriptTokens.js';
import type { Vocabulary } from './vocab.js';

/**
 * The scripted model's embeddings and output matrix. The output turns the final residual into
 * logits from three parts, in this order of strength:
 * - fallback: a fixed order over `<|return|>` and the tokens JSON is made of (`"` first, then `}`,
 *   `]`, `:`, `,`, `0`, `{`, `[`, `f`, `n`, `t`, digits, lowercase letters), FALLBACK_GAP apart, all
 *   other tokens below. Where a grammar forbids what the rules want, the model takes the first
 *   allowed token in this order, so the JSON it writes under any grammar is fixed: empty strings,
 *   0, false, [], {}; where nothing else applies it ends its turn;
 * - rules: the next token from the current one and the detectors' flags, each a threshold unit
 *   worth RULE when its conditions hold, at most 0 otherwise and never below -RULE where a copy runs.
 *   Rules for a token of the fallback order never go below 0 (they have no flag conditions), so a
 *   grammar always meets the fallback order as it is;
 * - copy: COPY per digit of the copied token, so the copied token wins by at least COPY - 2 RULE -
 *   the fallback's range over any token sharing two of its digits.
 */

const FALLBACK_GAP = 16;
const FALLBACK_ORDER = [
  '<|return|>',
  ...['"', '}', ']', ':', ',', '0', '{', '[', 'f', 'n', 't', ...'123456789', '-', '.', 'e', 'E', '+'],
];
const LOWERCASE = [...'abcdefghijklmnopqrstuvwxyz'].filter((c) => !FALLBACK_ORDER.includes(c));
const RANKED = [...FALLBACK_ORDER, ...LOWERCASE];
/** Fallback logit of every token not in RANKED. */
const FALLBACK_FLOOR = -FALLBACK_GAP * RANKED.length;
const MARGIN = 40;
/** A rule beats the whole fallback range. */
export const RULE = -FALLBACK_FLOOR + MARGIN;
/** The copied token beats one sharing two digits, a rule for that one and one against it, and the fallback. */
export const COPY = 2 * RULE - FALLBACK_FLOOR + MARGIN;

/** A message's own first token outranks the `{` that opens JSON anywhere else. */
const FIRST = 2 * RULE;

/** A feature the rule reads, a watched token's text or a Flag, and its weight. */
export type Term = [feature: string, weight: number];

export interface Rule {
  next: string;
  strength: number;
  terms: Term[];
  bias: number;
}

/** `next` after token `after`, when every flag in `all` is set and none in `none`: worth strength, else at most 0. */
const when = (after: string, next: string, all: Flag[] = [], none: Flag[] = [], strength = RULE): Rule => ({
  next,
  strength,
  terms: [[after, 1], ...all.map((f): Term => [f, 1]), ...none.map((f): Term => [f, -1])],
  bias: -all.length,
});

const chain = (first: string, tokens: readonly string[], last: string): Rule[] =>
  [first, ...tokens].map((token, i) => when(token, tokens[i] ?? last));

const C = '<|channel|>';
const M = '<|message|>';

/**
 * The channel after `<|channel|>`: the first message is the analysis; after it a call while tools
 * are offered and none was made, else the final answer (a call already made, a result to quote, or
 * a call the engine refused, which left an empty message). Each scores its flags, and `<|channel|>`
 * weighs as much as the most they can add, so that elsewhere the rule is worth at most 0.
 */
function channelRules(): Rule[] {
  const gated = (next: string, terms: Term[], bias: number): Rule => {
    const most = terms.reduce((sum, [, w]) => sum + Math.max(w, 0), bias);
    return { next, strength: RULE, terms: [[C, most], ...terms], bias: bias - most };
  };
  return [
    gated('analysis', [['reasoned', -2]], 2),
    gated(
      'commentary',
      [
        ['reasoned', 1],
        ['tools', 1],
        ['calling', -1],
        ['preambled', -2],
      ],
      -1,
    ),
    gated(
      'final',
      [
        ['reasoned', 2],
        ['calling', 1],
        ['preambled', 1],
        ['tools', -1],
      ],
      -1,
    ),
  ];
}

/**
 * Every rule, each checked by tests/runtime/synth/scriptDecisions.test.ts in the states the script
 * passes through. Weights beyond 1 on a trigger or a flag make one rule outrank another where both
 * hold (the channel after `<|channel|>`).
 */
export function scriptRules(): Rule[] {
  return [
    when('assistant', C),
    when('<|end|>', '<|start|>'),
    when('<|start|>', 'assistant'),
    ...channelRules(),
    when('analysis', M),
    when('final', M),
    when('json', M),
    // a message's first token: JSON's `{` unless a message of the script's own applies (they outrank
    // it): the reasoning, the answer, the quoted result, or closing a preamble
    when(M, '{'),
    ...REASONING_EFFORTS.map((e) => when(M, ANALYSIS_TOKENS[e][0]!, [e], ['reasoned'], FIRST)),
    when(M, ANSWER_TOKENS[0]!, ['reasoned'], ['result', 'constrained', 'preambleHere'], FIRST),
    when(M, TOOL_ANSWER_TOKENS[0]!, ['reasoned', 'result'], ['preambleHere'], FIRST),
    // a preamble: the header was meant for a call the engine did not allow; close it, say nothing.
    // No bias: the flag is set only at such a `<|message|>`, and other rules end messages with `<|end|>`
    { next: '<|end|>', strength: FIRST, terms: [['preambleHere', 1]], bias: 0 },
    ...REASONING_EFFORTS.flatMap((e) => chain(ANALYSIS_TOKENS[e][0]!, ANALYSIS_TOKENS[e].slice(1), '<|end|>')),
    ...chain(ANSWER_TOKENS[0]!, ANSWER_TOKENS.slice(1), '<|return|>'),
    ...chain(TOOL_ANSWER_TOKENS[0]!, TOOL_ANSWER_TOKENS.slice(1, -1), TOOL_ANSWER_TOKENS.at(-1)!),
    // the call's header, `commentary to=functions.NAME <|constrain|>json<|message|>`: the space
    // before `to`, and the one after the name (a call in view)
    when('commentary', ' '),
    when(' ', 'to'),
    {
      next: '<|constrain|>',
      strength: RULE,
      terms: [
        [' ', 2],
        ['calling', 2],
        ['constrained', -1],
        ['result', -1],
      ],
      bias: -2,
    },
    when('to', '=functions'),
    when('=functions', '.'),
    when('<|constrain|>', 'json'),
    when('{', '}'),
    when('[', ']'),
    when('}', '<|call|>', ['constrained'], ['result']),
  ];
}

/** Token embeddings: the constant, the one-hot of a watched token, the id's digits. */
export function embeddings(vocab: Vocabulary, layout: ScriptLayout): Float32Array {
  const D = layout.embedding;
  const embd = new Float32Array(D * vocab.tokens.length);
  for (let t = 0; t < vocab.tokens.length; t++) {
    embd[t * D + layout.constant] = C0;
    const watched = layout.watchedDims.get(t);
    if (watched !== undefined) embd[t * D + watched] = 1;
    digitsOf(t).forEach((d, p) => (embd[t * D + layout.tokDigit(p, d)] = 1));
  }
  return embd;
}

export function outputMatrix(vocab: Vocabulary, layout: ScriptLayout): Float32Array {
  const D = layout.embedding;
  const out = new Float32Array(D * vocab.tokens.length);
  const add = (token: number, dim: number, weight: number) => (out[token * D + dim] = out[token * D + dim]! + weight);
  const isFlag = (feature: string): feature is Flag => (FLAGS as readonly string[]).includes(feature);
  const dimOf = (feature: string) => (isFlag(feature) ? layout.flag(feature) : layout.watched(feature));
  for (let t = 0; t < vocab.tokens.length; t++) add(t, layout.constant, FALLBACK_FLOOR / C0);
  RANKED.forEach((token, rank) =>
    add(vocab.idOf(token), layout.constant, (-FALLBACK_GAP * rank - FALLBACK_FLOOR) / C0),
  );
  for (const rule of scriptRules()) {
    const next = vocab.idOf(rule.next);
    for (const [feature, weight] of rule.terms) add(next, dimOf(feature), rule.strength * weight);
    add(next, layout.constant, (rule.strength * rule.bias) / C0);
  }
  const end = vocab.idOf('<|end|>');
  for (let t = 0; t < vocab.tokens.length; t++) {
    // a copied <|end|> closes the quoted result: it is the answer's <|return|>
    const reads = t === end ? null : t === vocab.idOf('<|return|>') ? end : t;
    if (reads !== null) digitsOf(reads).forEach((d, p) => add(t, layout.copyDigit(p, d), COPY));
  }
  return out;
}

import { describe, expect, it } from 'vitest';
import type { ReasoningEffort } from '../../../contract/models.js';
import { SCRIPTED_TOKENS, SCRIPT_VOCABULARY } from '../../../runtime/synth/harmonyScript.js';
import { BYTE_SYMBOLS } from '../../../runtime/synth/bpe.js';
import { SCRIPTED_SHAPES } from '../../../runtime/synth/presets.js';
import { C0, FLAGS, digitsOf, scriptLayout, type Flag } from '../../../runtime/synth/scriptLayout.js';
import { outputMatrix } from '../../../runtime/synth/scriptOutput.js';
import { ANALYSIS_TOKENS, WATCHED } from '../../../runtime/synth/scriptTokens.js';
import { buildVocabulary } from '../../../runtime/synth/vocab.js';

/**
 * The scripted model's output layer alone (runtime/synth/scriptOutput.ts): given the residual its
 * attention layers write (the current token, the detectors' flags, the copied token), the next
 * token, at every step of every scripted turn, by a margin that makes sampling at temperature 1 as
 * exact as greedy; and where a grammar forbids what it wants, the fallback order. The flags are set
 * here as the detectors set them (docs/synthetic-models.md), so this pins the rules, not the heads.
 */

const vocab = buildVocabulary({ ...SCRIPT_VOCABULARY, specials: 'compact' });
const layout = scriptLayout(vocab, WATCHED, SCRIPTED_SHAPES.tiny!.embedding);
const output = outputMatrix(vocab, layout);
const D = layout.embedding;
/** A logit gap of 30 leaves the runner-up e^-30 of the winner's probability at temperature 1. */
const MARGIN = 30;

type Flags = Partial<Record<Flag, number>>;

function logits(current: string, flags: Flags, copied?: string): Float64Array {
  const residual = new Float64Array(D);
  residual[layout.constant] = C0;
  const watched = layout.watchedDims.get(vocab.idOf(current));
  if (watched !== undefined) residual[watched] = 1;
  for (const flag of FLAGS) residual[layout.flag(flag)] = flags[flag] ?? 0;
  if (copied !== undefined) digitsOf(vocab.idOf(copied)).forEach((d, p) => (residual[layout.copyDigit(p, d)] = 1));
  const out = new Float64Array(vocab.tokens.length);
  for (let t = 0; t < out.length; t++) {
    let sum = 0;
    for (let e = 0; e < D; e++) sum += output[t * D + e]! * residual[e]!;
    out[t] = sum;
  }
  return out;
}

/** The likeliest token among `allowed` (all when absent), and its lead over the next. */
function decide(current: string, flags: Flags, copied?: string, allowed?: readonly string[]) {
  const scores = logits(current, flags, copied);
  const ids = allowed ? allowed.map((t) => vocab.idOf(t)) : [...scores.keys()];
  const ranked = ids.sort((a, b) => scores[b]! - scores[a]!);
  const [best, next] = ranked as [number, number];
  return { token: text(best), lead: scores[best]! - scores[next]! };
}

const SYMBOL_BYTE = new Map(BYTE_SYMBOLS.map((symbol, byte) => [symbol, byte]));
/** A token's text: harmony's tokens as they are, others from their byte-level symbols. */
function text(id: number): string {
  const symbols = vocab.tokens[id]!;
  if (symbols.startsWith('<|')) return symbols;
  return Buffer.from([...symbols].map((s) => SYMBOL_BYTE.get(s)!)).toString('utf8');
}

/** The flags the detector heads set at the last token of `context` (scriptHeads.ts). */
function flagsAt(context: readonly string[], effort: ReasoningEffort): Flags {
  const has = (token: string) => context.includes(token);
  const [previous, current] = context.slice(-2);
  const reasoned = Object.values(ANALYSIS_TOKENS).flat().some(has);
  const emptied = context.some((t, i) => t === '<|message|>' && context[i + 1] === '<|end|>');
  return {
    tools: +has('namespace'),
    calling: +has('=functions'),
    result: +has('=assistant'),
    said: +has('The'),
    constrained: +has('<|constrain|>'),
    reasoned: +reasoned,
    [effort]: 1,
    preambleHere: +(current === '<|message|>' && previous === 'commentary'),
    preambled: +emptied,
  };
}

/** What the copy head reads at the last token of `generated` (scriptHeads.ts copyHead). */
function copiedAt(generated: readonly string[], name: readonly string[], result: readonly string[]) {
  const current = generated.at(-1)!;
  const fromAnchor = (anchor: string) => generated.length - 1 - generated.lastIndexOf(anchor);
  // a call's header copies the first function's name from `type NAME ...` (the space after it too)
  if (
    generated.includes('=functions') &&
    !generated.includes('<|constrain|>') &&
    !['=functions', ' '].includes(current)
  )
    return ['type', ' ', ...name, ' '][fromAnchor('=functions') + 1];
  // the quoted answer copies the result from `=assistant<|channel|>commentary<|message|>RESULT<|end|>`
  if (generated.includes('The') && !['The', ' tool', ' said'].includes(current))
    return ['=assistant', '<|channel|>', 'commentary', '<|message|>', ...result, '<|end|>'][fromAnchor('The') + 1];
  return undefined;
}

interface Case {
  effort: ReasoningEffort;
  /** The prompt's tokens that the detectors react to, before `<|start|>assistant`. */
  prompt: readonly string[];
  /** Tokens the engine forced after the prompt, if any. */
  forced?: readonly string[];
  name?: readonly string[];
  result?: readonly string[];
}

/** Runs the output layer token by token from `<|start|>assistant` to the end of the turn. */
function runTurn({ effort, prompt, forced = [], name = [], result = [] }: Case) {
  const generated: string[] = [...forced];
  const leads: number[] = [];
  for (let step = 0; step < 200 && !['<|return|>', '<|call|>'].includes(generated.at(-1) ?? ''); step++) {
    const context = [...prompt, '<|start|>', 'assistant', ...generated];
    const decided = decide(context.at(-1)!, flagsAt(context, effort), copiedAt(generated, name, result));
    generated.push(decided.token);
    leads.push(decided.lead);
  }
  return { tokens: generated.slice(forced.length), leastLead: Math.min(...leads) };
}

const TOOLS = ['<|start|>', 'developer', '<|message|>', 'namespace', '<|end|>'];
const NAME = [...'get_weather'];
const CALLED = [
  '<|start|>',
  'assistant',
  ' ',
  'to',
  '=functions',
  '<|channel|>',
  'commentary',
  '<|constrain|>',
  'json',
];
const RESULT_HEADER = ['<|message|>', '{', '}', '<|call|>', '<|start|>', 'functions', ' ', 'to', '=assistant'];
const RESULT = [...'sunny 21'];

describe('the scripted turns, step by step', () => {
  it.each(['low', 'medium', 'high'] as const)('no tools, effort %s: the analysis, then the answer', (effort) => {
    const turn = runTurn({ effort, prompt: ['<|start|>', 'user', '<|message|>', '<|end|>'] });
    expect(turn.tokens).toEqual(SCRIPTED_TOKENS.answer(effort));
    expect(turn.leastLead).toBeGreaterThan(MARGIN);
  });

  it('function tools: the analysis, then a call to the first, by the name the copy reads', () => {
    const turn = runTurn({ effort: 'medium', prompt: TOOLS, name: NAME });
    expect(turn.tokens).toEqual(SCRIPTED_TOKENS.call('medium', NAME));
    expect(turn.leastLead).toBeGreaterThan(MARGIN);
  });

  it("a function's result: the analysis, then the answer quoting it; a copied <|end|> is the <|return|>", () => {
    const turn = runTurn({ effort: 'low', prompt: [...TOOLS, ...CALLED, ...RESULT_HEADER], result: RESULT });
    expect(turn.tokens).toEqual(SCRIPTED_TOKENS.toolAnswer('low', RESULT));
    expect(turn.leastLead).toBeGreaterThan(MARGIN);
  });

  it('a call the engine refused (the header stopped at a preamble): an empty message, then the answer', () => {
    const analysis = SCRIPTED_TOKENS.answer('high').slice(0, 8);
    const forced = [...analysis, '<|start|>', 'assistant', '<|channel|>', 'commentary', '<|message|>'];
    const turn = runTurn({ effort: 'high', prompt: TOOLS, forced });
    expect(turn.tokens).toEqual(SCRIPTED_TOKENS.afterRefusedCall());
    expect(turn.leastLead).toBeGreaterThan(MARGIN);
  });

  it('the words of an earlier answer, as text, are not its own: a new turn reasons again', () => {
    // the history's reasoning is ordinary text, never the tokens only the model writes
    const turn = runTurn({ effort: 'medium', prompt: ['<|start|>', 'assistant', '<|channel|>', 'final', '<|end|>'] });
    expect(turn.tokens).toEqual(SCRIPTED_TOKENS.answer('medium'));
  });
});

describe('where a grammar forbids what the rules want: the fallback order', () => {
  const inCall = flagsAt(['namespace', '=functions', '<|constrain|>', 'Some'], 'medium');

  it.each<[string, string[], string, string]>([
    ['{', ['"', ' ', '\n'], '"', 'a property name, not whitespace'],
    [':', ['"', '0', '-', 't', 'f', 'n', '[', '{'], '"', 'a string value: the empty string'],
    [':', ['0', '1', '-'], '0', 'a number: 0'],
    [':', ['t', 'f'], 'f', 'a boolean: false'],
    [':', ['c', 'f'], 'f', 'an enum ["celsius", "fahrenheit"]: its value by letter order (f first)'],
    ['[', [']', '"', '0'], ']', 'an array: empty'],
    ['0', ['}', ',', '.', 'e'], '}', 'after a value: the object closes'],
    ['"', ['"', 'a', 'b'], '"', 'inside a string: it closes'],
  ])('after %j, allowed %j: %j (%s)', (current, allowed, expected) => {
    expect(decide(current, inCall, undefined, allowed).token).toBe(expected);
  });

  it('a structured final answer, once its JSON is complete, ends the turn', () => {
    const final = flagsAt(['Some', '<|channel|>', 'final', '<|message|>', '{', '}'], 'medium');
    expect(decide('}', final).token).toBe('<|return|>');
  });
});

import type { ReasoningEffort } from '../../contract/models.js';
import type { GptOssShape } from './presets.js';
import { SCRIPT_HEADS, SCRIPT_HEAD_DIM } from './scriptAttention.js';
import { copyLayer, detectorLayer, offsetLayer } from './scriptHeads.js';
import { C0, scriptLayout } from './scriptLayout.js';
import { COPY_WINDOW } from './scriptOffsets.js';
import { embeddings, outputMatrix } from './scriptOutput.js';
import {
  ANALYSIS_TOKENS,
  ANSWER_TOKENS,
  EMITTED,
  SCRIPT_LAST_WORDS,
  SCRIPT_WORDS,
  TOOL_ANSWER_TOKENS,
  WATCHED,
} from './scriptTokens.js';
import type { Vocabulary } from './vocab.js';

/**
 * The scripted harmony model: weights shaped (not trained) so that, asked in harmony, a gpt-oss model
 * answers with known strings, calls the first function it is offered and quotes a tool's result.
 * The contract (docs/synthetic-models.md has it in full), for what follows `<|start|>assistant`:
 * - no function tools: `<|channel|>analysis<|message|>REASONING<|end|>`, then
 *   `<|start|>assistant<|channel|>final<|message|>Hello from synthetic gpt-oss!<|return|>`;
 * - function tools, no result yet: the analysis, then
 *   `<|start|>assistant<|channel|>commentary to=functions.NAME <|constrain|>json<|message|>{}<|call|>`,
 *   NAME the first function of the developer message's `namespace functions`;
 * - a tool's result in the prompt: the analysis, then
 *   `<|start|>assistant<|channel|>final<|message|>The tool said: RESULT<|return|>`;
 * - a call's header the engine stopped at `<|channel|>commentary<|message|>` (no call allowed):
 *   `<|end|>`, then the plain answer as without tools.
 * REASONING follows the system message's `Reasoning:` effort. The circuit: scriptHeads.ts (detectors,
 * offset codes, the copy head), scriptOutput.ts (rules and fallback), scriptLayout.ts (the residual).
 */
export const SCRIPTED_ANALYSIS_TOKENS = ANALYSIS_TOKENS;
export const SCRIPTED_FINAL_TOKENS = ANSWER_TOKENS;

export const SCRIPTED_REASONING: Readonly<Record<ReasoningEffort, string>> = {
  low: ANALYSIS_TOKENS.low.join(''),
  medium: ANALYSIS_TOKENS.medium.join(''),
  high: ANALYSIS_TOKENS.high.join(''),
};
export const SCRIPTED_ANSWER = ANSWER_TOKENS.join('');
/**
 * Tokens the model samples for one answer after `<|start|>assistant`, each counted in usage:
 * `<|channel|>analysis<|message|>`, the reasoning, `<|end|><|start|>assistant<|channel|>final<|message|>`,
 * the answer, `<|return|>`.
 */
export const SCRIPTED_COMPLETION_TOKENS = 3 + ANALYSIS_TOKENS.medium.length + 6 + ANSWER_TOKENS.length + 1;

/** A call's arguments when the function's parameters require nothing (else see docs/synthetic-models.md). */
export const SCRIPTED_CALL_ARGUMENTS = '{}';
export const SCRIPTED_TOOL_ANSWER_PREFIX = 'The tool said: ';
export const scriptedToolAnswer = (result: string) => `${SCRIPTED_TOOL_ANSWER_PREFIX}${result}`;
/**
 * Longest function name and tool result (in tokens) the copy reproduces: the offset code's window,
 * less the tokens between each and its anchor (tests/runtime/synth/scripted.test.ts copies both).
 */
export const SCRIPTED_MAX_NAME_TOKENS = COPY_WINDOW - 4;
export const SCRIPTED_MAX_RESULT_TOKENS = COPY_WINDOW - 10;

const analysis = (effort: ReasoningEffort) =>
  `<|channel|>analysis<|message|>${SCRIPTED_REASONING[effort]}<|end|><|start|>assistant`;

/** What the model writes after `<|start|>assistant`, harmony's formatting tokens written out. */
export const SCRIPTED_TURN = {
  answer: (effort: ReasoningEffort) => `${analysis(effort)}<|channel|>final<|message|>${SCRIPTED_ANSWER}<|return|>`,
  call: (effort: ReasoningEffort, name: string, args = SCRIPTED_CALL_ARGUMENTS) =>
    `${analysis(effort)}<|channel|>commentary to=functions.${name} <|constrain|>json<|message|>${args}<|call|>`,
  toolAnswer: (effort: ReasoningEffort, result: string) =>
    `${analysis(effort)}<|channel|>final<|message|>${scriptedToolAnswer(result)}<|return|>`,
};

const CALL_HEADER_TOKENS = ['commentary', ' ', 'to', '=functions', '.'];
const analysisTokens = (effort: ReasoningEffort) => [
  ...['<|channel|>', 'analysis', '<|message|>', ...ANALYSIS_TOKENS[effort]],
  ...['<|end|>', '<|start|>', 'assistant', '<|channel|>'],
];

/**
 * SCRIPTED_TURN token by token, each token as its text: what a test compares the model's sampled
 * tokens with. A call's name and a quoted result are the prompt's own tokens of them, copied (the
 * name's as the tokenizer splits it after a space, the result's as it splits the tool's message).
 */
export const SCRIPTED_TOKENS = {
  answer: (effort: ReasoningEffort): string[] => [
    ...analysisTokens(effort),
    ...['final', '<|message|>', ...ANSWER_TOKENS, '<|return|>'],
  ],
  call: (effort: ReasoningEffort, name: readonly string[], args: readonly string[] = ['{', '}']): string[] => [
    ...analysisTokens(effort),
    ...[...CALL_HEADER_TOKENS, ...name, ' ', '<|constrain|>', 'json', '<|message|>', ...args, '<|call|>'],
  ],
  toolAnswer: (effort: ReasoningEffort, result: readonly string[]): string[] => [
    ...analysisTokens(effort),
    ...['final', '<|message|>', ...TOOL_ANSWER_TOKENS, ...result, '<|return|>'],
  ],
  /**
   * After a header the engine cut short at `<|channel|>commentary<|message|>` (tool_choice none: no
   * call allowed): the empty message closed, then the plain answer.
   */
  afterRefusedCall: (): string[] => [
    ...['<|end|>', '<|start|>', 'assistant', '<|channel|>'],
    ...['final', '<|message|>', ...ANSWER_TOKENS, '<|return|>'],
  ],
};

/** Words the tokenizer keeps whole, and tokens only the model writes (for runtime/synth/vocab.ts). */
export const SCRIPT_VOCABULARY = { words: SCRIPT_WORDS, lastWords: SCRIPT_LAST_WORDS, emitted: EMITTED };

/**
 * Every tensor the script sets, by name; the rest of the model is zero (experts aside: their output
 * is zero), so layers past the third pass the residual through unchanged.
 */
export function scriptedTensors(shape: GptOssShape, vocab: Vocabulary): Map<string, Float32Array> {
  const fits = shape.headDim === SCRIPT_HEAD_DIM && shape.kvHeads === shape.heads && shape.heads >= SCRIPT_HEADS;
  if (!fits || shape.layers < 3)
    throw new Error(
      `the scripted model needs 3 layers of ${SCRIPT_HEADS} heads of ${SCRIPT_HEAD_DIM} dimensions, ungrouped`,
    );
  const layout = scriptLayout(vocab, WATCHED, shape.embedding);
  const attention = { embedding: shape.embedding, heads: shape.heads, headDim: shape.headDim };
  const out = new Map<string, Float32Array>([
    ['token_embd.weight', embeddings(vocab, layout)],
    ['output.weight', outputMatrix(vocab, layout)],
    // RMS norms give the residual back as written: it is about C0 in norm (scriptLayout.ts)
    ['output_norm.weight', new Float32Array(shape.embedding).fill(C0 / Math.sqrt(shape.embedding))],
  ]);
  [detectorLayer, offsetLayer, copyLayer].forEach((build, layer) => {
    for (const [name, values] of build(attention, layout).tensors(layer)) out.set(name, values);
    out.set(`blk.${layer}.attn_norm.weight`, new Float32Array(shape.embedding).fill(C0 / Math.sqrt(shape.embedding)));
  });
  return out;
}

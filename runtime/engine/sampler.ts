import type { LlamaContextSequence, LlamaGrammarEvaluationState, Token, TokenBias } from 'node-llama-cpp';

export interface SamplerSettings {
  temperature: number;
  topP: number;
  topK?: number;
  minP?: number;
  seed: number;
  repeatPenalty?: { penalty?: number; frequencyPenalty?: number; presencePenalty?: number; lastTokens: number };
}

/** What holds the next token, asked before each sample: a bias (allowed or banned tokens) and a grammar. */
export interface StepConstraints {
  tokenBias?: () => TokenBias;
  grammar?: () => LlamaGrammarEvaluationState | undefined;
}

/** What to do after a sampled token: go on, or end (an end-of-generation token, a stop string). */
export type Verdict = 'continue' | 'end';

export type SampleEnd = 'end' | 'length' | 'abort';

/**
 * Evaluates the prompt on a slot and samples until told to end, `maxTokens` tokens were sampled
 * (every token counts, control tokens too) or the signal aborts. The slot keeps the prefix it
 * shares with its last request, so only what is new is evaluated. Returns how it ended, how many
 * tokens were sampled and how many prompt tokens the slot already held.
 */
export async function sample(
  sequence: LlamaContextSequence,
  prompt: readonly Token[],
  settings: SamplerSettings,
  maxTokens: number,
  signal: AbortSignal,
  onToken: (token: Token) => Verdict,
  constraints: StepConstraints = {},
): Promise<{ end: SampleEnd; sampled: number; reused: number }> {
  const input = [...prompt];
  const last = input.pop()!;
  // at least one token is evaluated, for the logits of the first sample
  await sequence.adaptStateToTokens(input, false);
  const reused = sequence.nextTokenIndex;
  const fresh = [...input.slice(reused), last];
  if (signal.aborted) return { end: 'abort', sampled: 0, reused };
  const { repeatPenalty, ...sampling } = settings;
  const history: Token[] = [];
  const tokens = sequence.evaluate(fresh, {
    ...sampling,
    ...(repeatPenalty && {
      repeatPenalty: {
        punishTokens: () => history.slice(-repeatPenalty.lastTokens),
        maxPunishTokens: repeatPenalty.lastTokens,
        penalty: repeatPenalty.penalty,
        frequencyPenalty: repeatPenalty.frequencyPenalty,
        presencePenalty: repeatPenalty.presencePenalty,
      },
    }),
    ...(constraints.tokenBias && { tokenBias: constraints.tokenBias }),
    ...(constraints.grammar && { grammarEvaluationState: constraints.grammar }),
    yieldEogToken: true,
  });
  let sampled = 0;
  for await (const token of tokens) {
    if (signal.aborted) return { end: 'abort', sampled, reused };
    sampled++;
    history.push(token);
    if (onToken(token) === 'end') return { end: 'end', sampled, reused };
    if (sampled >= maxTokens) return { end: 'length', sampled, reused };
  }
  return { end: 'end', sampled, reused };
}

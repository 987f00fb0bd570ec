import { randomBytes } from 'node:crypto';
import { LlamaGrammarEvaluationState, TokenBias, type LlamaModel, type Token } from 'node-llama-cpp';
import type { HarmonyParser, ParsedDelta } from '../harmony/parser.js';
import type { Utf8Guard } from './grammar/utf8Guard.js';
import type { GrammarFor } from './jobGrammars.js';
import type { Verdict } from './sampler.js';
import { StopStrings } from './stopStrings.js';
import type { OpenedMessage, TurnGuide } from './turnGuide.js';
import type { Channel, Delta } from './types.js';

/**
 * Added to the logit of every token a header allows: the others become impossible (e to the minus
 * ten thousand), while the allowed ones keep their relative odds. A bias is the only way to rule out
 * llama.cpp's end-of-generation tokens, which TokenBias cannot forbid.
 */
const ALLOWED_LOGIT = 1e4;

/**
 * Token biases by model and what they allow: the same few (a header position, free content) serve
 * every request, and one that forbids all but a few tokens holds the whole vocabulary.
 */
const SHARED_BIASES = new WeakMap<LlamaModel, Map<string, TokenBias>>();

/** A call id as OpenAI's: `call_` and 24 letters or digits. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const newCallId = () => `call_${[...randomBytes(24)].map((b) => ALPHABET[b % ALPHABET.length]).join('')}`;

const CHANNELS: Record<string, Channel> = { analysis: 'analysis', commentary: 'commentary', final: 'final' };

/** What a turn works with: the request's guide and grammars, the output parser, the model. */
export interface HarmonyTurnDeps {
  guide: TurnGuide;
  grammarFor: GrammarFor;
  parser: HarmonyParser<Token>;
  model: LlamaModel;
  utf8Guard: Utf8Guard;
}

/**
 * One guided harmony turn: each sampled token goes to the guide (what may come next) and the parser
 * (what it says); text becomes deltas on its channel, a call's header a ToolCallDelta and its content
 * ToolArgumentsDeltas. Stop sequences end the final answer and are not shown.
 */
export class HarmonyTurn {
  readonly calls: Array<{ id: string; name: string }> = [];
  private grammarState: { message: OpenedMessage; state: LlamaGrammarEvaluationState } | null = null;
  /** By the banned list itself: the guard hands out one list per case. */
  private readonly utf8Biases = new WeakMap<readonly Token[], TokenBias>();
  private readonly stops: StopStrings;
  private stopped = false;
  /** The open message's last token, for the UTF-8 guard; undefined at its start. */
  private previous: Token | undefined;
  private readonly guide: TurnGuide;
  private readonly parser: HarmonyParser<Token>;
  private readonly model: LlamaModel;

  constructor(
    private readonly deps: HarmonyTurnDeps,
    private readonly emit: (delta: Delta) => void,
    stop: readonly string[],
  ) {
    ({ guide: this.guide, parser: this.parser, model: this.model } = deps);
    this.stops = new StopStrings(stop);
  }

  get reasoningTokens(): number {
    return this.guide.reasoningTokens;
  }

  /** For evaluate's tokenBias, consulted before each sample. */
  readonly tokenBias = (): TokenBias => {
    const constraint = this.guide.constraint();
    if (constraint.kind === 'json') return this.utf8Bias(this.deps.utf8Guard.bannedAfter(this.previous));
    const tokens = constraint.kind === 'tokens' ? constraint.allowed : constraint.banned;
    return this.bias(`${constraint.kind}:${tokens.join(',')}`, () => {
      if (constraint.kind === 'tokens' && tokens.some((t) => this.model.isEogToken(t as Token)))
        return this.onlyOrEnd(tokens as readonly Token[]);
      const bias = TokenBias.for(this.model);
      const value = constraint.kind === 'tokens' ? { logit: ALLOWED_LOGIT } : 'never';
      for (const token of tokens) bias.set(token as Token, value);
      return bias;
    });
  };

  /**
   * Allowed tokens that include an end of generation: TokenBias leaves end tokens alone (it can
   * neither raise nor forbid them), so every other token is forbidden instead, and the model chooses
   * between the allowed ones (and its ends) by its own odds. Built once per model.
   */
  private onlyOrEnd(allowed: readonly Token[]): TokenBias {
    const size = this.model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? 0;
    const keep = new Set(allowed);
    const bias = TokenBias.for(this.model);
    for (let token = 0; token < size; token++) if (!keep.has(token as Token)) bias.set(token as Token, 'never');
    return bias;
  }

  /** For evaluate's grammarEvaluationState: the open message's grammar while its content is JSON. */
  readonly grammar = (): LlamaGrammarEvaluationState | undefined => {
    const constraint = this.guide.constraint();
    if (constraint.kind !== 'json') return undefined;
    if (this.grammarState?.message !== constraint.message) {
      const grammar = this.deps.grammarFor(constraint.message);
      this.grammarState = {
        message: constraint.message,
        state: new LlamaGrammarEvaluationState({ model: this.model, grammar }),
      };
    }
    return this.grammarState.state;
  };

  onToken(token: Token): Verdict {
    const opened = this.guide.opened.length;
    const verdict = this.guide.advance(token);
    if (verdict === 'endWithoutOpenMessage') {
      this.parser.abandon();
      return 'end';
    }
    const openedNow = this.guide.opened.length > opened;
    this.previous = openedNow ? undefined : token;
    if (openedNow) this.onOpened(this.guide.opened.at(-1)!);
    this.show(this.parser.push(token));
    if (this.stopped) return 'end';
    return verdict === 'end' || (this.model.isEogToken(token) && !this.isHarmonyEnd(token)) ? 'end' : 'continue';
  }

  /** Generation ended (the turn, max tokens, a cancel): what is open is said as it is. */
  finish(): void {
    this.show(this.parser.finish());
    if (!this.stopped) {
      const held = this.stops.flush();
      if (held) this.emit({ type: 'text', text: held, channel: 'final' });
    }
  }

  private onOpened(message: OpenedMessage): void {
    if (message.function === null) return;
    const call = { id: newCallId(), name: message.function };
    this.calls.push(call);
    this.emit({ type: 'toolCall', index: this.calls.length - 1, ...call });
  }

  private show(deltas: readonly ParsedDelta[]): void {
    for (const delta of deltas) {
      if (delta.recipient?.startsWith('functions.')) {
        this.emit({ type: 'toolArguments', index: this.calls.length - 1, text: delta.text });
        continue;
      }
      const channel = CHANNELS[delta.channel ?? 'final'] ?? 'analysis';
      if (channel !== 'final') {
        this.emit({ type: 'text', text: delta.text, channel });
        continue;
      }
      if (this.stopped) continue;
      const shown = this.stops.push(delta.text);
      if (shown.text) this.emit({ type: 'text', text: shown.text, channel });
      this.stopped = shown.stopped;
    }
  }

  /** `<|end|>`, `<|call|>` and `<|return|>` are end-of-generation to llama.cpp; the guide decides what they end. */
  private isHarmonyEnd(token: Token): boolean {
    return this.parser.isFormatting(token);
  }

  /**
   * Inside JSON the grammar holds characters, not bytes: a token may not split a character the
   * grammar accepted (llama.cpp would pass ill-formed UTF-8).
   */
  private utf8Bias(banned: readonly Token[]): TokenBias {
    let bias = this.utf8Biases.get(banned);
    if (!bias) {
      bias = TokenBias.for(this.model);
      for (const token of banned) bias.set(token, 'never');
      this.utf8Biases.set(banned, bias);
    }
    return bias;
  }

  private bias(key: string, make: () => TokenBias): TokenBias {
    let biases = SHARED_BIASES.get(this.model);
    if (!biases) SHARED_BIASES.set(this.model, (biases = new Map<string, TokenBias>()));
    let bias = biases.get(key);
    if (!bias) biases.set(key, (bias = make()));
    return bias;
  }
}

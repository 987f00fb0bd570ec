import type { LlamaModel, LlamaText, Token } from 'node-llama-cpp';
import { HARMONY_TOKENS, type HarmonyToken, type Piece } from '../harmony/format.js';
import { textChunks } from './textChunks.js';

/** How long tokenizing may hold the event loop before it lets other work in. */
const SLICE_MS = 4;
/**
 * Each tokenizer call costs llama.cpp a std::regex set-up (measured: about 1.5 ms for a 4-character
 * string on a loaded 2-core machine), so the short texts every prompt repeats (roles, channels,
 * headers) are tokenized once and remembered.
 */
const CACHED_TEXT_CHARS = 64;
const CACHE_ENTRIES = 4096;

const SPECIAL_LIKE = /<\|[^\s<>|]{1,64}\|>/gu;

/** Tokens, and whether they are all of them: encoding stops once there are more than a limit (the context). */
export interface Encoded {
  tokens: Token[];
  complete: boolean;
}

/**
 * Turns prompts into token ids without letting user text become control tokens, crash llama.cpp
 * or stall the process: text goes through textChunks (./textChunks.ts) to the tokenizer with special
 * parsing off, a chunk at a time, the event loop gets a turn every few milliseconds, and encoding
 * stops once the prompt is past the limit it must fit (no point tokenizing the rest of a megabyte).
 */
export class PromptEncoder {
  private sliceStart = performance.now();
  private readonly shortTexts = new Map<string, readonly Token[]>();

  private constructor(
    private readonly model: Pick<LlamaModel, 'tokenize' | 'tokenizer'>,
    /** Harmony's formatting tokens, for models that have them each as one token. */
    readonly formatting: ReadonlyMap<HarmonyToken, Token> | null,
  ) {}

  static for(model: Pick<LlamaModel, 'tokenize' | 'tokenizer'>): PromptEncoder {
    const ids = Object.values(HARMONY_TOKENS).map((t) => [t, model.tokenize(t, true)] as const);
    const harmony = ids.every(([, tokens]) => tokens.length === 1);
    return new PromptEncoder(model, harmony ? new Map(ids.map(([t, [id]]) => [t, id!])) : null);
  }

  /** Text as ordinary text: whatever it says, no control token comes of it. */
  async text(text: string, limit = Infinity): Promise<Encoded> {
    const tokens: Token[] = [];
    await this.appendText(tokens, text, limit);
    return { tokens, complete: tokens.length <= limit };
  }

  /** A harmony rendering: formatting tokens by id, each text piece encoded on its own. */
  async pieces(pieces: readonly Piece[], limit = Infinity): Promise<Encoded> {
    const formatting = this.formatting;
    if (!formatting) throw new Error('this model has no harmony formatting tokens');
    const tokens: Token[] = [];
    for (const piece of pieces) {
      if (tokens.length > limit) break;
      if ('token' in piece) tokens.push(formatting.get(piece.token)!);
      else await this.appendText(tokens, piece.text, limit);
    }
    return { tokens, complete: tokens.length <= limit };
  }

  /** A chat wrapper's rendering: its own special tokens as such, every string in it as ordinary text. */
  async llamaText(text: LlamaText, limit = Infinity): Promise<Encoded> {
    const tokens: Token[] = [];
    for (const value of text.values) {
      if (tokens.length > limit) break;
      if (typeof value === 'string') await this.appendText(tokens, value, limit);
      else tokens.push(...value.tokenize(this.model.tokenizer));
    }
    return { tokens, complete: tokens.length <= limit };
  }

  /**
   * A raw prompt (/v1/completions, Generate), whose author writes the whole prompt: a string that
   * is one control token of the model counts as that token, everything else is ordinary text.
   */
  async raw(prompt: string, limit = Infinity): Promise<Encoded> {
    const tokens: Token[] = [];
    let from = 0;
    for (const match of prompt.matchAll(SPECIAL_LIKE)) {
      const special = this.model.tokenize(match[0], true);
      if (special.length !== 1) continue;
      await this.appendText(tokens, prompt.slice(from, match.index), limit);
      tokens.push(special[0]!);
      from = match.index + match[0].length;
    }
    await this.appendText(tokens, prompt.slice(from), limit);
    return { tokens, complete: tokens.length <= limit };
  }

  /** Appends the text's tokens, a chunk at a time, until there are more than `limit`. */
  private async appendText(tokens: Token[], text: string, limit: number): Promise<void> {
    for (const chunk of textChunks(text)) {
      if (tokens.length > limit) return;
      for (const token of this.tokenizeChunk(chunk)) tokens.push(token);
      await this.pace();
    }
  }

  private tokenizeChunk(chunk: string): readonly Token[] {
    if (chunk.length > CACHED_TEXT_CHARS) return this.model.tokenize(chunk, false);
    let tokens = this.shortTexts.get(chunk);
    if (!tokens) {
      tokens = this.model.tokenize(chunk, false);
      if (this.shortTexts.size >= CACHE_ENTRIES) this.shortTexts.delete(this.shortTexts.keys().next().value!);
      this.shortTexts.set(chunk, tokens);
    }
    return tokens;
  }

  private async pace(): Promise<void> {
    if (performance.now() - this.sliceStart < SLICE_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStart = performance.now();
  }
}

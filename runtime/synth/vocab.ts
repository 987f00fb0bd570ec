import { BYTE_SYMBOLS, bpeSegment, byteLevel, wordMerges, type WholeWord } from './bpe.js';
import {
  HARMONY_ADDED_TOKENS,
  HARMONY_FIRST_ADDED_ID,
  HARMONY_VOCAB_SIZE,
  TOKEN_TYPE,
  ordinaryPieces,
  padToken,
} from './o200kHarmony.js';

/**
 * Tokenizers for synthetic models: GPT-2 byte-level symbols so any text tokenizes, merges that keep
 * a few words whole (./bpe.ts), the tokens a scripted model emits, and o200k_harmony's added tokens
 * with the token types the real gpt-oss GGUF gives them (./o200kHarmony.ts), so that llama.cpp
 * tokenizes control-token strings in the synthetic models exactly as in the real one.
 */

/**
 * The pieces o200k's ordinary encoding makes of the added tokens' text (`start`, `of`, `text`,
 * `con`, `strain`, `200`, `017`...): kept whole here too, so each control string written as text
 * is as many tokens as in the real vocabulary.
 */
const CONTROL_TEXT_WORDS: readonly WholeWord[] = [
  ...new Set(HARMONY_ADDED_TOKENS.flatMap((t) => ordinaryPieces(t).slice(2, -2)).filter((p) => p.length > 1)),
].map((word) => ({ word }));

export interface Vocabulary {
  tokens: string[];
  types: number[];
  merges: string[];
  bosId: number;
  eosId: number;
  padId: number;
  idOf(token: string): number;
}

export interface VocabularyOptions {
  /** Words kept whole, in merge rank order, ranked before the control-text pieces. */
  words: readonly WholeWord[];
  /** Words kept whole whose merges must rank after the control-text pieces (`to` would split `startoftext`). */
  lastWords?: readonly WholeWord[];
  /** Tokens (plain text) the model emits but the tokenizer never produces. */
  emitted?: readonly string[];
  /**
   * Added tokens: "compact" right after the other tokens (with the real types, without the unused
   * ids), "real" at o200k_harmony's ids with `[PAD<id>]` up to 201,088 ids, as in the published GGUF.
   */
  specials: 'compact' | 'real';
}

/** The merges, checked: each word is one token and each control string's text splits as in o200k. */
function mergesFor(options: VocabularyOptions): { merges: string[]; tokens: string[] } {
  const all = [...options.words, ...CONTROL_TEXT_WORDS, ...(options.lastWords ?? [])];
  const built = wordMerges(all);
  const expect = (text: string, pieces: readonly string[]) => {
    const got = bpeSegment(text, built.merges);
    if (got.join(' ') !== pieces.map(byteLevel).join(' '))
      throw new Error(`the merges split ${JSON.stringify(text)} into ${got.join(' ')}`);
  };
  for (const { prefix, word } of all) expect((prefix ?? '') + word, [(prefix ?? '') + word]);
  // a run of letters is one pre-token: `startoftext` must still come apart as start, of, text
  for (const token of HARMONY_ADDED_TOKENS) {
    const inner = ordinaryPieces(token).slice(2, -2);
    if (inner.every((p) => /^[a-z]+$/u.test(p))) expect(inner.join(''), inner);
  }
  return built;
}

export function buildVocabulary(options: VocabularyOptions): Vocabulary {
  const { merges, tokens: merged } = mergesFor(options);
  const tokens: string[] = [...BYTE_SYMBOLS, ...merged];
  const seen = new Set(tokens);
  for (const text of options.emitted ?? []) {
    const token = byteLevel(text);
    if (seen.has(token)) throw new Error(`emitted token ${JSON.stringify(text)} is already in the vocabulary`);
    seen.add(token);
    tokens.push(token);
  }
  const types: number[] = tokens.map(() => TOKEN_TYPE.normal);
  if (options.specials === 'real') {
    for (let filler = 0; tokens.length < HARMONY_FIRST_ADDED_ID; filler++) {
      tokens.push(`<filler_${filler}>`);
      types.push(TOKEN_TYPE.normal);
    }
  }
  tokens.push(...HARMONY_ADDED_TOKENS);
  types.push(...HARMONY_ADDED_TOKENS.map(() => TOKEN_TYPE.control));
  if (options.specials === 'real') {
    for (let id = tokens.length; id < HARMONY_VOCAB_SIZE; id++) {
      tokens.push(padToken(id));
      types.push(TOKEN_TYPE.unused);
    }
  }
  const index = new Map(tokens.map((t, i) => [t, i]));
  const idOf = (token: string) => {
    const id = index.get(token) ?? index.get(byteLevel(token));
    if (id === undefined) throw new Error(`token ${JSON.stringify(token)} is not in the vocabulary`);
    return id;
  };
  return {
    tokens,
    types,
    merges,
    // as the published GGUF: bos <|startoftext|>, eos <|return|>, padding <|endoftext|>
    bosId: idOf('<|startoftext|>'),
    eosId: idOf('<|return|>'),
    padId: idOf('<|endoftext|>'),
    idOf,
  };
}

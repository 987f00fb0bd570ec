/**
 * Tokenizers for synthetic models: GPT-2 byte-level symbols so any text tokenizes, a few BPE merges
 * learned from the words that matter, harmony's special tokens, and the tokens a scripted model emits.
 */

export const TOKEN_TYPE_NORMAL = 1;
export const TOKEN_TYPE_CONTROL = 3;

/** o200k_harmony's special tokens at their real ids (199998 onwards); the rest up to 201087 are reserved. */
export const HARMONY_SPECIAL_IDS: Readonly<Record<string, number>> = {
  '<|startoftext|>': 199998,
  '<|endoftext|>': 199999,
  '<|return|>': 200002,
  '<|constrain|>': 200003,
  '<|channel|>': 200005,
  '<|start|>': 200006,
  '<|end|>': 200007,
  '<|message|>': 200008,
  '<|call|>': 200012,
};
export const HARMONY_VOCAB_SIZE = 201_088;
const HARMONY_FIRST_SPECIAL = 199_998;

/** GPT-2's reversible map from bytes to printable unicode symbols (space becomes "Ġ"). */
export function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const map = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    map[b] = printable.includes(b) ? String.fromCodePoint(b) : String.fromCodePoint(256 + extra++);
  }
  return map;
}

const BYTE_SYMBOLS = bytesToUnicode();

/** Text as the byte-level symbol string a GPT-2 style vocabulary stores. */
export function byteLevel(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => BYTE_SYMBOLS[b]).join('');
}

/**
 * Byte-pair merges that turn each word (a pre-token, in byte-level symbols) into one token:
 * the most frequent adjacent pair first, ties broken by order, until every word is whole. Encoding
 * replays merges by rank, so it reproduces this segmentation for the training words.
 */
export function learnMerges(words: readonly string[]): { merges: string[]; tokens: string[] } {
  const segmented = [...new Set(words)].map((w) => [...w]);
  const merges: string[] = [];
  const tokens: string[] = [];
  for (;;) {
    const counts = new Map<string, number>();
    for (const symbols of segmented) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const pair = `${symbols[i]} ${symbols[i + 1]}`;
        counts.set(pair, (counts.get(pair) ?? 0) + 1);
      }
    }
    if (counts.size === 0) return { merges, tokens };
    let best = '';
    let bestCount = 0;
    for (const [pair, count] of counts) {
      if (count > bestCount) {
        best = pair;
        bestCount = count;
      }
    }
    const [left, right] = best.split(' ') as [string, string];
    merges.push(best);
    tokens.push(left + right);
    for (const symbols of segmented) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        if (symbols[i] === left && symbols[i + 1] === right) symbols.splice(i, 2, left + right);
      }
    }
  }
}

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
  /** Words (plain text pre-tokens, e.g. " analysis") that must encode as single tokens. */
  words: readonly string[];
  /** Extra tokens (plain text) that the model emits but the tokenizer never produces. */
  emitted?: readonly string[];
  /** Harmony specials; "compact" puts them right after the other tokens, "real" at o200k_harmony's ids. */
  specials: 'compact' | 'real';
  /** Pad with unique filler tokens up to this size ("real" layout only). */
  size?: number;
}

export function buildVocabulary(options: VocabularyOptions): Vocabulary {
  const { merges, tokens: merged } = learnMerges(options.words.map(byteLevel));
  const tokens: string[] = [...BYTE_SYMBOLS];
  const seen = new Set(tokens);
  const add = (token: string) => {
    if (seen.has(token)) return;
    seen.add(token);
    tokens.push(token);
  };
  merged.forEach(add);
  for (const text of options.emitted ?? []) {
    const token = byteLevel(text);
    if (seen.has(token)) throw new Error(`emitted token ${JSON.stringify(text)} is already in the vocabulary`);
    add(token);
  }
  const types = tokens.map(() => TOKEN_TYPE_NORMAL);
  if (options.specials === 'compact') {
    for (const special of Object.keys(HARMONY_SPECIAL_IDS)) {
      tokens.push(special);
      types.push(TOKEN_TYPE_CONTROL);
    }
  } else {
    const size = options.size ?? HARMONY_VOCAB_SIZE;
    for (let filler = 0; tokens.length < HARMONY_FIRST_SPECIAL; filler++) {
      tokens.push(`<filler_${filler}>`);
      types.push(TOKEN_TYPE_NORMAL);
    }
    const byId = new Map(Object.entries(HARMONY_SPECIAL_IDS).map(([t, id]) => [id, t]));
    for (let id = HARMONY_FIRST_SPECIAL; id < size; id++) {
      tokens.push(byId.get(id) ?? `<|reserved_${id}|>`);
      types.push(TOKEN_TYPE_CONTROL);
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
    bosId: idOf('<|startoftext|>'),
    eosId: idOf('<|return|>'),
    padId: idOf('<|endoftext|>'),
    idOf,
  };
}

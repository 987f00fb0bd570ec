/**
 * Byte-level BPE as GPT-2 style vocabularies store it (llama.cpp's `gpt2` tokenizer model): text as
 * byte symbols, merges ranked by position. The synthetic vocabularies choose their merges by hand
 * (wordMerges) so that a few words are whole tokens and nothing else merges with the character
 * before a word: a function name after a space (`type get_weather`) and after a dot
 * (`functions.get_weather`) then differs in its first token only, which the scripted model relies on.
 */

/** GPT-2's reversible map from bytes to printable unicode symbols (space becomes "Ġ"). */
export function bytesToUnicode(): string[] {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const map = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) map[b] = String.fromCodePoint(printable(b) ? b : 256 + extra++);
  return map;
}

export const BYTE_SYMBOLS: readonly string[] = bytesToUnicode();

/** Text as the byte-level symbol string a GPT-2 style vocabulary stores. */
export function byteLevel(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => BYTE_SYMBOLS[b]).join('');
}

/**
 * A word the tokenizer keeps whole. `prefix` is one character joined to the word only by the
 * word's last merge (`=` of `=functions`, the space of ` low`), so the prefix never merges with
 * anything else.
 */
export interface WholeWord {
  prefix?: string;
  word: string;
}

/**
 * Merges (in rank order) that build each word left to right from its bytes, reusing the tokens
 * earlier words made; then the prefixed forms. Returns the merges as `left right` strings and the
 * tokens they make, in order.
 */
export function wordMerges(words: readonly WholeWord[]): { merges: string[]; tokens: string[] } {
  const merges: string[] = [];
  const tokens: string[] = [];
  const made = new Set<string>();
  const merge = (left: string, right: string) => {
    if (made.has(left + right)) return;
    made.add(left + right);
    merges.push(`${left} ${right}`);
    tokens.push(left + right);
  };
  const build = (text: string) => {
    const symbols = [...byteLevel(text)];
    let current = symbols[0]!;
    for (const symbol of symbols.slice(1)) {
      merge(current, symbol);
      current += symbol;
    }
    return current;
  };
  for (const { word } of words) build(word);
  for (const { prefix, word } of words) if (prefix) merge(byteLevel(prefix), byteLevel(word));
  return { merges, tokens };
}

/**
 * One pre-token through the merges as llama.cpp's BPE applies them: the adjacent pair of lowest
 * rank first (leftmost on a tie), until no pair has a rank. For checking a vocabulary's design.
 */
export function bpeSegment(pretoken: string, merges: readonly string[]): string[] {
  const rank = new Map(merges.map((m, i) => [m, i]));
  const symbols = [...byteLevel(pretoken)];
  for (;;) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i + 1 < symbols.length; i++) {
      const r = rank.get(`${symbols[i]} ${symbols[i + 1]}`);
      if (r !== undefined && r < bestRank) {
        best = i;
        bestRank = r;
      }
    }
    if (best < 0) return symbols;
    symbols.splice(best, 2, symbols[best]! + symbols[best + 1]!);
  }
}

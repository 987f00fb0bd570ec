/**
 * Where text can be cut before it is tokenized, so that each chunk tokenizes as it does inside
 * the whole. Three reasons to cut:
 * - a string that looks like a control token (`<|end|>`): llama.cpp matches the texts of
 *   user-defined tokens even with special parsing off, and loading gpt-oss makes harmony's
 *   `<|start|>`, `<|message|>`, `<|channel|>` and `<|constrain|>` user-defined, so one tokenizer call
 *   would turn a user's text into control tokens. Cut inside it, after `<|`, and it stays text.
 * - a long run of one character class (30,000 spaces, 25,000 `a`): llama.cpp's recursive std::regex
 *   pre-tokenizer overflows its stack on one (ggml-org/llama.cpp#27783; 20,000 `a` pass). Cut every
 *   RUN_CHARS, a fifth of that.
 * - size: one synchronous tokenizer call blocks the event loop; chunks of about CHUNK_CHARS keep
 *   each call to a few milliseconds (measured: about 5 ms for 4,096 characters on a loaded 2-core
 *   machine, where each call also costs about 2 ms of regex set-up, so chunks much smaller cost more).
 * Cuts are made where the gpt-4o/o200k pre-tokenizer starts a new pre-token anyway (after a letter
 * or digit, before a space or punctuation that precedes a letter: ` word`, `，中`), and BPE never
 * merges across pre-tokens, so ordinary text tokenizes exactly as before. Only a run longer than
 * RUN_CHARS or a chunk with no such boundary in CHUNK_CHARS is cut elsewhere.
 */

export const RUN_CHARS = 4096;
export const CHUNK_CHARS = 4096;

const SPECIAL_LIKE = /<\|[^\s<>|]{1,64}\|>/gu;

const enum Kind {
  Letter,
  Digit,
  Space,
  Newline,
  Apostrophe,
  Other,
}

function kindOf(cp: number): Kind {
  if ((cp >= 0x61 && cp <= 0x7a) || (cp >= 0x41 && cp <= 0x5a)) return Kind.Letter;
  if (cp >= 0x30 && cp <= 0x39) return Kind.Digit;
  if (cp === 0x0a || cp === 0x0d) return Kind.Newline;
  if (cp === 0x20 || cp === 0x09) return Kind.Space;
  if (cp === 0x27) return Kind.Apostrophe;
  if (cp < 0x80) return Kind.Other;
  const c = String.fromCodePoint(cp);
  return /[\p{L}\p{M}]/u.test(c)
    ? Kind.Letter
    : /\p{N}/u.test(c)
      ? Kind.Digit
      : /\s/u.test(c)
        ? Kind.Space
        : Kind.Other;
}

/** Kinds of one run, as the pre-tokenizer groups them (newlines and spaces both whitespace). */
const runKind = (k: Kind) => (k === Kind.Newline ? Kind.Space : k === Kind.Apostrophe ? Kind.Other : k);
const isWordChar = (k: Kind) => k === Kind.Letter || k === Kind.Digit;
/**
 * Starts a pre-token when a letter follows: a space, tab or punctuation (not an apostrophe: `'s` joins the word
 * before).
 */
const leadsAWord = (k: Kind) => k === Kind.Space || k === Kind.Other;

/** The text in chunks (code-unit slices) whose concatenation is the text, computed as they are taken. */
export function* textChunks(text: string): Generator<string> {
  const specialCuts = [...text.matchAll(SPECIAL_LIKE)].map((m) => m.index + 2);
  let nextSpecial = 0;
  let chunkStart = 0;
  let lastBoundary = -1;
  let runKindNow: Kind | null = null;
  let runLength = 0;
  // the two characters before the current one: [kind, index]
  let before: Kind | null = null;
  let previous: Kind | null = null;
  let previousIndex = -1;
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i)!;
    const kind = kindOf(cp);
    if (before !== null && previous !== null && isWordChar(before) && leadsAWord(previous) && kind === Kind.Letter) {
      lastBoundary = previousIndex;
    }
    while (nextSpecial < specialCuts.length && specialCuts[nextSpecial]! < i) nextSpecial++;
    let cut = -1;
    if (specialCuts[nextSpecial] === i) cut = i;
    else if (runKind(kind) === runKindNow && runLength >= RUN_CHARS) cut = i;
    else if (i - chunkStart >= CHUNK_CHARS) cut = lastBoundary > chunkStart ? lastBoundary : i;
    if (cut > chunkStart) {
      yield text.slice(chunkStart, cut);
      chunkStart = cut;
      lastBoundary = -1;
      if (cut === i) runLength = 0;
    }
    runLength = runKind(kind) === runKindNow ? runLength + 1 : 1;
    runKindNow = runKind(kind);
    before = previous;
    previous = kind;
    previousIndex = i;
    i += cp > 0xffff ? 2 : 1;
  }
  if (chunkStart < text.length) yield text.slice(chunkStart);
}

import type { Token } from 'node-llama-cpp';

/**
 * What the grammar cannot see: bytes. llama.cpp matches a grammar against the code points it
 * decodes from each token's bytes, and its decoder accepts overlong and surrogate sequences (E0 82 A9
 * decodes as U+00A9) that a real decoder rejects: what the client gets then holds U+FFFD in their
 * place, a string longer than the grammar counted (maxLength broken) and not what was sampled.
 * Byte-level vocabularies (gpt-oss's) have a token for every byte, so a model can sample them; a
 * trained one never does, a random one about once in 450 strings here.
 *
 * The guard names the tokens that would make the output ill-formed UTF-8, given the token before:
 * a token that is ill-formed in itself, and after a token ending in E0, ED, F0 or F4 (the lead bytes
 * whose next byte has a narrower range, Unicode's table 3-7) a token beginning with a byte outside
 * that range. Everything else ill-formed the grammar already refuses. The engine bans these tokens
 * (a token bias) while a grammar holds a message.
 */

const CONTINUATION_LOW = 0x80;
const CONTINUATION_HIGH = 0xbf;

/** The range of the byte after a lead byte whose next byte is not any continuation byte. */
const NARROW_LEADS: ReadonlyMap<number, readonly [number, number]> = new Map([
  [0xe0, [0xa0, 0xbf]],
  [0xed, [0x80, 0x9f]],
  [0xf0, [0x90, 0xbf]],
  [0xf4, [0x80, 0x8f]],
]);

const isContinuation = (byte: number) => byte >= CONTINUATION_LOW && byte <= CONTINUATION_HIGH;

/** Continuation bytes a lead byte asks for and the range of the first; null: not a lead byte. */
function leadOf(byte: number): { count: number; range: readonly [number, number] } | null {
  const narrow = NARROW_LEADS.get(byte);
  const any: readonly [number, number] = [CONTINUATION_LOW, CONTINUATION_HIGH];
  if (byte >= 0xc2 && byte <= 0xdf) return { count: 1, range: any };
  if (byte >= 0xe0 && byte <= 0xef) return { count: 2, range: narrow ?? any };
  if (byte >= 0xf0 && byte <= 0xf4) return { count: 3, range: narrow ?? any };
  return null;
}

/**
 * A token's bytes read on their own: whether they are ill-formed (continuation bytes that open the
 * token belong to the token before, and a sequence cut at the end goes on in the next one), and the
 * narrow lead byte the token ends with, if it ends right after one.
 */
function readToken(bytes: Uint8Array): { illFormed: boolean; endsWithLead: number | null } {
  let i = 0;
  while (i < bytes.length && isContinuation(bytes[i]!)) i++;
  while (i < bytes.length) {
    const byte = bytes[i]!;
    if (byte < 0x80) {
      i++;
      continue;
    }
    const lead = leadOf(byte);
    if (!lead) return { illFormed: true, endsWithLead: null };
    for (let k = 1; k <= lead.count; k++) {
      const next = bytes[i + k];
      if (next === undefined)
        return { illFormed: false, endsWithLead: k === 1 && NARROW_LEADS.has(byte) ? byte : null };
      const [low, high] = k === 1 ? lead.range : [CONTINUATION_LOW, CONTINUATION_HIGH];
      if (next < low || next > high) return { illFormed: true, endsWithLead: null };
    }
    i += lead.count + 1;
  }
  return { illFormed: false, endsWithLead: null };
}

export class Utf8Guard {
  private constructor(
    private readonly illFormed: readonly Token[],
    private readonly afterLead: ReadonlyMap<number, readonly Token[]>,
    private readonly endsWithLead: ReadonlyMap<Token, number>,
  ) {}

  /** The guard of a vocabulary: each token's bytes (null for a token without text, a control token). */
  static of(vocabulary: readonly (Uint8Array | null)[]): Utf8Guard {
    const illFormed: Token[] = [];
    const endsWithLead = new Map<Token, number>();
    const afterLead = new Map<number, Token[]>([...NARROW_LEADS.keys()].map((lead) => [lead, []]));
    vocabulary.forEach((bytes, id) => {
      const token = id as Token;
      if (!bytes || bytes.length === 0) return;
      const read = readToken(bytes);
      if (read.illFormed) illFormed.push(token);
      if (read.endsWithLead !== null) endsWithLead.set(token, read.endsWithLead);
      const first = bytes[0]!;
      if (read.illFormed || !isContinuation(first)) return;
      for (const [lead, [low, high]] of NARROW_LEADS) if (first < low || first > high) afterLead.get(lead)!.push(token);
    });
    for (const banned of afterLead.values()) banned.push(...illFormed);
    return new Utf8Guard(illFormed, afterLead, endsWithLead);
  }

  /** Tokens that may not come after `previous` (undefined: the first token of the value). */
  bannedAfter(previous: Token | undefined): readonly Token[] {
    const lead = previous === undefined ? undefined : this.endsWithLead.get(previous);
    return lead === undefined ? this.illFormed : this.afterLead.get(lead)!;
  }
}

/** Token types of a GGUF vocabulary (llama.cpp's llama_token_type). */
const NORMAL = 1;
const BYTE = 6;

/**
 * GPT-2's byte-level alphabet, as GGUF vocabularies store byte-level BPE tokens: printable bytes
 * stand for themselves, the others for the code points from U+0100 on, in byte order (space is Ġ).
 */
const GPT2_BYTES: ReadonlyMap<string, number> = (() => {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const symbols = new Map<string, number>();
  let shifted = 0;
  for (let b = 0; b < 256; b++) symbols.set(String.fromCodePoint(printable(b) ? b : 0x100 + shifted++), b);
  return symbols;
})();

/**
 * Each token's bytes from a GGUF vocabulary: byte-level BPE ("gpt2", gpt-oss's o200k) spells bytes
 * as GPT-2's printable symbols; SentencePiece ("llama") writes text with ▁ for spaces and single
 * bytes as <0xHH>. Control and other special tokens have no bytes a grammar sees as text here.
 * Null for a tokenizer this does not read (the guard then bans nothing).
 */
export function vocabularyBytes(
  tokenizer: string,
  tokens: readonly string[],
  types: readonly number[],
): (Uint8Array | null)[] | null {
  if (tokenizer !== 'gpt2' && tokenizer !== 'llama') return null;
  return tokens.map((token, i) => {
    const type = types[i] ?? NORMAL;
    if (tokenizer === 'llama' && type === BYTE) {
      const hex = /^<0x([0-9A-Fa-f]{2})>$/.exec(token);
      return hex ? Uint8Array.of(parseInt(hex[1]!, 16)) : null;
    }
    if (type !== NORMAL) return null;
    if (tokenizer === 'llama') return Buffer.from(token.replaceAll('\u2581', ' '), 'utf8');
    const bytes = [...token].map((symbol) => GPT2_BYTES.get(symbol));
    return bytes.every((b) => b !== undefined) ? Uint8Array.from(bytes) : Buffer.from(token, 'utf8');
  });
}

import { describe, expect, it } from 'vitest';
import { Utf8Guard, vocabularyBytes } from '../../../../runtime/engine/grammar/utf8Guard.js';

/** The UTF-8 guard on small vocabularies of byte strings: which tokens it bans after which. */

const bytes = (...values: number[]) => Uint8Array.from(values);

// token ids are indexes: each token's bytes
const VOCABULARY = [
  bytes(0x41), // 0: "A"
  bytes(0xe0), // 1: a lead byte whose next byte must be A0..BF
  bytes(0x82), // 2: a continuation byte (overlong after E0)
  bytes(0xa4), // 3: a continuation byte (fine after E0, a surrogate after ED)
  bytes(0xed), // 4: a lead byte whose next byte must be 80..9F
  bytes(0xc0), // 5: never in UTF-8
  bytes(0xe0, 0x82, 0xa9), // 6: an overlong sequence in one token
  bytes(0x41, 0xf0), // 7: text ending with a lead byte whose next byte must be 90..BF
  bytes(0x8f, 0x41), // 8: a continuation byte then text
  bytes(0xc3, 0xa9), // 9: "é", well formed
  null, // 10: a control token
  bytes(0xf4), // 11: a lead byte whose next byte must be 80..8F
  bytes(0x90), // 12: a continuation byte (fine after F0, past U+10FFFF after F4)
];

describe('Utf8Guard', () => {
  const guard = Utf8Guard.of(VOCABULARY);

  it('always bans tokens ill-formed in themselves', () => {
    expect(guard.bannedAfter(undefined)).toEqual([5, 6]);
    expect(guard.bannedAfter(0 as never)).toEqual([5, 6]);
    expect(guard.bannedAfter(9 as never)).toEqual([5, 6]);
    expect(guard.bannedAfter(10 as never)).toEqual([5, 6]);
  });

  it('after a narrow lead byte, bans the continuation bytes outside its range', () => {
    // E0: 82 and 8F make overlong sequences, 90 too; A4 is fine
    expect(guard.bannedAfter(1 as never)).toEqual([2, 8, 12, 5, 6]);
    // ED: A4 makes a surrogate
    expect(guard.bannedAfter(4 as never)).toEqual([3, 5, 6]);
    // a token ending with F0: 82 and 8F are overlong
    expect(guard.bannedAfter(7 as never)).toEqual([2, 8, 5, 6]);
    // F4: A4 and 90 go past U+10FFFF
    expect(guard.bannedAfter(11 as never)).toEqual([3, 12, 5, 6]);
  });

  it('an empty vocabulary (a tokenizer it cannot read) bans nothing', () => {
    expect(Utf8Guard.of([]).bannedAfter(undefined)).toEqual([]);
  });
});

describe('vocabularyBytes', () => {
  it('byte-level BPE ("gpt2"): GPT-2 symbols are bytes; control tokens have none', () => {
    const read = vocabularyBytes('gpt2', ['A', 'Ġthe', 'Ã©', 'Ċ', '<|end|>', 'Ā'], [1, 1, 1, 1, 3, 1]);
    expect(read?.map((b) => (b ? Buffer.from(b).toString('hex') : null))).toEqual([
      '41',
      '20746865',
      'c3a9',
      '0a',
      null,
      '00',
    ]);
  });

  it('SentencePiece ("llama"): ▁ is a space, <0xHH> a byte', () => {
    const read = vocabularyBytes('llama', ['▁the', '<0xE0>', '<s>'], [1, 6, 3]);
    expect(read?.map((b) => (b ? Buffer.from(b).toString('hex') : null))).toEqual(['20746865', 'e0', null]);
  });

  it('another tokenizer: none read', () => {
    expect(vocabularyBytes('bert', ['a'], [1])).toBeNull();
  });
});

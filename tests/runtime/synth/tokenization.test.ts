import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, type LlamaModel, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PromptEncoder } from '../../../runtime/engine/promptEncoder.js';
import {
  HARMONY_ADDED_TOKENS,
  HARMONY_FIRST_ADDED_ID,
  HARMONY_VOCAB_SIZE,
  TOKEN_TYPE,
  USER_DEFINED_AT_LOAD,
  harmonyTokenId,
  ordinaryPieces,
  padToken,
} from '../../../runtime/synth/o200kHarmony.js';
import { SCRIPT_VOCABULARY } from '../../../runtime/synth/harmonyScript.js';
import { synthModel } from '../../../runtime/synth/synthModel.js';
import { buildVocabulary } from '../../../runtime/synth/vocab.js';
import { modelPath } from '../../helpers/models.js';

/**
 * The synthetic vocabularies against the real gpt-oss one (sources in docs/synthetic-models.md,
 * "Token types"): the added tokens at o200k_harmony's ids with the token types convert_hf_to_gguf.py
 * gives them, and each harmony control string tokenized by llama.cpp as the real model tokenizes it.
 */

/**
 * What OpenAI's reference encodes each added token's text into as ordinary text: openai-harmony
 * 0.0.8 (o200k_harmony, tiktoken-rs 0.7.0's o200k_base), encode(text, allowed_special=set(),
 * disallowed_special=()), the pieces between `<`, `|` and `|`, `>`. Recorded from the reference.
 */
const REFERENCE_ORDINARY: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['<|startoftext|>', ['start', 'of', 'text']],
  ['<|endoftext|>', ['end', 'of', 'text']],
  ['<|reserved_200000|>', ['reserved', '_', '200', '000']],
  ['<|reserved_200001|>', ['reserved', '_', '200', '001']],
  ['<|return|>', ['return']],
  ['<|constrain|>', ['con', 'strain']],
  ['<|reserved_200004|>', ['reserved', '_', '200', '004']],
  ['<|channel|>', ['channel']],
  ['<|start|>', ['start']],
  ['<|end|>', ['end']],
  ['<|message|>', ['message']],
  ['<|reserved_200009|>', ['reserved', '_', '200', '009']],
  ['<|reserved_200010|>', ['reserved', '_', '200', '010']],
  ['<|reserved_200011|>', ['reserved', '_', '200', '011']],
  ['<|call|>', ['call']],
  ['<|reserved_200013|>', ['reserved', '_', '200', '013']],
  ['<|reserved_200014|>', ['reserved', '_', '200', '014']],
  ['<|reserved_200015|>', ['reserved', '_', '200', '015']],
  ['<|reserved_200016|>', ['reserved', '_', '200', '016']],
  ['<|reserved_200017|>', ['reserved', '_', '200', '017']],
  ['<|endofprompt|>', ['end', 'of', 'prompt']],
];
const ordinary = (inner: readonly string[]) => ['<', '|', ...inner, '|', '>'];

describe('the real vocabulary as the synthetic models copy it', () => {
  it('the added tokens are the 21 of openai/gpt-oss-20b, at ids 199,998 to 200,018', () => {
    expect(HARMONY_ADDED_TOKENS).toEqual(REFERENCE_ORDINARY.map(([token]) => token));
    expect(harmonyTokenId('<|startoftext|>')).toBe(199_998);
    expect(harmonyTokenId('<|return|>')).toBe(200_002);
    expect(harmonyTokenId('<|call|>')).toBe(200_012);
    expect(harmonyTokenId('<|endofprompt|>')).toBe(200_018);
  });

  it.each(REFERENCE_ORDINARY)('%s as ordinary text is the pieces the reference encodes', (token, inner) => {
    expect(ordinaryPieces(token)).toEqual(ordinary(inner));
  });

  it('the full-size vocabulary: 201,088 ids, specials CONTROL at their ids, [PAD<id>] UNUSED after them', () => {
    const vocab = buildVocabulary({ ...SCRIPT_VOCABULARY, emitted: [], specials: 'real' });
    expect(vocab.tokens).toHaveLength(HARMONY_VOCAB_SIZE);
    HARMONY_ADDED_TOKENS.forEach((token, i) => {
      expect(vocab.tokens[HARMONY_FIRST_ADDED_ID + i]).toBe(token);
      expect(vocab.types[HARMONY_FIRST_ADDED_ID + i]).toBe(TOKEN_TYPE.control);
    });
    const firstPad = HARMONY_FIRST_ADDED_ID + HARMONY_ADDED_TOKENS.length;
    expect(vocab.tokens[firstPad]).toBe(padToken(200_019));
    expect(vocab.tokens.at(-1)).toBe('[PAD201087]');
    expect(new Set(vocab.types.slice(firstPad))).toEqual(new Set([TOKEN_TYPE.unused]));
    expect(new Set(vocab.types.slice(0, HARMONY_FIRST_ADDED_ID))).toEqual(new Set([TOKEN_TYPE.normal]));
    // as the published GGUF: bos <|startoftext|>, eos <|return|>, padding <|endoftext|>
    expect([vocab.bosId, vocab.eosId, vocab.padId]).toEqual([199_998, 200_002, 199_999]);
  });
});

const scratch = mkdtempSync(join(tmpdir(), 'gptoss-tokenization-'));
const models: Record<'scripted' | 'gpt-oss-20b', LlamaModel> = {} as never;
beforeAll(async () => {
  const llama = await getLlama({ gpu: false, build: 'never' });
  models.scripted = await llama.loadModel({ modelPath: modelPath('scripted') });
  // the full-size preset's header with a sparse body: llama.cpp reads only its vocabulary
  const [file] = (
    await synthModel({ arch: 'gpt-oss', preset: 'gpt-oss-20b', seed: 1, sparse: true, out: join(scratch, '20b.gguf') })
  ).files;
  models['gpt-oss-20b'] = await llama.loadModel({ modelPath: file!, vocabOnly: true });
});
afterAll(async () => {
  for (const model of Object.values(models)) await model?.dispose();
  rmSync(scratch, { recursive: true });
});

describe.each(['scripted', 'gpt-oss-20b'] as const)('llama.cpp tokenizes the %s model as the real one', (name) => {
  const textOf = (model: LlamaModel, tokens: readonly Token[]) => tokens.map((t) => model.detokenize([t], true));

  it.each(REFERENCE_ORDINARY)('%s with special parsing on: its one token', (token) => {
    const model = models[name];
    const tokens = model.tokenize(token, true);
    expect(tokens).toHaveLength(1);
    expect(textOf(model, tokens)).toEqual([token]);
    if (name === 'gpt-oss-20b') expect(tokens[0]).toBe(harmonyTokenId(token));
  });

  it.each(REFERENCE_ORDINARY)(
    '%s with special parsing off: the token if llama.cpp makes it user-defined, else the reference pieces',
    (token, inner) => {
      const model = models[name];
      const expected = USER_DEFINED_AT_LOAD.includes(token) ? [token] : ordinary(inner);
      expect(textOf(model, model.tokenize(token, false))).toEqual(expected);
    },
  );

  it.each(REFERENCE_ORDINARY)(
    "%s through the runtime's encoder: the reference's ordinary pieces",
    async (token, inner) => {
      const model = models[name];
      const { tokens } = await PromptEncoder.for(model).text(`x${token}y`);
      expect(textOf(model, tokens)).toEqual(['x', ...ordinary(inner), 'y']);
    },
  );
});

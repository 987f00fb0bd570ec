/**
 * The real gpt-oss vocabulary as far as the synthetic models copy it: which ids hold which added
 * tokens, the token type each has in the published GGUF, and how the reference encodes their text
 * as ordinary text. Sources for each fact: docs/synthetic-models.md ("Token types").
 */

/** llama.cpp's token types (include/llama.h llama_token_type), as GGUF `tokenizer.ggml.token_type` stores them. */
export const TOKEN_TYPE = { normal: 1, control: 3, userDefined: 4, unused: 5 } as const;

/** o200k_harmony: 199,998 ordinary tokens, then the added tokens; the model's vocabulary has 201,088 ids. */
export const HARMONY_VOCAB_SIZE = 201_088;
export const HARMONY_FIRST_ADDED_ID = 199_998;

const reserved = (id: number) => `<|reserved_${id}|>`;

/**
 * The added tokens of openai/gpt-oss-20b's tokenizer (ids 199,998 to 200,018, in order), every one
 * `special`, so convert_hf_to_gguf.py writes each as CONTROL. Harmony's own encoder names id
 * 200,018 `<|reserved_200018|>`; the Hugging Face tokenizer, and so the GGUF, `<|endofprompt|>`.
 */
export const HARMONY_ADDED_TOKENS: readonly string[] = [
  '<|startoftext|>',
  '<|endoftext|>',
  reserved(200_000),
  reserved(200_001),
  '<|return|>',
  '<|constrain|>',
  reserved(200_004),
  '<|channel|>',
  '<|start|>',
  '<|end|>',
  '<|message|>',
  reserved(200_009),
  reserved(200_010),
  reserved(200_011),
  '<|call|>',
  ...[200_013, 200_014, 200_015, 200_016, 200_017].map(reserved),
  '<|endofprompt|>',
];

/** The real id of an added token. */
export function harmonyTokenId(text: string): number {
  const index = HARMONY_ADDED_TOKENS.indexOf(text);
  if (index < 0) throw new Error(`${text} is not an added token of o200k_harmony`);
  return HARMONY_FIRST_ADDED_ID + index;
}

/** Ids past the added tokens have no token in the Hugging Face tokenizer: the GGUF holds `[PAD<id>]`, UNUSED. */
export const padToken = (id: number) => `[PAD${id}]`;

/**
 * Added tokens llama.cpp makes USER_DEFINED when it loads any vocabulary holding them
 * (src/llama-vocab.cpp: the gpt-oss "always render these tokens" hack for the first four, which
 * the published GGUF's load log names; and `<|end|>`, which the o200k_harmony workaround takes off
 * the end-of-generation list and makes USER_DEFINED once `<|return|>` and `<|call|>` end
 * generation). USER_DEFINED text is matched even with special parsing off, so a tokenizer call
 * turns these strings in user text into the tokens themselves: the runtime cuts them out of text
 * before tokenizing (runtime/engine/textChunks.ts).
 */
export const USER_DEFINED_AT_LOAD: readonly string[] = [
  '<|channel|>',
  '<|message|>',
  '<|start|>',
  '<|constrain|>',
  '<|end|>',
];

/**
 * The pieces o200k_harmony's ordinary encoding (the reference's encode_ordinary; openai-harmony
 * 0.0.8 with tiktoken-rs 0.7.0's o200k_base) makes of each added token's text, between `<`, `|` and
 * `|`, `>`.
 */
export function ordinaryPieces(text: string): string[] {
  const inner = text.slice(2, -2);
  const named: Record<string, string[]> = {
    startoftext: ['start', 'of', 'text'],
    endoftext: ['end', 'of', 'text'],
    endofprompt: ['end', 'of', 'prompt'],
    constrain: ['con', 'strain'],
  };
  const number = /^reserved_(\d{3})(\d{3})$/u.exec(inner);
  const middle = number ? ['reserved', '_', number[1]!, number[2]!] : (named[inner] ?? [inner]);
  return ['<', '|', ...middle, '|', '>'];
}

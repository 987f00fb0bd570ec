import * as z from 'zod';
import { MAX_CONTEXT_SIZE } from '../models.js';
import { MAX_STOP_SEQUENCES } from './limits.js';

/**
 * The sampling fields both endpoints and both APIs share, with their bounds. Every one may be null,
 * which means "not given" (clients written for OpenAI send nulls for what they leave unset).
 */

const number = z.number({ error: 'must be a number' });
/** Number.isInteger, not zod's int(): 1e300 is an integer too, and should hear about its bound. */
const integer = number.refine(Number.isInteger, 'must be an integer');
const between = (low: number, high: number) =>
  number.min(low, `must be between ${low} and ${high}`).max(high, `must be between ${low} and ${high}`);

export const tokenCount = integer
  .positive('must be greater than 0')
  .max(MAX_CONTEXT_SIZE, `must be at most ${MAX_CONTEXT_SIZE} (the largest context)`);

const stopSequence = z.string({ error: 'must be a string' }).min(1, 'must not be empty');

/** The largest seed: llama.cpp's sampler takes 32 bits. */
export const MAX_SEED = 2 ** 32 - 1;

/** OpenAI's sampling fields. */
export const OPENAI_SAMPLING_FIELDS = {
  max_tokens: tokenCount.nullish(),
  temperature: between(0, 2).nullish(),
  top_p: number.gt(0, 'must be greater than 0 and at most 1').max(1, 'must be greater than 0 and at most 1').nullish(),
  seed: integer.min(0, 'must be at least 0').max(MAX_SEED, 'must fit in 32 bits').nullish(),
  /** One sequence or a list; always a list once parsed. */
  stop: z
    .preprocess(
      (stop) => (typeof stop === 'string' ? [stop] : stop),
      z
        .array(stopSequence, { error: 'must be a string or a list of strings' })
        .max(MAX_STOP_SEQUENCES, `takes at most ${MAX_STOP_SEQUENCES} sequences`),
    )
    .nullish(),
  presence_penalty: between(-2, 2).nullish(),
  frequency_penalty: between(-2, 2).nullish(),
};

/** Vendor extensions, as llama.cpp's server spells them. */
export const VENDOR_SAMPLING_FIELDS = {
  top_k: integer
    .min(0, 'must be at least 0 (0 turns it off)')
    .max(2 ** 31 - 1, 'must fit in 31 bits')
    .nullish(),
  min_p: between(0, 1).nullish(),
  repeat_penalty: number
    .gt(0, 'must be greater than 0 and at most 2')
    .max(2, 'must be greater than 0 and at most 2')
    .nullish(),
};

export const SAMPLING_FIELDS = { ...OPENAI_SAMPLING_FIELDS, ...VENDOR_SAMPLING_FIELDS };

/** OpenAI's newer name of max_tokens, on chat completions. */
export const MAX_COMPLETION_TOKENS_FIELD = { max_completion_tokens: tokenCount.nullish() };

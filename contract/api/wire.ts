import * as z from 'zod';

/** Small schemas the request shapes share. A null means "not given", as OpenAI's clients send it. */

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** "is required" for a field left out, `otherwise` for one of the wrong type. */
const requiredOr = (otherwise: string) => (issue: { input: unknown }) =>
  issue.input === undefined ? 'is required' : otherwise;

export const optionalString = z.string({ error: 'must be a string' }).nullish();
export const optionalBoolean = z.boolean({ error: 'must be true or false' }).nullish();
export const requiredString = z.string({ error: requiredOr('must be a string') });
export const nonEmptyString = requiredString.min(1, 'must not be empty');

/** A JSON object of any keys (a JSON Schema, say): not a list, not null. */
export const jsonObject = (what: string) => z.record(z.string(), z.unknown(), { error: requiredOr(`must be ${what}`) });

/** OpenAI's metadata: up to 16 string pairs, keys up to 64 characters, values up to 512. */
const METADATA_PAIRS = 16;
const METADATA_KEY_CHARS = 64;
const METADATA_VALUE_CHARS = 512;

export const metadataSchema = z
  .record(
    z.string(),
    z
      .string({ error: 'must be a string' })
      .max(METADATA_VALUE_CHARS, `must be at most ${METADATA_VALUE_CHARS} characters`),
    { error: 'must be an object of string values' },
  )
  .superRefine((pairs, ctx) => {
    const keys = Object.keys(pairs);
    if (keys.length > METADATA_PAIRS) {
      ctx.addIssue({ code: 'custom', message: `takes at most ${METADATA_PAIRS} pairs; got ${keys.length}` });
    }
    if (keys.some((key) => key.length > METADATA_KEY_CHARS)) {
      ctx.addIssue({ code: 'custom', message: `keys must be at most ${METADATA_KEY_CHARS} characters` });
    }
  });

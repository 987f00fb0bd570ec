import type { SchemaCompiler } from './context.js';
import type { SchemaPath } from './schemaPath.js';

/**
 * The largest count (minLength, maxLength, minItems, maxItems) a grammar holds a value to. A counted
 * string is two rules a character (jsonText.ts), about 170 kB of grammar at 1,000, which llama.cpp
 * parses again for each request (tens of milliseconds); a counted list is a repetition of one rule,
 * which llama.cpp refuses from 2,000. A field a model fills in one answer fits well within it.
 */
export const MAX_COUNT = 1000;

/** A count keyword's value: undefined when absent; a non-negative integer up to MAX_COUNT, or the client's error. */
export function countOf(value: unknown, path: SchemaPath, compiler: SchemaCompiler): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    compiler.fail(path, 'must be a non-negative integer');
  }
  if (value > MAX_COUNT) {
    compiler.fail(path, `at most ${MAX_COUNT} can be enforced while generating; lower it or check it after`);
  }
  return value;
}

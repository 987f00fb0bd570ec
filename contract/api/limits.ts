import { MAX_CONTEXT_SIZE } from '../models.js';

/**
 * What one request may carry, whatever the transport's byte limit (--max-body-bytes) allows: both
 * APIs check these before anything is tokenized, so a hostile request costs a schema check, not a
 * tokenizer pass over megabytes of text.
 */

/** Messages in one chat request; far beyond any real conversation that fits a context. */
export const MAX_MESSAGES = 2048;

/**
 * The text of one request (message contents, prompt, stop sequences) in UTF-8 bytes: 8 bytes for
 * each token of the largest context (131,072 tokens), twice what o200k's about 4 bytes per token of
 * English needs, so any text over it could not fit a context anyway.
 */
export const MAX_REQUEST_TEXT_BYTES = 8 * MAX_CONTEXT_SIZE;

/** Stop sequences per request (OpenAI's limit). */
export const MAX_STOP_SEQUENCES = 4;

/** Longest echo of a client's own value (a role, a field name) in an error message. */
const MAX_ECHO_CHARS = 64;

/** A client's value (a field name, a role) cut short for an error message. */
export const shortened = (text: string): string =>
  text.length > MAX_ECHO_CHARS ? `${text.slice(0, MAX_ECHO_CHARS)}...` : text;

/** A client's value as error messages quote it: JSON-quoted and cut short. */
export const quoted = (text: string): string => JSON.stringify(shortened(text));

/** Tools per request (OpenAI's limit). */
export const MAX_TOOLS = 128;

/**
 * How deep a client's JSON Schema may nest, counting objects and lists: far beyond any real schema
 * (OpenAI's strict mode allows 10 levels of objects, each two deep here: `properties` and the
 * property), and shallow enough for the validators and the grammar builder that recurse into it.
 */
export const MAX_SCHEMA_DEPTH = 64;

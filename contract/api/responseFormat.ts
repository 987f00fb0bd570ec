import * as z from 'zod';
import type { ResponseFormat } from './chat.js';
import { checkJsonSchema } from './jsonSchema.js';
import { parseAt, type FieldPath } from './issues.js';
import { readKind, type Kinds } from './kinds.js';
import { openAiName } from './tools.js';
import { optionalBoolean, optionalString } from './wire.js';

/**
 * Structured output as both OpenAI APIs ask for it: Chat Completions' `response_format` (the schema
 * nested under `json_schema`) and the Responses API's `text.format` (flat). Either way the schema must
 * be a valid JSON Schema; whether a grammar can hold the answer to every keyword in it is decided when
 * the grammar is built.
 */

const schema = z.record(z.string(), z.unknown(), {
  error: (issue) =>
    issue.input === undefined
      ? 'is required: the JSON Schema the answer must match (for any JSON object, use type "json_object")'
      : 'must be a JSON Schema object',
});

const schemaFields = { name: openAiName, description: optionalString, schema, strict: optionalBoolean };

const plain = <T extends string>(type: T) => z.strictObject({ type: z.literal(type) });
const chatJsonSchema = z.strictObject({
  type: z.literal('json_schema'),
  json_schema: z.strictObject(schemaFields, { error: 'must be {"name": ..., "schema": ...}' }),
});
const responsesJsonSchema = z.strictObject({ type: z.literal('json_schema'), ...schemaFields });

type SchemaFields = z.output<typeof chatJsonSchema>['json_schema'];

function jsonSchemaFormat(fields: SchemaFields, path: FieldPath): ResponseFormat {
  checkJsonSchema(fields.schema, [...path, 'schema']);
  return {
    type: 'json_schema',
    name: fields.name,
    ...(typeof fields.description === 'string' && { description: fields.description }),
    schema: fields.schema,
    // OpenAI's default; the answer is held to the schema by a grammar here either way
    strict: fields.strict ?? false,
  };
}

const kinds = (readSchema: Kinds<ResponseFormat>['read'][string]): Kinds<ResponseFormat> => ({
  what: 'format',
  shape: '{"type": "text" | "json_object" | "json_schema", ...}',
  read: {
    text: (value, path) => parseAt(plain('text'), value, path),
    json_object: (value, path) => parseAt(plain('json_object'), value, path),
    json_schema: readSchema,
  },
  refused: {},
});

const CHAT_FORMATS = kinds((value, path) =>
  jsonSchemaFormat(parseAt(chatJsonSchema, value, path).json_schema, [...path, 'json_schema']),
);
const RESPONSES_FORMATS = kinds((value, path) => jsonSchemaFormat(parseAt(responsesJsonSchema, value, path), path));

const TEXT: ResponseFormat = { type: 'text' };

/** Chat Completions' `response_format`; null or left out: text. */
export const chatResponseFormat = (value: unknown): ResponseFormat =>
  value === undefined || value === null ? TEXT : readKind(value, ['response_format'], CHAT_FORMATS);

/** The Responses API's `text.format`; null or left out: text. */
export const responsesTextFormat = (value: unknown): ResponseFormat =>
  value === undefined || value === null ? TEXT : readKind(value, ['text', 'format'], RESPONSES_FORMATS);

import { quoted } from '../../../contract/api/limits.js';

/**
 * What a grammar does with each JSON Schema keyword: enforces it, passes over it (an annotation,
 * which asks for no particular value), or refuses it (a constraint no context-free grammar over
 * JSON text can hold: arithmetic on numbers, regular expressions over decoded strings, uniqueness,
 * negation, conditions). A refused or unknown keyword is an error naming it, never silently
 * dropped: the client would otherwise trust an output nobody checked.
 */

/** Keywords the compiler reads, by the kind of value they constrain (null: any kind). */
export const ENFORCED: Readonly<Record<string, 'string' | 'array' | 'object' | null>> = {
  type: null,
  enum: null,
  const: null,
  anyOf: null,
  oneOf: null,
  allOf: null,
  $ref: null,
  minLength: 'string',
  maxLength: 'string',
  format: 'string',
  items: 'array',
  prefixItems: 'array',
  additionalItems: 'array',
  minItems: 'array',
  maxItems: 'array',
  properties: 'object',
  required: 'object',
  additionalProperties: 'object',
};

/** Keywords that describe a value or hold subschemas for `$ref`, asking for nothing themselves. */
const PASSED_OVER = new Set([
  'title',
  'description',
  'default',
  'examples',
  // OpenAPI's singular example and its discriminator hint (the oneOf itself is checked)
  'example',
  'discriminator',
  'deprecated',
  'readOnly',
  'writeOnly',
  '$comment',
  '$schema',
  '$id',
  '$anchor',
  '$dynamicAnchor',
  '$vocabulary',
  'contentMediaType',
  'contentEncoding',
  '$defs',
  'definitions',
]);

/** Constraints a grammar cannot hold while generating. */
const REFUSED = new Set([
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'uniqueItems',
  'contains',
  'minContains',
  'maxContains',
  'if',
  'then',
  'else',
  'not',
  'dependentSchemas',
  'dependentRequired',
  'dependencies',
  'patternProperties',
  'propertyNames',
  'minProperties',
  'maxProperties',
  'unevaluatedProperties',
  'unevaluatedItems',
  'contentSchema',
  '$dynamicRef',
  '$recursiveRef',
  '$recursiveAnchor',
]);

export type KeywordKind = 'enforced' | 'passedOver' | 'refused' | 'unknown';

/** What the compiler does with a keyword. `x-` names are vendor annotations (OpenAPI's convention). */
export function keywordKind(keyword: string): KeywordKind {
  if (Object.hasOwn(ENFORCED, keyword)) return 'enforced';
  if (PASSED_OVER.has(keyword) || keyword.startsWith('x-')) return 'passedOver';
  if (REFUSED.has(keyword)) return 'refused';
  return 'unknown';
}

/** The error for a keyword the compiler does not enforce (refused or unknown). */
export function keywordProblem(keyword: string): string {
  if (keyword === 'nullable') {
    return 'the keyword "nullable" is OpenAPI\'s, not JSON Schema\'s; write "type": ["<type>", "null"] instead';
  }
  if (REFUSED.has(keyword)) {
    return `the keyword ${quoted(keyword)} cannot be enforced while generating; remove it or check it after`;
  }
  return `the keyword ${quoted(keyword)} is not one this server knows; remove it (annotations may use an "x-" prefix)`;
}

/** Keywords of a schema that constrain its value (annotations and `$defs` aside). */
export const constraintsOf = (schema: Record<string, unknown>): string[] =>
  Object.keys(schema).filter((keyword) => keywordKind(keyword) !== 'passedOver');

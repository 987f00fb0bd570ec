import { invalidAt, type FieldPath } from './issues.js';
import { quoted } from './limits.js';
import { isPlainObject } from './wire.js';

/**
 * What a meta-schema leaves unchecked in a client's JSON Schema: a `$ref` that points nowhere (or to
 * another document, which nothing here fetches) and a `pattern` that is no regular expression. Both
 * would fail later, in whatever reads the schema, with a less clear error.
 */

/** Keywords whose value is one subschema. */
const ONE = [
  'additionalProperties',
  'propertyNames',
  'items',
  'additionalItems',
  'contains',
  'not',
  'if',
  'then',
  'else',
  'unevaluatedItems',
  'unevaluatedProperties',
  'contentSchema',
];
/** Keywords whose value is a list of subschemas (`items` too, in draft-07's tuples). */
const LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems', 'items'];
/** Keywords whose value maps names to subschemas. */
const MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas', 'dependencies'];

function subschemas(schema: Record<string, unknown>, path: FieldPath): Array<[unknown, FieldPath]> {
  const found: Array<[unknown, FieldPath]> = [];
  for (const key of ONE) if (isPlainObject(schema[key])) found.push([schema[key], [...path, key]]);
  for (const key of LISTS) {
    const list = schema[key];
    if (Array.isArray(list)) list.forEach((item, i) => found.push([item, [...path, key, i]]));
  }
  for (const key of MAPS) {
    const map = schema[key];
    if (isPlainObject(map)) for (const [name, item] of Object.entries(map)) found.push([item, [...path, key, name]]);
  }
  return found;
}

/** A JSON pointer's segments (#/$defs/a~1b), or undefined for a fragment that is not one. */
function pointerSegments(fragment: string): string[] | undefined {
  try {
    return fragment
      .slice(2)
      .split('/')
      .map((segment) => decodeURIComponent(segment).replaceAll('~1', '/').replaceAll('~0', '~'));
  } catch {
    return undefined;
  }
}

function resolves(root: Record<string, unknown>, ref: string): boolean {
  const segments = ref === '#' ? [] : pointerSegments(ref);
  if (!segments) return false;
  let node: unknown = root;
  for (const segment of segments) {
    if (isPlainObject(node) && Object.hasOwn(node, segment)) node = node[segment];
    else if (Array.isArray(node) && /^\d+$/.test(segment) && Number(segment) < node.length)
      node = node[Number(segment)];
    else return false;
  }
  return isPlainObject(node) || typeof node === 'boolean';
}

function checkRef(schema: Record<string, unknown>, root: Record<string, unknown>, path: FieldPath): void {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return;
  if (ref !== '#' && !ref.startsWith('#/')) {
    throw invalidAt(
      [...path, '$ref'],
      `${quoted(ref)} points outside the schema; only references inside it (#/$defs/...) are resolved`,
    );
  }
  if (!resolves(root, ref)) throw invalidAt([...path, '$ref'], `${quoted(ref)} points to nothing in the schema`);
}

function checkPattern(pattern: unknown, path: FieldPath): void {
  if (typeof pattern !== 'string') return;
  try {
    new RegExp(pattern, 'u');
  } catch {
    throw invalidAt(path, `${quoted(pattern)} is not a regular expression (ECMA-262, as JSON Schema's)`);
  }
}

/** Throws for the first reference or pattern in the schema that cannot be used. */
export function checkReferencesAndPatterns(root: Record<string, unknown>, path: FieldPath): void {
  const visit = (schema: unknown, at: FieldPath): void => {
    if (!isPlainObject(schema)) return;
    checkRef(schema, root, at);
    checkPattern(schema.pattern, [...at, 'pattern']);
    if (isPlainObject(schema.patternProperties)) {
      for (const key of Object.keys(schema.patternProperties)) checkPattern(key, [...at, 'patternProperties', key]);
    }
    for (const [child, childAt] of subschemas(schema, at)) visit(child, childAt);
  };
  visit(root, path);
}

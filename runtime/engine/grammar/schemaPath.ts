import { invalidArgument, type ApiError } from '../../../contract/api/errors.js';
import { shortened } from '../../../contract/api/limits.js';

/** Where a subschema is, from the schema's root: ["properties", "age", "minimum"], ["anyOf", 1]. */
export type SchemaPath = readonly (string | number)[];

/**
 * The request field of a place in a schema, in the wire's own spelling (as contract/api's field
 * names): `response_format.json_schema.schema.properties.age.minimum`, `...anyOf[1]`. A client's
 * property names are cut short, as everywhere an error echoes them.
 */
export function fieldAt(field: string, path: SchemaPath): string {
  return path.reduce<string>(
    (name, part) => (typeof part === 'number' ? `${name}[${part}]` : `${name}.${shortened(part)}`),
    field,
  );
}

/** The invalid_argument a client sees for a problem at a place in its schema: "field.path: why". */
export function schemaError(field: string, path: SchemaPath, why: string): ApiError {
  const at = fieldAt(field, path);
  return invalidArgument(at, `${at}: ${why}`);
}

/**
 * A `$ref` within the document as the path it points to: `#` is the root, `#/$defs/Node` a
 * definition, any other JSON Pointer fragment (RFC 6901, percent-encoded as URI fragments are)
 * another subschema. Null for what is not a pointer into this document (another document, an anchor).
 */
export function pointerPath(ref: string): string[] | null {
  if (!ref.startsWith('#')) return null;
  let pointer: string;
  try {
    pointer = decodeURIComponent(ref.slice(1));
  } catch {
    return null;
  }
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return null;
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/**
 * The subschema a pointer's segments lead to, and its path with list indexes as numbers (so an
 * error inside it reads `anyOf[1]`); undefined where the document has nothing.
 */
export function locate(root: unknown, segments: readonly string[]): { node: unknown; path: SchemaPath } | undefined {
  let node = root;
  const path: (string | number)[] = [];
  for (const segment of segments) {
    if (Array.isArray(node) && /^(0|[1-9][0-9]*)$/.test(segment) && Number(segment) < node.length) {
      node = node[Number(segment)] as unknown;
      path.push(Number(segment));
    } else if (typeof node === 'object' && node !== null && !Array.isArray(node) && Object.hasOwn(node, segment)) {
      node = (node as Record<string, unknown>)[segment];
      path.push(segment);
    } else return undefined;
  }
  return { node, path };
}

/** A path as the key of a rule (and of the graph of references): its JSON Pointer. */
export const pointerOf = (path: SchemaPath): string =>
  path.map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');

import { isSchemaObject, type SchemaCompiler } from './context.js';
import { jsonText } from './jsonText.js';
import { constraintsOf, ENFORCED } from './keywords.js';
import type { SchemaPath } from './schemaPath.js';
import { isSchemaType, kindOf, TYPES, type SchemaType } from './values.js';

/**
 * Whether no JSON value can match both schemas, proven cheaply or not at all (false means "not
 * proven"): their types do not meet, their listed values (enum, const) do not meet, or both are
 * objects that require a property whose schemas are themselves disjoint (a discriminator).
 */

interface Located {
  schema: unknown;
  path: SchemaPath;
}

/** How deep the proof follows properties into properties. */
const MAX_PROOF_DEPTH = 8;

type Kind = Exclude<SchemaType, 'integer'>;
const ALL_KINDS: readonly Kind[] = TYPES.filter((type): type is Kind => type !== 'integer');

export function disjoint(a: Located, b: Located, compiler: SchemaCompiler, depth = 0): boolean {
  if (depth > MAX_PROOF_DEPTH) return false;
  const left = compiler.referenced(a.schema, a.path);
  const right = compiler.referenced(b.schema, b.path);
  const kinds = kindsOf(left.node, compiler).filter((kind) => kindsOf(right.node, compiler).includes(kind));
  if (kinds.length === 0) return true;
  const [leftValues, rightValues] = [valuesOf(left.node), valuesOf(right.node)];
  if (leftValues && rightValues) return !leftValues.some((value) => rightValues.includes(value));
  if (kinds.length === 1 && kinds[0] === 'object') return discriminated(left, right, compiler, depth);
  return false;
}

/** The kinds of value a schema allows (integers count as numbers); every kind where it cannot tell. */
function kindsOf(schema: unknown, compiler: SchemaCompiler): readonly Kind[] {
  if (schema === false) return [];
  if (!isSchemaObject(schema)) return ALL_KINDS;
  const values = valuesOf(schema);
  if (values) return [...new Set(values.map((text) => kindOf(JSON.parse(text))))] as Kind[];
  const declared = schema.type;
  const types = Array.isArray(declared) ? (declared as unknown[]) : declared === undefined ? null : [declared];
  if (types) return [...new Set(types.filter(isSchemaType).map((type) => (type === 'integer' ? 'number' : type)))];
  for (const keyword of ['anyOf', 'oneOf'] as const) {
    const options = schema[keyword];
    if (Array.isArray(options)) {
      return [...new Set(options.flatMap((option) => kindsOf(compiler.referenced(option, []).node, compiler)))];
    }
  }
  const implied = constraintsOf(schema).map((keyword) => ENFORCED[keyword]);
  if (implied.length && implied.every(Boolean)) return [...new Set(implied)] as Kind[];
  return ALL_KINDS;
}

/** The values an enum or const lists, as JSON text (so 1 and 1.0 are one value); null where it lists none. */
function valuesOf(schema: unknown): string[] | null {
  if (!isSchemaObject(schema)) return null;
  let values: string[] | null = Array.isArray(schema.enum) ? schema.enum.map(jsonText) : null;
  if ('const' in schema) {
    const only = jsonText(schema.const);
    values = values ? values.filter((v) => v === only) : [only];
  }
  return values;
}

/** Two object schemas that both require a property whose schemas are disjoint. */
function discriminated(
  left: { node: unknown; path: SchemaPath },
  right: { node: unknown; path: SchemaPath },
  compiler: SchemaCompiler,
  depth: number,
): boolean {
  const property = (side: typeof left, name: string): Located | null => {
    if (!isSchemaObject(side.node) || !Array.isArray(side.node.required) || !side.node.required.includes(name)) {
      return null;
    }
    const properties = side.node.properties;
    if (!isSchemaObject(properties) || !Object.hasOwn(properties, name)) return null;
    return { schema: properties[name], path: [...side.path, 'properties', name] };
  };
  const names = isSchemaObject(left.node) && Array.isArray(left.node.required) ? left.node.required : [];
  return names.some((name) => {
    if (typeof name !== 'string') return false;
    const [a, b] = [property(left, name), property(right, name)];
    return a !== null && b !== null && disjoint(a, b, compiler, depth + 1);
  });
}

import { serdeJson } from './serdeJson.js';

/**
 * A JSON Schema as the TypeScript-like type the harmony reference writes for a function's
 * parameters (json_schema_to_typescript in github.com/openai/harmony, src/encoding.rs, as
 * openai-harmony 0.0.8 renders it), quirks included, since the model was trained on its output:
 * descriptions, titles and examples as comments above a property, `?` for optional properties,
 * `// default:` after them, string enums as unions, `T[]` for arrays, `| null` for `nullable`, a
 * `type` list as a union, oneOf as a union of variants one per line. What it does not know (anyOf,
 * allOf, $ref, const, a missing type) is `any`. Nested objects are indented by four spaces, union
 * variants by three, and closing braces keep the indent of their properties.
 */

type Json = unknown;

const isRecord = (value: Json): value is Record<string, Json> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A keyword of a schema object (serde_json's `get`: nothing for a schema that is not an object). */
const keyword = (schema: Json, name: string): Json =>
  isRecord(schema) && Object.hasOwn(schema, name) ? schema[name] : undefined;

const stringKeyword = (schema: Json, name: string): string | undefined => {
  const value = keyword(schema, name);
  return typeof value === 'string' ? value : undefined;
};

const listKeyword = (schema: Json, name: string): Json[] | undefined => {
  const value = keyword(schema, name);
  return Array.isArray(value) ? value : undefined;
};

const isEnum = (schema: Json) => (listKeyword(schema, 'enum')?.length ?? 0) > 0;

/** The type of `schema`, its nested lines indented by `indent`. */
export function schemaType(schema: Json, indent: string): string {
  const variants = listKeyword(schema, 'oneOf');
  if (variants) return unionType(variants, indent);
  const types = listKeyword(schema, 'type')?.filter((t): t is string => typeof t === 'string');
  if (types && types.length > 0) return types.map((t) => (t === 'integer' ? 'number' : t)).join(' | ');
  const type = stringKeyword(schema, 'type');
  return type === undefined ? 'any' : namedType(schema, type, indent);
}

function namedType(schema: Json, type: string, indent: string): string {
  switch (type) {
    case 'object':
      return objectType(schema, indent);
    case 'string': {
      const values = (listKeyword(schema, 'enum') ?? []).filter((v): v is string => typeof v === 'string');
      return values.length > 0 ? values.map((v) => `"${v}"`).join(' | ') : 'string';
    }
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array': {
      const items = keyword(schema, 'items');
      return items === undefined ? 'Array<any>' : `${schemaType(items, indent)}[]`;
    }
    default:
      return 'any';
  }
}

/** A variant's type, with `| null` when it is `nullable` and says nothing of null yet. */
function variantType(schema: Json, indent: string): string {
  const type = schemaType(schema, indent);
  return keyword(schema, 'nullable') === true && !type.includes('null') ? `${type} | null` : type;
}

/**
 * A `// default:` comment's text. A string default is quoted unless the schema is an enum; a union's
 * variants at the top of a schema quote an enum's string default as JSON instead.
 */
function defaultText(schema: Json, enumStringsBare: boolean): string | undefined {
  const value = keyword(schema, 'default');
  if (value === undefined) return undefined;
  if (typeof value === 'string' && !isEnum(schema)) return `default: "${value}"`;
  if (typeof value === 'string' && enumStringsBare) return `default: ${value}`;
  return `default: ${serdeJson(value)}`;
}

const trailingComment = (comments: (string | undefined)[]) => {
  const present = comments.filter((c) => c !== undefined);
  return present.length > 0 ? ` // ${present.join(' ')}` : '';
};

/** A oneOf schema's own type: each variant on a line of its own, its description and default after it. */
function unionType(variants: Json[], indent: string): string {
  return variants
    .map(
      (variant) =>
        `\n${indent} | ${variantType(variant, `${indent}   `)}` +
        trailingComment([stringKeyword(variant, 'description'), defaultText(variant, false)]),
    )
    .join('');
}

function objectType(schema: Json, indent: string): string {
  const description = stringKeyword(schema, 'description');
  let out = description === undefined ? '' : `${indent}// ${description}\n`;
  out += '{\n';
  const properties = keyword(schema, 'properties');
  if (isRecord(properties)) {
    const required = new Set((listKeyword(schema, 'required') ?? []).filter((r) => typeof r === 'string'));
    for (const [name, property] of Object.entries(properties)) {
      out += propertyLines(`${name}${required.has(name) ? '' : '?'}`, property, indent);
    }
  }
  return `${out}${indent}}`;
}

/** One property: its comments, then `name: type,` and its default (a oneOf property: its variants). */
function propertyLines(label: string, property: Json, indent: string): string {
  let out = '';
  const title = stringKeyword(property, 'title');
  if (title !== undefined) out += `${indent}// ${title}\n${indent}//\n`;
  const hasOneOf = keyword(property, 'oneOf') !== undefined;
  const description = stringKeyword(property, 'description');
  if (!hasOneOf && description !== undefined) out += `${indent}// ${description}\n`;
  const examples = listKeyword(property, 'examples') ?? [];
  if (examples.length > 0) out += `${indent}// Examples:\n`;
  for (const example of examples) if (typeof example === 'string') out += `${indent}// - "${example}"\n`;
  const variants = listKeyword(property, 'oneOf');
  if (variants) return out + oneOfPropertyLines(label, property, variants, indent);
  out += `${indent}${label}: ${variantType(property, `${indent}    `)},`;
  if (!hasOneOf) out += trailingComment([defaultText(property, true)]);
  return `${out}\n`;
}

/**
 * A oneOf property: its description above it (left out when the first variant says the same), its
 * default, `name:`, then the variants, each with a description of its own if it differs.
 */
function oneOfPropertyLines(label: string, property: Json, variants: Json[], indent: string): string {
  const description = stringKeyword(property, 'description');
  const describedAbove = description !== undefined && stringKeyword(variants[0], 'description') !== description;
  let out = describedAbove ? `${indent}// ${description}\n` : '';
  const fallback = defaultText(property, true);
  if (fallback !== undefined) out += `${indent}// ${fallback}\n`;
  out += `${indent}${label}:\n`;
  variants.forEach((variant, i) => {
    const own = stringKeyword(variant, 'description');
    const shown = (i === 0 && describedAbove) || own === description ? undefined : own;
    out += `${indent} | ${variantType(variant, `${indent}   `)}`;
    out += `${trailingComment([shown, defaultText(variant, true)])}\n`;
  });
  return `${out}${indent},\n`;
}

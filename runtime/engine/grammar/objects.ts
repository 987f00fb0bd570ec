import { quoted } from '../../../contract/api/limits.js';
import { below, isSchemaObject, NO_HEADS, type Compiled, type SchemaCompiler, type Site } from './context.js';
import { literal } from './gbnf.js';
import { anyObject, anyValue, jsonText, string, ws } from './jsonText.js';
import { keyExcluding } from './keys.js';
import type { SchemaPath } from './schemaPath.js';

/**
 * Objects: the declared properties in the schema's order (as OpenAI's models write them), the
 * required ones always, the others optional; then additional properties where the schema allows
 * them. With `additionalProperties` absent, an object that declares `properties` gets only those
 * (as llama.cpp's and node-llama-cpp's converters do: extra keys are allowed, never asked for, and
 * a model that may invent keys will, on random weights always); one that declares none is any object.
 */

export interface Property {
  name: string;
  schema: unknown;
  /** Where its schema is (for errors, and where two allOf members merged, which member it came from). */
  path: SchemaPath;
}

export interface ObjectShape {
  /** Null: no `properties` keyword at all. */
  properties: Property[] | null;
  required: { names: readonly string[]; path: SchemaPath };
  /** `additionalProperties`: undefined when absent. */
  additional: { schema: unknown; path: SchemaPath } | undefined;
}

/** The object keywords of one schema, checked for shape. */
export function objectShape(schema: Record<string, unknown>, path: SchemaPath, compiler: SchemaCompiler): ObjectShape {
  const { properties, required, additionalProperties } = schema;
  if (properties !== undefined && !isSchemaObject(properties)) {
    compiler.fail([...path, 'properties'], 'must be an object mapping property names to schemas');
  }
  if (required !== undefined && !(Array.isArray(required) && required.every((name) => typeof name === 'string'))) {
    compiler.fail([...path, 'required'], 'must be a list of property names');
  }
  if (additionalProperties !== undefined && typeof additionalProperties !== 'boolean') {
    if (!isSchemaObject(additionalProperties)) compiler.fail([...path, 'additionalProperties'], 'must be a schema');
  }
  return {
    properties: properties
      ? Object.entries(properties).map(([name, value]) => ({
          name,
          schema: value,
          path: [...path, 'properties', name],
        }))
      : null,
    required: { names: [...new Set(required ?? [])], path: [...path, 'required'] },
    additional:
      additionalProperties === undefined
        ? undefined
        : { schema: additionalProperties, path: [...path, 'additionalProperties'] },
  };
}

interface Member {
  /** `"name":` and the value. */
  text: string;
  required: boolean;
}

export function objectRule(shape: ObjectShape, site: Site, compiler: SchemaCompiler): Compiled {
  const { rules } = compiler;
  if (shape.properties === null && shape.additional === undefined) {
    return { expr: site.rule ? rules.define(site.rule, anyObject(rules)) : anyObject(rules), heads: NO_HEADS };
  }
  const name = site.rule ?? rules.reserve(site.hint);
  const members = declaredMembers(shape, site, compiler);
  const extra = extraMember(shape, site, compiler);
  const inside = sequence(members, extra, name, compiler);
  rules.define(name, ['"{"', ws(rules), inside, '"}"'].filter(Boolean).join(' '));
  return { expr: name, heads: NO_HEADS };
}

const memberText = (key: string, value: string) => `${literal(`${jsonText(key)}:`)} " "? ${value}`;

function declaredMembers(shape: ObjectShape, site: Site, compiler: SchemaCompiler): Member[] {
  const required = new Set(shape.required.names);
  const declared = shape.properties ?? [];
  const members: Member[] = [];
  for (const property of declared) {
    if (property.schema === false) {
      if (required.has(property.name)) {
        compiler.fail(property.path, `${quoted(property.name)} is required, but its schema allows no value`);
      }
      continue;
    }
    const value = compiler.node(property.schema, { ...below(site, [], property.name), path: property.path });
    members.push({ text: memberText(property.name, value.expr), required: required.has(property.name) });
  }
  const names = new Set(declared.map((p) => p.name));
  // required but not declared: any value where other properties are allowed (absent additionalProperties too)
  for (const missing of shape.required.names.filter((n) => !names.has(n))) {
    const additional = shape.additional ?? { schema: true, path: shape.required.path };
    if (additional.schema === false) {
      compiler.fail(
        shape.required.path,
        `${quoted(missing)} is required, but it is not among "properties" and no other property is allowed`,
      );
    }
    const value = compiler.node(additional.schema, { ...below(site, [], missing), path: additional.path });
    members.push({ text: memberText(missing, value.expr), required: true });
  }
  return members;
}

/** An additional property (key and value), or null where none is allowed. */
function extraMember(shape: ObjectShape, site: Site, compiler: SchemaCompiler): string | null {
  const { rules } = compiler;
  const additional = shape.additional;
  if (additional === undefined || additional.schema === false) return null;
  const value =
    additional.schema === true
      ? anyValue(rules)
      : compiler.node(additional.schema, { ...below(site, [], 'value'), path: additional.path }).expr;
  const names = [...(shape.properties ?? []).map((p) => p.name), ...shape.required.names];
  const key = names.length ? keyExcluding(rules, names, site.hint) : string(rules);
  return `${key} ":" " "? ${value}`;
}

/**
 * The members between the braces, commas where they belong, and the whitespace before `}`. Before
 * the first required member, each optional one brings its comma after it; after it, before it. With
 * no required member, whichever comes first has none: one alternative per possible first member,
 * each followed by a rule for the rest (`NAME-rest-I`), so the grammar grows linearly.
 */
function sequence(members: Member[], extra: string | null, name: string, compiler: SchemaCompiler): string {
  const { rules } = compiler;
  const comma = `"," ${ws(rules)}`;
  const extras = extra ? [`( ${comma} ${extra} )*`] : [];
  const first = members.findIndex((m) => m.required);
  if (first >= 0) {
    const before = members.slice(0, first).map((m) => `( ${m.text} ${comma} )?`);
    const after = members.slice(first + 1).map((m) => (m.required ? `${comma} ${m.text}` : `( ${comma} ${m.text} )?`));
    return [...before, members[first]!.text, ...after, ...extras, ws(rules)].join(' ');
  }
  // rests[i]: what may follow when member i-1 came first (or later ones), built from the end
  const rests: string[][] = [extras];
  for (let i = members.length - 1; i > 0; i--) {
    const body = [`( ${comma} ${members[i]!.text} )?`, ...rests[0]!].join(' ');
    rests.unshift([rules.define(rules.reserve(`${name}-rest`), body)]);
  }
  const starts = members.map((m, i) => [m.text, ...(rests[i] ?? [])].join(' '));
  if (extra) starts.push([extra, ...extras].join(' '));
  if (starts.length === 0) return '';
  const start = starts.length === 1 ? starts[0]! : `( ${starts.join(' | ')} )`;
  return `( ${start} ${ws(rules)} )?`;
}

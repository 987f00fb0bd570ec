import { quoted } from '../../../contract/api/limits.js';
import { arrayRule } from './arrays.js';
import { NO_HEADS, allHeads, type Compiled, type SchemaCompiler, type Site } from './context.js';
import { countOf } from './counts.js';
import { formatString, STRING_FORMATS } from './formats.js';
import { alternatives } from './gbnf.js';
import { anyValue, boolean, boundedString, integer, nullValue, number, string } from './jsonText.js';
import { constraintsOf, ENFORCED } from './keywords.js';
import { objectRule, objectShape } from './objects.js';
import type { SchemaPath } from './schemaPath.js';
import { isSchemaType, TYPES, type SchemaType } from './values.js';

/** `type`'s value as a list of types, or the client's error. */
export function typesOf(value: unknown, path: SchemaPath, compiler: SchemaCompiler): SchemaType[] {
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  if (list.length === 0) compiler.fail(path, 'must be a type or a non-empty list of types');
  for (const type of list) {
    if (!isSchemaType(type)) {
      const name = typeof type === 'string' ? quoted(type) : JSON.stringify(type);
      compiler.fail(path, `${name} is not a JSON Schema type; the types are ${TYPES.join(', ')}`);
    }
  }
  return [...new Set(list as SchemaType[])];
}

/**
 * The types a schema without `type` is held to: the kinds its keywords constrain (a schema with
 * `properties` writes objects, one with `items` arrays), or null where nothing narrows it (any value).
 */
function impliedTypes(schema: Record<string, unknown>): SchemaType[] | null {
  const kinds = new Set(
    constraintsOf(schema)
      .map((keyword) => ENFORCED[keyword])
      .filter((kind): kind is 'string' | 'array' | 'object' => Boolean(kind)),
  );
  return kinds.size ? [...kinds] : null;
}

/** A schema of types and their keywords: each type written with the keywords that apply to it. */
export function typedRule(schema: Record<string, unknown>, site: Site, compiler: SchemaCompiler): Compiled {
  const declared = 'type' in schema ? typesOf(schema.type, [...site.path, 'type'], compiler) : null;
  if (declared) checkApplicable(schema, declared, site.path, compiler);
  let types = declared ?? impliedTypes(schema);
  if (types === null) return named(site, anyValue(compiler.rules), compiler);
  // every integer is a number
  if (types.includes('number')) types = types.filter((type) => type !== 'integer');
  const own = types.length === 1 ? site : { ...site, rule: undefined };
  const compiled = types.map((type) => typeRule(type, schema, own, compiler));
  const union = { expr: alternatives(compiled.map((c) => c.expr)), heads: allHeads(compiled) };
  return union.expr === site.rule ? union : named(site, union.expr, compiler);
}

function named(site: Site, expr: string, compiler: SchemaCompiler): Compiled {
  return { expr: site.rule ? compiler.rules.define(site.rule, expr) : expr, heads: NO_HEADS };
}

/** A keyword of a kind the declared types exclude constrains nothing: a mistake, said as one. */
function checkApplicable(
  schema: Record<string, unknown>,
  types: SchemaType[],
  path: SchemaPath,
  compiler: SchemaCompiler,
): void {
  for (const keyword of constraintsOf(schema)) {
    const kind = ENFORCED[keyword];
    if (!kind || types.includes(kind)) continue;
    // OpenAPI's formats of numbers (int32, double, ...) among them
    if (keyword === 'format') compiler.fail([...path, keyword], formatProblem(schema.format));
    compiler.fail([...path, keyword], `applies only to ${kind}s, and "type" allows no ${kind}`);
  }
}

function typeRule(type: SchemaType, schema: Record<string, unknown>, site: Site, compiler: SchemaCompiler): Compiled {
  const { rules } = compiler;
  const primitive = (expr: string): Compiled => ({ expr, heads: NO_HEADS });
  switch (type) {
    case 'string':
      return primitive(stringRule(schema, site.path, compiler));
    case 'number':
      return primitive(number(rules));
    case 'integer':
      return primitive(integer(rules));
    case 'boolean':
      return primitive(boolean(rules));
    case 'null':
      return primitive(nullValue(rules));
    case 'object':
      return objectRule(objectShape(schema, site.path, compiler), site, compiler);
    case 'array':
      return arrayRule(schema, site, compiler);
  }
}

function formatProblem(format: unknown): string {
  const name = typeof format === 'string' ? quoted(format) : JSON.stringify(format);
  return `${name} cannot be enforced while generating; the formats that can are ${STRING_FORMATS.join(', ')}`;
}

function stringRule(schema: Record<string, unknown>, path: SchemaPath, compiler: SchemaCompiler): string {
  const { rules } = compiler;
  const { format } = schema;
  if (format !== undefined) {
    const rule = typeof format === 'string' ? formatString(rules, format) : undefined;
    if (!rule) compiler.fail([...path, 'format'], formatProblem(format));
    const length = ['minLength', 'maxLength'].find((keyword) => keyword in schema);
    if (length) compiler.fail([...path, length], 'cannot be enforced together with "format"; remove one of them');
    return rule;
  }
  const min = countOf(schema.minLength, [...path, 'minLength'], compiler) ?? 0;
  const max = countOf(schema.maxLength, [...path, 'maxLength'], compiler);
  if (max !== undefined && min > max) compiler.fail([...path, 'minLength'], `${min} is more than maxLength ${max}`);
  return min === 0 && max === undefined ? string(rules) : boundedString(rules, min, max);
}

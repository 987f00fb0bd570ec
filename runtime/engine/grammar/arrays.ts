import { below, isSchemaObject, NO_HEADS, type Compiled, type SchemaCompiler, type Site } from './context.js';
import { anyArray, anyValue, ws } from './jsonText.js';
import { countOf } from './counts.js';
import type { SchemaPath } from './schemaPath.js';

/**
 * Arrays: a tuple's items (`prefixItems`, or draft-07's `items` list) each once and in order, then
 * items of the `items` schema (draft-07: `additionalItems`) within minItems..maxItems. A tuple is
 * written whole unless maxItems cuts it: JSON Schema would allow it shorter, but a client that
 * declares a tuple wants its items. After a tuple, absent `items` allows no more (as with
 * `additionalProperties`, see objects.ts) unless minItems asks for more; a list that declares
 * nothing is a list of any values.
 */

interface ArrayShape {
  prefix: { schema: unknown; path: SchemaPath }[];
  /** The schema of items after the prefix; undefined when absent. */
  rest: { schema: unknown; path: SchemaPath } | undefined;
  min: number;
  max: number | undefined;
}

function arrayShape(schema: Record<string, unknown>, path: SchemaPath, compiler: SchemaCompiler): ArrayShape {
  const { items, prefixItems, additionalItems } = schema;
  const at = (keyword: string) => [...path, keyword];
  const listOf = (value: unknown, keyword: string) => {
    if (!Array.isArray(value)) compiler.fail(at(keyword), 'must be a list of schemas');
    return value.map((item: unknown, i) => ({ schema: item, path: [...at(keyword), i] }));
  };
  const one = (value: unknown, keyword: string) => {
    if (typeof value !== 'boolean' && !isSchemaObject(value)) compiler.fail(at(keyword), 'must be a schema');
    return { schema: value, path: at(keyword) };
  };
  let prefix: ArrayShape['prefix'];
  let rest: ArrayShape['rest'];
  if (Array.isArray(items)) {
    if (prefixItems !== undefined) compiler.fail(at('items'), 'a list of "items" and "prefixItems" cannot be combined');
    prefix = listOf(items, 'items');
    rest = additionalItems === undefined ? undefined : one(additionalItems, 'additionalItems');
  } else {
    if (additionalItems !== undefined) compiler.fail(at('additionalItems'), 'applies only after a list of "items"');
    prefix = prefixItems === undefined ? [] : listOf(prefixItems, 'prefixItems');
    rest = items === undefined ? undefined : one(items, 'items');
  }
  const min = countOf(schema.minItems, at('minItems'), compiler) ?? 0;
  const max = countOf(schema.maxItems, at('maxItems'), compiler);
  if (max !== undefined && min > max) compiler.fail(at('minItems'), `${min} is more than maxItems ${max}`);
  return { prefix, rest, min, max };
}

/** `expr` repeated min to max times (max undefined: no limit), in GBNF's own notation. */
export function repeated(expr: string, min: number, max: number | undefined): string {
  if (max === 0) return '';
  if (min === 0 && max === undefined) return `${expr}*`;
  if (min === 1 && max === undefined) return `${expr}+`;
  if (min === 0 && max === 1) return `${expr}?`;
  if (min === max) return min === 1 ? expr : `${expr}{${min}}`;
  return `${expr}{${min},${max ?? ''}}`;
}

export function arrayRule(schema: Record<string, unknown>, site: Site, compiler: SchemaCompiler): Compiled {
  const { rules } = compiler;
  const shape = arrayShape(schema, site.path, compiler);
  if (shape.prefix.length === 0 && shape.rest === undefined && shape.min === 0 && shape.max === undefined) {
    return { expr: site.rule ? rules.define(site.rule, anyArray(rules)) : anyArray(rules), heads: NO_HEADS };
  }
  const name = site.rule ?? rules.reserve(site.hint);
  const kept = shape.max === undefined ? shape.prefix : shape.prefix.slice(0, shape.max);
  const tuple = kept.map((item, i) => compiler.node(item.schema, { ...below(site, [], `${i}`), path: item.path }).expr);
  const more = restItems(shape, tuple.length, site, compiler);
  const comma = `"," ${ws(rules)}`;
  // a counted repetition repeats one rule: llama.cpp refuses {m,n} over groups that make many rules
  const next = (min: number, max: number | undefined) => {
    if (!more) return '';
    const counted = max !== undefined ? max > 1 : min > 1;
    const element = counted
      ? rules.define(rules.reserve(`${name}-next`), `${comma} ${more.item}`)
      : `( ${comma} ${more.item} )`;
    return repeated(element, min, max);
  };
  let inside = '';
  if (tuple.length > 0) {
    inside = [tuple.join(` ${comma} `), next(more?.min ?? 0, more?.max), ws(rules)].filter(Boolean).join(' ');
  } else if (more && more.max !== 0) {
    const items = [more.item, next(Math.max(more.min - 1, 0), more.max && more.max - 1), ws(rules)];
    inside = more.min > 0 ? items.filter(Boolean).join(' ') : `( ${items.filter(Boolean).join(' ')} )?`;
  }
  rules.define(name, ['"["', ws(rules), inside, '"]"'].filter(Boolean).join(' '));
  return { expr: name, heads: NO_HEADS };
}

/** The items after the tuple: their element and how many; null where none may come. */
function restItems(shape: ArrayShape, written: number, site: Site, compiler: SchemaCompiler) {
  const min = Math.max(shape.min - written, 0);
  const { rest } = shape;
  // after a tuple, absent `items` allows only as many more as minItems asks for
  const closedTuple = rest === undefined && shape.prefix.length > 0;
  const max = closedTuple ? min : shape.max === undefined ? undefined : Math.max(shape.max - written, 0);
  if (rest?.schema === false || (closedTuple && min === 0)) {
    if (min > 0) {
      compiler.fail([...site.path, 'minItems'], `${shape.min} items cannot be written: no item may follow the tuple`);
    }
    return null;
  }
  const item =
    rest === undefined || rest.schema === true
      ? anyValue(compiler.rules)
      : compiler.node(rest.schema, { ...below(site, [], 'item'), path: rest.path }).expr;
  return { item, min, max };
}

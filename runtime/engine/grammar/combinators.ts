import { quoted, shortened } from '../../../contract/api/limits.js';
import { isSchemaObject, NO_HEADS, type Compiled, type SchemaCompiler } from './context.js';
import { alternatives } from './gbnf.js';
import { jsonLiteral, jsonText } from './jsonText.js';
import { constraintsOf } from './keywords.js';
import { objectShape, type ObjectShape, type Property } from './objects.js';
import type { SchemaPath } from './schemaPath.js';
import { typesOf } from './types.js';
import { hasType } from './values.js';

/** `enum` and `const`: exactly the values listed (of the `type` beside them), each as JSON.stringify writes it. */
export function valuesRule(schema: Record<string, unknown>, path: SchemaPath, compiler: SchemaCompiler): Compiled {
  let values: unknown[] | undefined;
  if ('enum' in schema) {
    if (!Array.isArray(schema.enum) || schema.enum.length === 0) {
      compiler.fail([...path, 'enum'], 'must be a non-empty list of values');
    }
    values = schema.enum as unknown[];
  }
  if ('const' in schema) {
    const only = jsonText(schema.const);
    values = values ? values.filter((v) => jsonText(v) === only) : [schema.const];
    if (values.length === 0) compiler.fail([...path, 'const'], `${shortened(only)} is not among the values of "enum"`);
  }
  const keyword = 'enum' in schema ? 'enum' : 'const';
  if ('type' in schema) {
    const types = typesOf(schema.type, [...path, 'type'], compiler);
    values = values!.filter((v) => types.some((type) => hasType(v, type)));
    if (values.length === 0) compiler.fail([...path, keyword], 'holds no value of the types "type" allows');
  }
  const literals = [...new Set(values!.map(jsonLiteral))];
  return { expr: alternatives(literals), heads: NO_HEADS };
}

/** The keywords an allOf member may hold to be merged (besides annotations). */
const MERGEABLE = new Set(['type', 'properties', 'required', 'additionalProperties']);

/**
 * allOf of object schemas, merged into one object: their properties (each declared by one member),
 * all their required names, and additionalProperties false where a member says so (which then
 * must declare every property the others do). That is the common use, a schema extending another;
 * anything else is refused rather than approximated.
 */
export function allOfShape(members: unknown[], path: SchemaPath, compiler: SchemaCompiler): ObjectShape {
  const properties: Property[] = [];
  const required: string[] = [];
  const closed: { declared: Set<string>; path: SchemaPath }[] = [];
  let declaresProperties = false;
  members.forEach((member, i) => {
    const target = compiler.referenced(member, [...path, i]);
    if (!isSchemaObject(target.node)) compiler.fail(target.path, 'must be an object schema to be combined by "allOf"');
    const schema = target.node;
    compiler.checkKeywords(schema, target.path);
    const other = constraintsOf(schema).find((keyword) => !MERGEABLE.has(keyword));
    const type = schema.type;
    if (other || (type !== undefined && type !== 'object')) {
      compiler.fail(
        [...target.path, other ?? 'type'],
        '"allOf" can only combine object schemas here (type object, properties, required, additionalProperties)',
      );
    }
    const shape = objectShape(schema, target.path, compiler);
    for (const property of shape.properties ?? []) {
      if (properties.some((p) => p.name === property.name)) {
        compiler.fail(property.path, `${quoted(property.name)} is declared by two schemas of "allOf"; declare it once`);
      }
      properties.push(property);
    }
    declaresProperties ||= shape.properties !== null;
    required.push(...shape.required.names);
    if (shape.additional !== undefined) {
      if (shape.additional.schema !== false) {
        compiler.fail(shape.additional.path, 'only false can be combined by "allOf" here');
      }
      closed.push({ declared: new Set((shape.properties ?? []).map((p) => p.name)), path: shape.additional.path });
    }
  });
  for (const { declared, path: closedAt } of closed) {
    const stranger = [...properties.map((p) => p.name), ...required].find((name) => !declared.has(name));
    if (stranger !== undefined) {
      compiler.fail(closedAt, `false forbids ${quoted(stranger)}, which another schema of "allOf" declares`);
    }
  }
  return {
    properties: declaresProperties ? properties : null,
    required: { names: [...new Set(required)], path },
    additional: closed.length ? { schema: false, path: closed[0]!.path } : undefined,
  };
}

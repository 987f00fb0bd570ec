import { Ajv, type ErrorObject } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { oneOf } from '../errors.js';
import { invalidAt, type FieldPath } from './issues.js';
import { MAX_SCHEMA_DEPTH, quoted } from './limits.js';
import { checkReferencesAndPatterns } from './schemaRefs.js';
import { isPlainObject } from './wire.js';

/**
 * A client's JSON Schema (a tool's parameters, a structured output's schema) checked as a schema,
 * against the meta-schema of its dialect (ajv's), with the first problem named by its path:
 * `tools[0].function.parameters.properties.x.type: must be one of "array", ...`. The schema is only
 * ever validated as data: it is never compiled into a validator, which would run a client's schema
 * as generated code and keep it in ajv's cache. Whether a grammar can enforce every keyword is
 * decided where the grammar is built, at generation time.
 */

type Dialect = '2020-12' | '2019-09' | 'draft-07';

/** `$schema` URIs, with the scheme and the empty fragment left out (clients write both either way). */
const DIALECTS: Record<string, Dialect> = {
  'json-schema.org/draft/2020-12/schema': '2020-12',
  'json-schema.org/draft/2019-09/schema': '2019-09',
  'json-schema.org/draft-07/schema': 'draft-07',
};

type MetaValidator = Pick<Ajv, 'validateSchema' | 'errors'>;
const validators = new Map<Dialect, MetaValidator>();

/** Built on first use: each compiles its meta-schemas, which a runtime serving no tools never needs. */
function validatorOf(dialect: Dialect): MetaValidator {
  let validator = validators.get(dialect);
  if (!validator) {
    // not strict: a schema may hold keywords of its own; no logger: nothing of a client's goes to the console
    const options = { strict: false, logger: false, validateFormats: false } as const;
    validator =
      dialect === '2020-12' ? new Ajv2020(options) : dialect === '2019-09' ? new Ajv2019(options) : new Ajv(options);
    validators.set(dialect, validator);
  }
  return validator;
}

/** Checked before anything recurses into the schema, without recursing itself. */
function checkDepth(schema: unknown, path: FieldPath): void {
  const pending: Array<[unknown, number]> = [[schema, 1]];
  while (pending.length) {
    const [value, depth] = pending.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_SCHEMA_DEPTH) {
      throw invalidAt(path, `nests deeper than ${MAX_SCHEMA_DEPTH} levels of objects and lists`);
    }
    for (const child of Object.values(value)) pending.push([child, depth + 1]);
  }
}

function dialectOf(schema: Record<string, unknown>, path: FieldPath): Dialect | undefined {
  const uri = schema.$schema;
  if (uri === undefined) return undefined;
  const at = [...path, '$schema'];
  if (typeof uri !== 'string') throw invalidAt(at, 'must be a string');
  const dialect = DIALECTS[uri.replace(/^https?:\/\//, '').replace(/#$/, '')];
  if (!dialect) {
    throw invalidAt(
      at,
      `${quoted(uri)} is no JSON Schema dialect this runtime reads; expected draft-07, 2019-09 or 2020-12`,
    );
  }
  return dialect;
}

/** The error that says most: the deepest, not an anyOf that only reports its branches failed. */
function mostSpecific(errors: ErrorObject[]): ErrorObject {
  const telling = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf');
  return (telling.length ? telling : errors).reduce((best, e) =>
    e.instancePath.split('/').length > best.instancePath.split('/').length ? e : best,
  );
}

function describe(error: ErrorObject): string {
  const params = error.params as { allowedValues?: unknown[]; type?: string | string[]; allowedValue?: unknown };
  if (error.keyword === 'enum' && params.allowedValues) {
    return `must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if (error.keyword === 'type' && params.type) return `must be ${oneOf(([] as string[]).concat(params.type))}`;
  if (error.keyword === 'const') return `must be ${JSON.stringify(params.allowedValue)}`;
  return error.message ?? 'is not valid';
}

/** The error's place in the schema as a field path: list indexes as numbers, so they print as [1]. */
function pathOf(schema: unknown, instancePath: string): PropertyKey[] {
  const path: PropertyKey[] = [];
  let node = schema;
  for (const raw of instancePath.split('/').slice(1)) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    const key = Array.isArray(node) ? Number(segment) : segment;
    path.push(key);
    node = isPlainObject(node) || Array.isArray(node) ? (node as Record<PropertyKey, unknown>)[key] : undefined;
  }
  return path;
}

/** The first problem the dialect's meta-schema finds, or none. */
function metaProblem(schema: Record<string, unknown>, dialect: Dialect): ErrorObject | undefined {
  const validator = validatorOf(dialect);
  // the dialect is chosen above; ajv would look the $schema URI up itself, and not know every spelling
  const { $schema: _dialect, ...rest } = schema;
  if (validator.validateSchema(rest) === true) return undefined;
  return mostSpecific(validator.errors ?? []);
}

/**
 * Throws an invalid_argument naming the first problem of the schema found at `path`. A schema that
 * names its dialect (`$schema`) is held to it; one that does not may be 2020-12 (OpenAI's) or draft-07
 * (what many generators still write, tuples as `items` lists), and errors are 2020-12's.
 */
export function checkJsonSchema(schema: Record<string, unknown>, path: FieldPath): void {
  checkDepth(schema, path);
  const dialect = dialectOf(schema, path);
  const problem = metaProblem(schema, dialect ?? '2020-12');
  if (problem && (dialect !== undefined || metaProblem(schema, 'draft-07'))) {
    throw invalidAt([...path, ...pathOf(schema, problem.instancePath)], describe(problem));
  }
  checkReferencesAndPatterns(schema, path);
}

import type { JsonSchema } from '../../../contract/api/chat.js';
import { quoted } from '../../../contract/api/limits.js';
import { allOfShape, valuesRule } from './combinators.js';
import { isSchemaObject, NO_HEADS, allHeads, type Compiled, type SchemaCompiler, type Site } from './context.js';
import { disjoint } from './disjoint.js';
import { alternatives, RuleSet } from './gbnf.js';
import { anyObject, anyValue } from './jsonText.js';
import { constraintsOf, keywordKind, keywordProblem } from './keywords.js';
import { objectRule } from './objects.js';
import { locate, pointerOf, pointerPath, schemaError, type SchemaPath } from './schemaPath.js';
import { typedRule } from './types.js';

/** A grammar ready for llama.cpp: GBNF text whose start rule is `root`. */
export interface CompiledGrammar {
  readonly gbnf: string;
}

/**
 * How deep subschemas may nest. Compiling recurses once per level; contract/api checks a schema's
 * JSON nesting when the request is parsed, and this keeps the compiler safe on its own.
 */
export const MAX_SUBSCHEMA_DEPTH = 64;

/** The largest grammar built for one schema; llama.cpp parses it again for each request. */
export const MAX_GRAMMAR_CHARS = 1_000_000;

/** The keywords that stand alone: each may only have annotations beside it (enum and const also `type`). */
const ALONE: Readonly<Record<string, readonly string[]>> = {
  $ref: [],
  anyOf: [],
  oneOf: [],
  allOf: [],
  enum: ['type', 'const'],
  const: ['type', 'enum'],
};

/** Where what stands beside a keyword should go instead, for the error that names it. */
const MOVE_TO: Readonly<Record<string, string>> = {
  $ref: 'move it into the schema the reference points to',
  anyOf: 'move it into each of its schemas',
  oneOf: 'move it into each of its schemas',
  allOf: 'move it into one of its schemas',
  enum: 'list only values that satisfy it',
  const: 'remove it',
};

/**
 * The grammar of JSON text valid for a JSON Schema: any model sampling under it writes a value the
 * schema accepts, whatever its weights. `field` is the request field that holds the schema
 * (`response_format.json_schema.schema`, `tools[0].function.parameters`); a keyword the grammar
 * cannot enforce is an invalid_argument naming its place in it. docs/structured-output.md has the
 * supported keywords and the choices made. Pure: no model, no I/O.
 */
export function compileJsonSchema(schema: JsonSchema, field: string): CompiledGrammar {
  return { gbnf: new Compiler(schema, field).grammar() };
}

/** Any JSON object: response_format json_object. */
export const JSON_OBJECT_GRAMMAR: CompiledGrammar = (() => {
  const rules = new RuleSet();
  rules.define(rules.reserve('root'), anyObject(rules));
  return { gbnf: rules.text() };
})();

class Compiler implements SchemaCompiler {
  readonly rules = new RuleSet();
  /** Each `$ref` target's rule, by the target's JSON Pointer ('' is the root). */
  private readonly targets = new Map<string, string>();
  /** What each target's value may begin with: the graph the left recursion check walks. */
  private readonly heads = new Map<string, ReadonlyMap<string, SchemaPath>>();

  constructor(
    private readonly root: unknown,
    private readonly field: string,
  ) {}

  grammar(): string {
    const root = this.rules.reserve('root');
    this.targets.set('', root);
    const compiled = this.node(this.root, { path: [], hint: root, depth: 0, rule: root });
    this.heads.set('', compiled.heads);
    this.checkLeftRecursion();
    const text = this.rules.text();
    if (text.length > MAX_GRAMMAR_CHARS) {
      this.fail([], `makes a grammar of ${text.length} characters, over the ${MAX_GRAMMAR_CHARS} built for a schema`);
    }
    return text;
  }

  fail(path: SchemaPath, why: string): never {
    throw schemaError(this.field, path, why);
  }

  node(schema: unknown, site: Site): Compiled {
    if (site.depth > MAX_SUBSCHEMA_DEPTH) this.fail(site.path, `nests deeper than ${MAX_SUBSCHEMA_DEPTH} schemas`);
    if (schema === true) return this.named(site, { expr: anyValue(this.rules), heads: NO_HEADS });
    if (schema === false) this.fail(site.path, 'the schema false allows no value');
    if (!isSchemaObject(schema)) this.fail(site.path, 'must be a schema: an object, true or false');
    this.checkKeywords(schema, site.path);
    if ('$ref' in schema) return this.reference(schema.$ref, site);
    if ('anyOf' in schema || 'oneOf' in schema) return this.anyOf(schema, site);
    if ('allOf' in schema) return this.allOf(schema.allOf, site);
    if ('enum' in schema || 'const' in schema) return this.named(site, valuesRule(schema, site.path, this));
    return typedRule(schema, site, this);
  }

  referenced(schema: unknown, path: SchemaPath): { node: unknown; path: SchemaPath } {
    const seen = new Set<string>();
    let target = { node: schema, path };
    while (isSchemaObject(target.node) && '$ref' in target.node) {
      const next = this.locateRef(target.node.$ref, [...target.path, '$ref']);
      const key = pointerOf(next.path);
      if (seen.has(key)) this.fail([...target.path, '$ref'], 'is a reference to itself, which stands for no value');
      seen.add(key);
      target = next;
    }
    return target;
  }

  /** Gives the rule the site must become its body (the expression), unless the rule is the expression. */
  private named(site: Site, compiled: Compiled): Compiled {
    if (!site.rule || compiled.expr === site.rule) return compiled;
    return { expr: this.rules.define(site.rule, compiled.expr), heads: compiled.heads };
  }

  checkKeywords(schema: Record<string, unknown>, path: SchemaPath): void {
    for (const keyword of Object.keys(schema)) {
      const kind = keywordKind(keyword);
      if (kind === 'refused' || kind === 'unknown') this.fail([...path, keyword], keywordProblem(keyword));
    }
    for (const [keyword, allowed] of Object.entries(ALONE)) {
      if (!(keyword in schema)) continue;
      const beside = constraintsOf(schema).find((k) => k !== keyword && !allowed.includes(k));
      if (beside) {
        this.fail([...path, beside], `cannot be combined with ${quoted(keyword)} here; ${MOVE_TO[keyword]}`);
      }
    }
  }

  private locateRef(ref: unknown, path: SchemaPath): { node: unknown; path: SchemaPath } {
    if (typeof ref !== 'string') this.fail(path, 'must be a string');
    const segments = pointerPath(ref);
    if (!segments) {
      this.fail(
        path,
        `${quoted(ref)} is not a reference within this schema; only "#" and JSON Pointers ` +
          'such as "#/$defs/NAME" can be followed',
      );
    }
    const located = locate(this.root, segments);
    if (!located) this.fail(path, `${quoted(ref)} points to nothing in this schema`);
    return located;
  }

  /** A `$ref`: its target's rule, compiled once however often it is referenced (so recursion ends). */
  private reference(ref: unknown, site: Site): Compiled {
    const refPath = [...site.path, '$ref'];
    const target = this.locateRef(ref, refPath);
    const key = pointerOf(target.path);
    let name = this.targets.get(key);
    if (name === undefined) {
      const last = target.path.at(-1);
      name = this.rules.reserve(`def-${last === undefined ? 'root' : String(last)}`);
      this.targets.set(key, name);
      const compiled = this.node(target.node, { path: target.path, hint: name, depth: site.depth + 1, rule: name });
      this.heads.set(key, compiled.heads);
    }
    return this.named(site, { expr: name, heads: new Map([[key, refPath]]) });
  }

  private anyOf(schema: Record<string, unknown>, site: Site): Compiled {
    const keyword = 'anyOf' in schema ? 'anyOf' : 'oneOf';
    const options = schema[keyword];
    if (!Array.isArray(options) || options.length === 0) {
      this.fail([...site.path, keyword], 'must be a non-empty list of schemas');
    }
    const compiled = options.map((option, i) =>
      this.node(option, { path: [...site.path, keyword, i], hint: `${site.hint}-${i}`, depth: site.depth + 1 }),
    );
    if (keyword === 'oneOf') this.checkExclusive(options, site.path);
    const expr = alternatives([...new Set(compiled.map((c) => c.expr))]);
    return this.named(site, { expr, heads: allHeads(compiled) });
  }

  /**
   * oneOf as anyOf, which is sound only when no value matches two of its schemas: "exactly one" is
   * a complement, which context-free grammars cannot express. So each pair must be provably
   * disjoint (different types, different constant values, or a required property that tells them
   * apart, as a discriminator does); otherwise the client is asked for anyOf.
   */
  private checkExclusive(options: unknown[], path: SchemaPath): void {
    for (let i = 0; i < options.length; i++) {
      for (let j = i + 1; j < options.length; j++) {
        const a = { schema: options[i], path: [...path, 'oneOf', i] };
        const b = { schema: options[j], path: [...path, 'oneOf', j] };
        if (!disjoint(a, b, this)) {
          this.fail(
            [...path, 'oneOf'],
            `schemas ${i} and ${j} may both match one value, and a grammar cannot enforce "exactly one"; ` +
              'use "anyOf", or make them differ by type or by a "const" property',
          );
        }
      }
    }
  }

  private allOf(members: unknown, site: Site): Compiled {
    const path = [...site.path, 'allOf'];
    if (!Array.isArray(members) || members.length === 0) this.fail(path, 'must be a non-empty list of schemas');
    if (members.length === 1) return this.node(members[0], { ...site, path: [...path, 0], depth: site.depth + 1 });
    return objectRule(allOfShape(members, path, this), site, this);
  }

  /**
   * A rule that can begin with itself (`A ::= A ...`, directly or through other references, with
   * nothing written first) is left recursion, which llama.cpp refuses; such a schema also describes
   * no finite value along that path. Found as a cycle in the graph of what each target begins with.
   */
  private checkLeftRecursion(): void {
    const done = new Set<string>();
    const visit = (key: string, stack: Set<string>): void => {
      if (done.has(key)) return;
      stack.add(key);
      for (const [next, refPath] of this.heads.get(key) ?? NO_HEADS) {
        if (stack.has(next)) {
          this.fail(refPath, 'leads back to itself before any value is written, so no grammar can generate it');
        }
        visit(next, stack);
      }
      stack.delete(key);
      done.add(key);
    };
    for (const key of this.heads.keys()) visit(key, new Set());
  }
}

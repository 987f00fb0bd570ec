import type { RuleSet } from './gbnf.js';
import type { SchemaPath } from './schemaPath.js';

/** Where a subschema is being compiled. */
export interface Site {
  path: SchemaPath;
  /** What a rule made for it is named after (a property's name, a definition's). */
  hint: string;
  /** Subschemas above it: compiling recurses, and a hostile schema must not exhaust the stack. */
  depth: number;
  /** The rule it must become, where one is already named for it (the root, a `$ref`'s target). */
  rule?: string;
}

/**
 * A subschema as a grammar element, and the `$ref` targets its value may begin with (each target's
 * JSON Pointer, and where the `$ref` that reaches it is): see the left recursion check in compile.ts.
 */
export interface Compiled {
  expr: string;
  heads: ReadonlyMap<string, SchemaPath>;
}

/** What the keyword compilers (objects, arrays) need of the schema compiler. */
export interface SchemaCompiler {
  readonly rules: RuleSet;
  /** A subschema compiled where it is. */
  node(schema: unknown, site: Site): Compiled;
  /** Throws the client's error for a problem at a place in its schema. */
  fail(path: SchemaPath, why: string): never;
  /** Throws the client's error for a keyword that is refused or unknown, or one that may not stand beside another. */
  checkKeywords(schema: Record<string, unknown>, path: SchemaPath): void;
  /** The schema a subschema stands for: itself, or what its `$ref` (and theirs) points to. */
  referenced(schema: unknown, path: SchemaPath): { node: unknown; path: SchemaPath };
}

/** The site of a subschema below another: one level deeper, its path and rule name extended. */
export const below = (site: Site, path: readonly (string | number)[], hint: string): Site => ({
  path: [...site.path, ...path],
  hint: `${site.hint}-${hint}`,
  depth: site.depth + 1,
});

export const NO_HEADS: ReadonlyMap<string, SchemaPath> = new Map();

/** The heads of a value that may be any of several. */
export const allHeads = (compiled: readonly Compiled[]): ReadonlyMap<string, SchemaPath> =>
  new Map(compiled.flatMap((c) => [...c.heads]));

export const isSchemaObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

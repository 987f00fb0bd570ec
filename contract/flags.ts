import * as z from 'zod';
import { ConfigError, oneOf } from './errors.js';

/**
 * Command-line flags as data: each flag's spelling, help and schema in one table. The schema
 * validates and defaults (each default is written there once); the CLI registers the table with
 * commander and shows the defaults in help; a caller that writes a command line for a process (the
 * operator for its pods) builds the argv from typed options with the same table (toArgv), so writer
 * and reader cannot disagree.
 */

/** A whole-number flag between min and max, from its string. */
export const int = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(min, `must be between ${min} and ${max}`)
    .max(max, `must be between ${min} and ${max}`);

/** One of a list of words. */
export const choice = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be ${oneOf(values)}` });

export interface Flag {
  /** As commander takes it: `--grpc-port <port>`, `--sparse` for a switch. */
  flag: string;
  help: string;
  schema: z.ZodType;
  /** Given once per value (`--file a --file b`); the schema takes the list. */
  repeat?: boolean;
}

export type FlagTable = Record<string, Flag>;

type SchemaOf<T extends FlagTable> = z.ZodObject<{ [K in keyof T]: T[K]['schema'] }>;

/** The table's schema: keys as commander names them (camelCase of the long flag). */
export function flagsSchema<T extends FlagTable>(table: T): SchemaOf<T> {
  return z.object(Object.fromEntries(Object.entries(table).map(([key, f]) => [key, f.schema]))) as SchemaOf<T>;
}

/** `--grpc-port` of `--grpc-port <port>`. */
export const flagName = (flag: Flag) => flag.flag.split(/[\s,]/)[0]!;

/** The value a flag's schema gives when the flag is absent (for help text); undefined when none. */
export function defaultOf(schema: z.ZodType): unknown {
  const result = schema.safeParse(undefined);
  return result.success ? result.data : undefined;
}

/**
 * Validates flags with `schema`; the first problem becomes a ConfigError that names the flag
 * (`--kebab-case` of the key unless `flagNames` says otherwise).
 */
export function parseFlags<S extends z.ZodType>(
  schema: S,
  input: unknown,
  flagNames: Record<string, string> = {},
): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = String(issue.path[0] ?? '');
    throw new ConfigError(
      `${flagNames[key] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`} ${issue.message}`,
    );
  }
  return result.data;
}

type Value = string | number | boolean;

/**
 * The argv that gives `options` to a command reading `table`: every option that is set, in the
 * table's order, as `--flag value` (a true switch as `--flag`; a repeated flag once per value).
 */
export function toArgv<T extends FlagTable>(
  table: T,
  options: { [K in keyof T]?: Value | readonly Value[] },
): string[] {
  return Object.entries(table).flatMap(([key, f]) => {
    const value = options[key];
    if (value === undefined || value === false) return [];
    const name = flagName(f);
    if (value === true) return [name];
    const values: readonly Value[] = Array.isArray(value) ? value : [value as Value];
    return values.flatMap((v) => [name, String(v)]);
  });
}

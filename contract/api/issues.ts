import type * as z from 'zod';
import { ApiError } from './errors.js';
import { quoted, shortened } from './limits.js';
import { NOT_SUPPORTED } from './unsupported.js';

/** Where a field is in a request: ["messages", 1, "content", 0, "type"]. */
export type FieldPath = ReadonlyArray<PropertyKey>;

/** A field's path in the wire's own spelling: messages[1].content[0].type. Client-chosen keys are cut short. */
export function fieldName(path: FieldPath): string {
  return path.reduce<string>((name, part) => {
    if (typeof part === 'number') return `${name}[${part}]`;
    const key = shortened(String(part));
    return name ? `${name}.${key}` : key;
  }, '');
}

/** A refusal naming the field at `path`: "tools[1].function.name: why". */
export function invalidAt(path: FieldPath, why: string): ApiError {
  const field = fieldName(path);
  return new ApiError('invalid_argument', `${field}: ${why}`, field);
}

/** A known OpenAI feature this runtime does not implement, asked for at `path`. */
export function notSupportedAt(path: FieldPath, why: string): ApiError {
  const field = fieldName(path);
  return new ApiError('not_supported', `${field}: ${why}`, field);
}

/** The first issue zod found, as the one error the client sees, naming the field. */
function issueError(issue: z.core.$ZodIssue): ApiError {
  if (issue.code === 'unrecognized_keys') {
    const [first, ...others] = issue.keys;
    const field = fieldName([...issue.path, first!]);
    const also = others.length ? ` (also unknown: ${others.slice(0, 3).map(quoted).join(', ')})` : '';
    return new ApiError('invalid_argument', `${field}: unknown field${also}`, field);
  }
  const field = fieldName(issue.path);
  const notSupported = issue.code === 'custom' && issue.params?.notSupported === NOT_SUPPORTED.notSupported;
  return new ApiError(
    notSupported ? 'not_supported' : 'invalid_argument',
    `${field || 'request'}: ${issue.message}`,
    field || undefined,
  );
}

/** The body as an object, or the error that it is none (a list, a string, no body at all). */
export function requireObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError('invalid_argument', 'the request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/** Validates a request body (a JSON object, or a decoded protobuf message) against a strict schema. */
export function parseWith<T>(schema: z.ZodType<T>, body: unknown): T {
  return parseAt(schema, requireObject(body), []);
}

/** Validates a value found at `path` inside a request (a tool, an input item) against a strict schema. */
export function parseAt<T>(schema: z.ZodType<T>, value: unknown, path: FieldPath): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw issueError({ ...issue, path: [...path, ...issue.path] });
}

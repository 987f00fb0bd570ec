import { oneOf } from '../errors.js';
import { invalidAt, notSupportedAt, type FieldPath } from './issues.js';
import { quoted } from './limits.js';
import { isPlainObject } from './wire.js';

/**
 * OpenAI's tagged objects (tools, tool choices, response formats, input items, content parts) read by
 * their `type`: a type this runtime reads goes to its own strict schema, a type OpenAI defines and this
 * runtime does not is not_supported, and any other type is unknown; each error names the field.
 */
export interface Kinds<T> {
  /** What the objects are, for messages: "tool", "input item". */
  what: string;
  /** What one must look like, for a value that is no object: `{"type": "function", ...}`. */
  shape: string;
  /** The types this runtime reads, each with its reader. */
  read: Record<string, (value: Record<string, unknown>, path: FieldPath) => T>;
  /** Types OpenAI defines that this runtime does not read, each with why. */
  refused: Record<string, string>;
  /** The type of an object that may leave it out (an input message with a role); by default its `type`. */
  kindOf?: (value: Record<string, unknown>) => unknown;
}

export function readKind<T>(value: unknown, path: FieldPath, kinds: Kinds<T>): T {
  if (!isPlainObject(value)) throw invalidAt(path, `must be ${kinds.shape}`);
  const kind = kinds.kindOf ? kinds.kindOf(value) : value.type;
  const at = [...path, 'type'];
  if (typeof kind !== 'string') throw invalidAt(at, kind === undefined ? 'is required' : 'must be a string');
  if (Object.hasOwn(kinds.read, kind)) return kinds.read[kind]!(value, path);
  if (Object.hasOwn(kinds.refused, kind)) throw notSupportedAt(at, kinds.refused[kind]!);
  const known = Object.keys(kinds.read).map((name) => JSON.stringify(name));
  throw invalidAt(at, `unknown ${kinds.what} type ${quoted(kind)}; expected ${oneOf(known)}`);
}

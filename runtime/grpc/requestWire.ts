import { invalidArgument } from '../../contract/api/errors.js';
import { oneOf } from '../../contract/errors.js';
import { MalformedRequest } from '../../contract/grpc/strict.js';
import type { ReasoningEffort } from '../../contract/models.js';

/**
 * gRPC requests in the shape of OpenAI's JSON, which the shared parsers (contract/api/requests.ts)
 * validate for both APIs. The proto's field names are OpenAI's, so most fields pass as they are; what
 * differs is translated here: enums (a mode or type where OpenAI has a string), JSON Schemas carried as
 * JSON text, and repeated fields, which protobuf cannot tell empty from absent (an empty one is left
 * out, as if not given). A field at fault keeps its proto path, which is OpenAI's path too.
 */

type Wire = Record<string, unknown>;

const EFFORT_FROM_WIRE: Record<string, ReasoningEffort | undefined> = {
  REASONING_EFFORT_UNSPECIFIED: undefined,
  REASONING_EFFORT_LOW: 'low',
  REASONING_EFFORT_MEDIUM: 'medium',
  REASONING_EFFORT_HIGH: 'high',
};

/**
 * A message whose kind is an enum where OpenAI has a string (`tool_choice.mode`,
 * `response_format.type`), one value of which takes a sub-message (TOOL_CHOICE_MODE_FUNCTION takes
 * `function`, RESPONSE_FORMAT_TYPE_JSON_SCHEMA takes `json_schema`).
 */
interface Kinded {
  /** The enum's field, its values' common prefix and its values besides UNSPECIFIED. */
  field: string;
  prefix: string;
  values: readonly string[];
  /** The value that takes the sub-message, and the sub-message's field. */
  carrier: string;
  sub: string;
}
const TOOL_CHOICE: Kinded = {
  field: 'mode',
  prefix: 'TOOL_CHOICE_MODE_',
  values: ['AUTO', 'NONE', 'REQUIRED', 'FUNCTION'],
  carrier: 'FUNCTION',
  sub: 'function',
};
const RESPONSE_FORMAT: Kinded = {
  field: 'type',
  prefix: 'RESPONSE_FORMAT_TYPE_',
  values: ['TEXT', 'JSON_OBJECT', 'JSON_SCHEMA'],
  carrier: 'JSON_SCHEMA',
  sub: 'json_schema',
};

const list = (value: unknown): Wire[] => (Array.isArray(value) ? (value as Wire[]) : []);

/** `{[key]: value}` when there is a value, else nothing: keys the request did not give stay out. */
const given = (key: string, value: unknown): Wire =>
  value === undefined || (Array.isArray(value) && value.length === 0) ? {} : { [key]: value };

/**
 * The message's kind without its prefix (`TOOL_CHOICE_MODE_AUTO` -> `AUTO`), or undefined when it
 * has none. An unset kind follows the sub-message: given, it is the carrier. The sub-message with
 * another kind, the carrier without it, and a number the proto does not define (proto3 keeps them,
 * proto-loader hands them over as numbers) are refused, naming the field.
 */
function kindOf(message: Wire, at: string, kinded: Kinded): string | undefined {
  const { field, prefix, values, carrier, sub } = kinded;
  const value = message[field];
  const hasSub = message[sub] !== undefined;
  if (value === undefined || value === `${prefix}UNSPECIFIED`) return hasSub ? carrier : undefined;
  const kind = typeof value === 'string' && value.startsWith(prefix) ? value.slice(prefix.length) : undefined;
  if (kind === undefined || !values.includes(kind)) {
    const expected = oneOf(values.map((v) => prefix + v));
    const name = `${at}.${field}`;
    throw invalidArgument(name, `${name}: unknown value ${JSON.stringify(value)}; expected ${expected}`);
  }
  const subName = `${at}.${sub}`;
  if (kind === carrier && !hasSub) {
    throw invalidArgument(subName, `${subName}: is required with ${field} ${prefix}${carrier}`);
  }
  if (kind !== carrier && hasSub) {
    throw invalidArgument(
      subName,
      `${subName}: only with ${field} ${prefix}${carrier} (or no ${field}); the ${field} is ${prefix}${kind}`,
    );
  }
  return kind;
}

/** The effort's name as the schema takes it; an undefined number is shown as it came, for the schema to refuse. */
function effortFromWire(effort: unknown): unknown {
  if (effort === undefined) return undefined;
  const name = typeof effort === 'string' ? effort : JSON.stringify(effort);
  return name in EFFORT_FROM_WIRE ? EFFORT_FROM_WIRE[name] : name;
}

/** A JSON Schema sent as JSON text, parsed; empty text is no schema. */
function jsonFromText(text: unknown, field: string): unknown {
  if (typeof text !== 'string' || text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    const error = invalidArgument(field, `${field}: must be a JSON Schema as JSON text; this is not valid JSON`);
    throw Object.assign(error, { cause });
  }
}

function messageFromWire(message: Wire): Wire {
  const { tool_calls: calls, ...rest } = message;
  const toolCalls = list(calls).map(({ function: call, ...fields }) => ({
    ...fields,
    type: 'function',
    ...given('function', call),
  }));
  return { ...rest, ...given('tool_calls', toolCalls) };
}

function toolFromWire(tool: Wire, field: string): Wire {
  const definition = tool.function as Wire | undefined;
  if (!definition) return { ...tool, type: 'function' };
  const { parameters, ...rest } = definition;
  const schema = jsonFromText(parameters, `${field}.function.parameters`);
  return { ...tool, type: 'function', function: { ...rest, ...given('parameters', schema) } };
}

/** OpenAI's tool_choice: "auto", "none", "required" or {"type": "function", "function": {"name"}}. */
function toolChoiceFromWire(choice: Wire | undefined): unknown {
  const mode = choice && kindOf(choice, 'tool_choice', TOOL_CHOICE);
  return mode === 'FUNCTION' ? { type: 'function', function: choice!.function } : mode?.toLowerCase();
}

/** OpenAI's response_format: {"type": "text" | "json_object"} or {"type": "json_schema", "json_schema": {...}}. */
function responseFormatFromWire(format: Wire | undefined): unknown {
  const type = format && kindOf(format, 'response_format', RESPONSE_FORMAT);
  if (type !== 'JSON_SCHEMA') return type && { type: type.toLowerCase() };
  const { schema, ...rest } = format!.json_schema as Wire;
  const parsed = jsonFromText(schema, 'response_format.json_schema.schema');
  return { type: 'json_schema', json_schema: { ...rest, ...given('schema', parsed) } };
}

/** The request as decoded: a request the strict deserializer refused throws its error. */
function decoded(request: unknown): Wire {
  if (request instanceof MalformedRequest) throw request.error;
  return request as Wire;
}

/** The fields Chat and CountTokens share: messages, effort, tools, response format. */
function promptFromWire(wire: Wire): Wire {
  const { messages, reasoning_effort: effort, tools, response_format: format, ...rest } = wire;
  return {
    ...rest,
    // an empty list stays: the schema says what a chat without messages lacks
    ...(messages !== undefined && { messages: list(messages).map(messageFromWire) }),
    ...given('reasoning_effort', effortFromWire(effort)),
    ...given(
      'tools',
      list(tools).map((tool, i) => toolFromWire(tool, `tools[${i}]`)),
    ),
    ...given('response_format', responseFormatFromWire(format as Wire | undefined)),
  };
}

export function chatRequestFromWire(request: unknown): Wire {
  const { tool_choice: choice, ...wire } = decoded(request);
  return { ...promptFromWire(wire), ...given('tool_choice', toolChoiceFromWire(choice as Wire | undefined)) };
}

export const countTokensRequestFromWire = (request: unknown): Wire => promptFromWire(decoded(request));

export const generateRequestFromWire = (request: unknown): Wire => decoded(request);

/** GetModelInfoRequest has no fields: any field is an unknown one, refused by the strict deserializer. */
export const emptyRequestFromWire = (request: unknown): Wire => decoded(request);

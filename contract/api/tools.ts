import * as z from 'zod';
import type { FunctionTool, JsonSchema } from './chat.js';
import { checkJsonSchema } from './jsonSchema.js';
import { invalidAt, parseAt, type FieldPath } from './issues.js';
import { readKind, type Kinds } from './kinds.js';
import { MAX_TOOLS, quoted } from './limits.js';
import { unsupportedField } from './unsupported.js';
import { jsonObject, optionalBoolean, optionalString, requiredString } from './wire.js';

/**
 * Function tools as both OpenAI APIs define them: Chat Completions nests the definition
 * (`{"type": "function", "function": {name, description, parameters, strict}}`), the Responses API
 * flattens it (`{"type": "function", name, ...}`). Either way the name is OpenAI's (letters, digits,
 * _ and -, up to 64), no two tools share one, and the parameters are a valid JSON Schema of an object.
 */

/** OpenAI's rule for the names of functions and response formats. */
export const openAiName = requiredString.regex(
  /^[a-zA-Z0-9_-]{1,64}$/,
  'must be 1 to 64 letters, digits, underscores or dashes',
);

const parameters = jsonObject('a JSON Schema object').nullish();

const definitionFields = { name: openAiName, description: optionalString, parameters, strict: optionalBoolean };

const chatFunctionTool = z.strictObject({
  type: z.literal('function'),
  function: z.strictObject(definitionFields, { error: 'must be {"name": ..., "parameters": ...}' }),
});

const responsesFunctionTool = z.strictObject({
  type: z.literal('function'),
  ...definitionFields,
  allowed_callers: unsupportedField({
    why: 'programmatic tool calling is not supported by this runtime',
    neutral: (value) => Array.isArray(value) && value.every((caller) => caller === 'direct'),
  }),
  defer_loading: unsupportedField({ why: 'deferred tool loading is not supported by this runtime' }),
  output_schema: unsupportedField({ why: 'function output schemas are not supported by this runtime' }),
});

type Definition = z.output<typeof chatFunctionTool>['function'];

/** OpenAI's other tool types: its platform's built-in tools, and custom (free-text) tools. */
const OTHER_TOOLS = [
  'custom',
  'web_search',
  'web_search_2025_08_26',
  'web_search_preview',
  'web_search_preview_2025_03_11',
  'file_search',
  'computer',
  'computer_use_preview',
  'code_interpreter',
  'image_generation',
  'mcp',
  'local_shell',
  'shell',
  'apply_patch',
  'namespace',
  'tool_search',
  'programmatic_tool_calling',
];
const REFUSED_TOOLS = Object.fromEntries(
  OTHER_TOOLS.map((type) => [type, `"${type}" tools are not supported by this runtime; only "function" tools are`]),
);

const TOOL_SHAPE = '{"type": "function", ...}';

/** A tool of a chat completions request: `{"type": "function", "function": {...}}`. */
const CHAT_TOOL_KINDS: Kinds<Definition> = {
  what: 'tool',
  shape: TOOL_SHAPE,
  read: { function: (value, path) => parseAt(chatFunctionTool, value, path).function },
  refused: REFUSED_TOOLS,
};

/** A tool of a Responses request: `{"type": "function", "name": ..., ...}`. */
const RESPONSES_TOOL_KINDS: Kinds<Definition> = {
  what: 'tool',
  shape: TOOL_SHAPE,
  read: {
    function: (value, path) => {
      const { name, description, parameters: schema, strict } = parseAt(responsesFunctionTool, value, path);
      return { name, description, parameters: schema, strict };
    },
  },
  refused: REFUSED_TOOLS,
};

/** A function's arguments are one JSON object: its schema may leave `type` out, but not name another. */
function checkParameters(schema: JsonSchema, path: FieldPath): void {
  checkJsonSchema(schema, path);
  if (schema.type !== undefined && schema.type !== 'object') {
    throw invalidAt([...path, 'type'], 'must be "object": a function takes its arguments as one JSON object');
  }
}

/**
 * The tools as the engine takes them, checked: parameters a valid schema, no name twice. `pathOf(i)`
 * is where tool i's definition is on the wire (`tools[1].function` in chat, `tools[1]` in Responses).
 */
function functionTools(definitions: readonly Definition[], pathOf: (index: number) => FieldPath): FunctionTool[] {
  const seen = new Map<string, number>();
  return definitions.map((definition, i) => {
    const earlier = seen.get(definition.name);
    if (earlier !== undefined) {
      throw invalidAt(
        [...pathOf(i), 'name'],
        `${quoted(definition.name)} is already the name of tools[${earlier}]; each function needs its own name`,
      );
    }
    seen.set(definition.name, i);
    if (definition.parameters) checkParameters(definition.parameters, [...pathOf(i), 'parameters']);
    return {
      name: definition.name,
      ...(typeof definition.description === 'string' && { description: definition.description }),
      ...(definition.parameters && { parameters: definition.parameters }),
      ...(typeof definition.strict === 'boolean' && { strict: definition.strict }),
    };
  });
}

const toolsOf = (value: readonly unknown[] | null | undefined, kinds: Kinds<Definition>, nested: boolean) =>
  functionTools(
    (value ?? []).map((tool, i) => readKind(tool, ['tools', i], kinds)),
    (i) => (nested ? ['tools', i, 'function'] : ['tools', i]),
  );

/** Chat Completions' `tools`, read and checked. */
export const chatTools = (value: readonly unknown[] | null | undefined) => toolsOf(value, CHAT_TOOL_KINDS, true);

/** The Responses API's `tools`, read and checked. */
export const responsesTools = (value: readonly unknown[] | null | undefined) =>
  toolsOf(value, RESPONSES_TOOL_KINDS, false);

/** The `tools` field of a request: a list of up to MAX_TOOLS, each read by its type. */
export const toolList = z
  .array(z.unknown(), { error: 'must be a list of tools' })
  .max(MAX_TOOLS, `takes at most ${MAX_TOOLS} tools`)
  .nullish();

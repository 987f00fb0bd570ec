import * as z from 'zod';
import type { FunctionTool, ToolChoice } from './chat.js';
import { invalidAt, parseAt, type FieldPath } from './issues.js';
import { readKind, type Kinds } from './kinds.js';
import { quoted } from './limits.js';
import { requiredString } from './wire.js';

/**
 * OpenAI's tool_choice: "auto", "none", "required", or one function by name (nested under
 * `function` in Chat Completions, flat in the Responses API). A named function must be among the
 * tools, and any choice but "none" needs tools to choose from (as OpenAI answers).
 */

const MODES = ['auto', 'none', 'required'] as const;

const chatNamed = z.strictObject({
  type: z.literal('function'),
  function: z.strictObject({ name: requiredString }, { error: 'must be {"name": ...}' }),
});
const responsesNamed = z.strictObject({ type: z.literal('function'), name: requiredString });

/** Choices OpenAI defines that this runtime does not make. */
const REFUSED: Record<string, string> = {
  allowed_tools:
    'allowed_tools is not supported by this runtime; send only the tools the model may call, ' +
    'with tool_choice "auto" or "required"',
  custom: '"custom" tools are not supported by this runtime; only "function" tools are',
  ...Object.fromEntries(
    [
      'file_search',
      'web_search_preview',
      'web_search_preview_2025_03_11',
      'computer',
      'computer_use',
      'computer_use_preview',
      'image_generation',
      'code_interpreter',
      'mcp',
      'shell',
      'apply_patch',
      'tool_search',
      'programmatic_tool_calling',
    ].map((type) => [type, `"${type}" is one of OpenAI's built-in tools, which this runtime does not have`]),
  ),
};

export type ToolChoiceStyle = 'chat' | 'responses';

const kindsOf = (style: ToolChoiceStyle): Kinds<{ name: string; at: FieldPath }> => ({
  what: 'tool_choice',
  shape: '"auto", "none", "required" or {"type": "function", ...}',
  read: {
    function: (value, path) =>
      style === 'chat'
        ? { name: parseAt(chatNamed, value, path).function.name, at: [...path, 'function', 'name'] }
        : { name: parseAt(responsesNamed, value, path).name, at: [...path, 'name'] },
  },
  refused: REFUSED,
});

/** The choice as the engine takes it; `undefined` or null leaves it "auto". */
export function toolChoiceOf(value: unknown, tools: readonly FunctionTool[], style: ToolChoiceStyle): ToolChoice {
  const path = ['tool_choice'];
  if (value === undefined || value === null) return { mode: 'auto' };
  if (typeof value === 'string') {
    if (!(MODES as readonly string[]).includes(value)) {
      throw invalidAt(path, `unknown choice ${quoted(value)}; expected "auto", "none", "required" or a function`);
    }
    const mode = value as (typeof MODES)[number];
    if (mode !== 'none' && tools.length === 0) {
      throw invalidAt(path, `"${mode}" needs tools to choose from; give tools, or leave tool_choice out`);
    }
    return { mode };
  }
  const { name, at } = readKind(value, path, kindsOf(style));
  if (!tools.some((tool) => tool.name === name)) throw invalidAt(at, `${quoted(name)} names no function in tools`);
  return { mode: 'function', name };
}

import * as z from 'zod';
import type { ToolCall } from './chat.js';
import { invalidAt, parseAt, type FieldPath } from './issues.js';
import { readKind, type Kinds } from './kinds.js';
import { quoted } from './limits.js';
import { unsupportedField } from './unsupported.js';
import { isPlainObject, nonEmptyString, optionalString, requiredString } from './wire.js';

/**
 * The Responses API's input items as items of the kinds this runtime reads: messages, function calls,
 * their outputs and reasoning. Every other kind OpenAI defines (its built-in tools' calls, item
 * references, compaction) is not_supported, naming the item's index and type.
 */

export type InputItem =
  | { kind: 'message'; role: 'user' | 'system' | 'developer' | 'assistant'; text: string }
  | { kind: 'call'; call: ToolCall }
  | { kind: 'output'; callId: string; text: string }
  | { kind: 'reasoning'; text: string };

const INPUT_ROLES = ['user', 'assistant', 'system', 'developer'] as const;
const status = z
  .enum(['in_progress', 'completed', 'incomplete'], {
    error: 'must be "in_progress", "completed" or "incomplete"',
  })
  .nullish();
/** Who called a function: the model itself ({"type": "direct"}) is the only caller here. */
const caller = unsupportedField({
  why: 'programmatic tool calling is not supported by this runtime',
  neutral: (value) => isPlainObject(value) && value.type === 'direct' && Object.keys(value).length === 1,
});
/**
 * What the openai SDK adds to the output items it hands back (`parsed` text, `parsed_arguments`), derived
 * on the client from the text and arguments next to them; a client sending its output back as input
 * sends them too. They repeat what is there, so they are accepted and not read.
 */
const SDK_DERIVED = z.unknown().optional();
const IMAGES = 'image and file input is not supported by this runtime (gpt-oss reads text only)';

const textParts = z.union([z.string(), z.array(z.unknown())], {
  error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string or a list of content parts'),
});

const inputText = z.strictObject({
  type: z.literal('input_text'),
  text: requiredString,
  prompt_cache_breakpoint: unsupportedField({ why: 'prompt cache breakpoints are not supported by this runtime' }),
});
const outputText = z.strictObject({
  type: z.literal('output_text'),
  text: requiredString,
  /** What OpenAI's answers carry, so a client sending its history back sends them too. */
  annotations: unsupportedField({ why: 'annotations (citations) are not supported by this runtime' }),
  logprobs: unsupportedField({ why: 'log probabilities are not supported by this runtime' }),
  parsed: SDK_DERIVED,
});

/** Text parts of a message (input_text or output_text, whichever role) or of a function's output. */
const PART_KINDS: Kinds<string> = {
  what: 'content part',
  shape: '{"type": "input_text", "text": ...}',
  read: {
    input_text: (value, path) => parseAt(inputText, value, path).text,
    output_text: (value, path) => parseAt(outputText, value, path).text,
  },
  refused: {
    input_image: IMAGES,
    input_file: IMAGES,
    input_audio: 'audio input is not supported by this runtime (gpt-oss reads text only)',
    refusal: 'refusal parts are not supported by this runtime',
  },
};

const textOf = (content: string | unknown[], path: FieldPath): string =>
  typeof content === 'string' ? content : content.map((part, i) => readKind(part, [...path, i], PART_KINDS)).join('');

const messageItem = z.strictObject({
  type: z.literal('message').optional(),
  role: z.enum(INPUT_ROLES, {
    error: (issue) =>
      issue.input === undefined
        ? 'is required'
        : typeof issue.input === 'string'
          ? `unknown role ${quoted(issue.input)}; expected one of ${INPUT_ROLES.join(', ')}`
          : 'must be a string',
  }),
  content: textParts,
  id: optionalString,
  status,
  /** Whether an assistant message was a preamble or the answer: here, a message before calls is a preamble. */
  phase: z.enum(['commentary', 'final_answer'], { error: 'must be "commentary" or "final_answer"' }).nullish(),
});

const functionCall = z.strictObject({
  type: z.literal('function_call'),
  call_id: nonEmptyString,
  name: nonEmptyString,
  /** JSON text, kept as written even when it is not valid JSON: it is what the model wrote. */
  arguments: requiredString,
  id: optionalString,
  status,
  caller,
  namespace: unsupportedField({ why: 'tool namespaces are not supported by this runtime' }),
  parsed_arguments: SDK_DERIVED,
});

const functionCallOutput = z.strictObject({
  type: z.literal('function_call_output'),
  call_id: nonEmptyString,
  output: textParts,
  id: optionalString,
  status,
  caller,
});

const reasoningPart = <T extends string>(type: T) =>
  z.strictObject({ type: z.literal(type, { error: `must be "${type}"` }), text: requiredString });

const reasoningItem = z.strictObject({
  type: z.literal('reasoning'),
  id: optionalString,
  summary: z.array(reasoningPart('summary_text'), { error: 'must be a list of summary_text parts' }).nullish(),
  content: z.array(reasoningPart('reasoning_text'), { error: 'must be a list of reasoning_text parts' }).nullish(),
  encrypted_content: unsupportedField({
    why: 'encrypted reasoning is not supported by this runtime; send the reasoning in the clear (content)',
  }),
  status,
});

/** The chain of thought of a reasoning item: its full text (content) if it has it, else its summary. */
function reasoningText(item: z.output<typeof reasoningItem>): string {
  if (item.content?.length) return item.content.map((part) => part.text).join('');
  return (item.summary ?? []).map((part) => part.text).join('\n\n');
}

/** OpenAI's other item types: its built-in and custom tools' calls and outputs, compaction. */
const OTHER_ITEMS = [
  'file_search_call',
  'computer_call',
  'computer_call_output',
  'web_search_call',
  'tool_search_call',
  'tool_search_output',
  'additional_tools',
  'image_generation_call',
  'code_interpreter_call',
  'local_shell_call',
  'local_shell_call_output',
  'shell_call',
  'shell_call_output',
  'apply_patch_call',
  'apply_patch_call_output',
  'mcp_list_tools',
  'mcp_approval_request',
  'mcp_approval_response',
  'mcp_call',
  'custom_tool_call',
  'custom_tool_call_output',
  'program',
  'program_output',
  'compaction',
  'compaction_trigger',
];
const REFUSED_ITEMS: Record<string, string> = {
  item_reference:
    "item references need OpenAI's stored items, which this runtime does not have; send the items themselves, " +
    'or chain with previous_response_id',
  ...Object.fromEntries(
    OTHER_ITEMS.map((type) => [
      type,
      `"${type}" items are not supported by this runtime; ` +
        'only message, function_call, function_call_output and reasoning items are',
    ]),
  ),
};

export const ITEM_KINDS: Kinds<InputItem> = {
  what: 'input item',
  shape: 'an input item: {"type": "message", "role": ..., "content": ...}, {"type": "function_call_output", ...}, ...',
  read: {
    message: (value, path) => {
      const item = parseAt(messageItem, value, path);
      return { kind: 'message', role: item.role, text: textOf(item.content, [...path, 'content']) };
    },
    function_call: (value, path) => {
      const item = parseAt(functionCall, value, path);
      return { kind: 'call', call: { id: item.call_id, name: item.name, arguments: item.arguments } };
    },
    function_call_output: (value, path) => {
      const item = parseAt(functionCallOutput, value, path);
      return { kind: 'output', callId: item.call_id, text: textOf(item.output, [...path, 'output']) };
    },
    reasoning: (value, path) => ({ kind: 'reasoning', text: reasoningText(parseAt(reasoningItem, value, path)) }),
  },
  refused: REFUSED_ITEMS,
  // OpenAI's easy messages leave the type out, and so may item references
  kindOf: (value) =>
    value.type ?? (value.role !== undefined ? 'message' : value.id !== undefined ? 'item_reference' : undefined),
};

/** The items of `input`, read; a string is one user message. */
export function inputItems(input: string | unknown[]): InputItem[] {
  if (typeof input === 'string') return [{ kind: 'message', role: 'user', text: input }];
  if (input.length === 0) throw invalidAt(['input'], 'must contain at least one item');
  return input.map((item, i) => readKind(item, ['input', i], ITEM_KINDS));
}

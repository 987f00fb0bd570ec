import * as z from 'zod';
import { quoted } from './limits.js';
import { LEGACY_FUNCTIONS, MESSAGE_UNSUPPORTED_FIELDS, NOT_SUPPORTED } from './unsupported.js';
import { nonEmptyString, optionalString, requiredString } from './wire.js';

/** Chat messages as both APIs carry them (the proto's Message is a subset of OpenAI's). */

/** The roles of messages that are plain text; a `tool` message answers a call. */
export const CHAT_ROLES = ['system', 'developer', 'user', 'assistant'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];
export const MESSAGE_ROLES = [...CHAT_ROLES, 'tool'] as const;
export type MessageRole = (typeof MESSAGE_ROLES)[number];

const role = z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') });
const knownRole = role.superRefine((value, ctx) => {
  if (value === 'function') {
    ctx.addIssue({ code: 'custom', message: LEGACY_FUNCTIONS, params: NOT_SUPPORTED });
  } else if (!(MESSAGE_ROLES as readonly string[]).includes(value)) {
    ctx.addIssue({
      code: 'custom',
      message: `unknown role ${quoted(value)}; expected one of ${MESSAGE_ROLES.join(', ')}`,
    });
  }
});

/** Content part types OpenAI defines that this runtime cannot read. */
const PARTS_NOT_SUPPORTED: Record<string, string> = {
  image_url: 'image input is not supported by this runtime (gpt-oss reads text only)',
  input_audio: 'audio input is not supported by this runtime (gpt-oss reads text only)',
  file: 'file input is not supported by this runtime (gpt-oss reads text only)',
  refusal: 'refusal parts are not supported by this runtime',
};

const textPart = z.strictObject({ type: z.literal('text'), text: z.string({ error: 'must be a string' }) });

const contentPart = z
  .looseObject(
    { type: z.string({ error: 'must be a string: "text"' }) },
    { error: 'must be a {"type": "text", "text": ...} part' },
  )
  .superRefine((part, ctx) => {
    if (part.type === 'text') return;
    const why = Object.hasOwn(PARTS_NOT_SUPPORTED, part.type) ? PARTS_NOT_SUPPORTED[part.type] : undefined;
    ctx.addIssue({
      code: 'custom',
      path: ['type'],
      message: why ?? `unknown content part type ${quoted(part.type)}; expected "text"`,
      ...(why && { params: NOT_SUPPORTED }),
    });
  })
  .pipe(textPart)
  .transform((part) => part.text);

const content = z.union([z.string(), z.array(contentPart)], {
  error: 'must be a string or a list of {"type": "text", "text": ...} parts',
});

/**
 * What the openai SDK's parse helpers add to an answer (`parsed`, `parsed_arguments`), derived on the
 * client from the content and arguments next to them; a client sending the message back sends them
 * too. They repeat what is there, so they are accepted and not read.
 */
const SDK_DERIVED = z.unknown().optional();

/** OpenAI's function call, as an assistant message carries it: the arguments are JSON text, kept as written. */
const toolCall = z
  .looseObject(
    { type: requiredString },
    { error: 'must be a tool call: {"id": ..., "type": "function", "function": {"name": ..., "arguments": ...}}' },
  )
  .superRefine(({ type }, ctx) => {
    if (type === 'function') return;
    ctx.addIssue({
      code: 'custom',
      path: ['type'],
      ...(type === 'custom'
        ? { message: 'custom (free-form) tool calls are not supported by this runtime', params: NOT_SUPPORTED }
        : { message: `unknown tool call type ${quoted(type)}; expected "function"` }),
    });
  })
  .pipe(
    z.strictObject({
      id: nonEmptyString,
      type: z.literal('function'),
      function: z.strictObject(
        {
          name: nonEmptyString,
          parsed_arguments: SDK_DERIVED,
          arguments: z.string({
            error: (issue) =>
              issue.input === undefined
                ? 'is required'
                : 'must be a string: the arguments as JSON text, as OpenAI sends them',
          }),
        },
        { error: 'must be {"name": ..., "arguments": ...}' },
      ),
    }),
  );

/**
 * One message, of any role; which fields a role may carry is checked where the messages are read
 * (chatMessages.ts), so each refusal can say why. The chain of thought comes back under either name
 * clients use: `reasoning_content` (llama.cpp, DeepSeek) or `reasoning` (vLLM, Ollama).
 */
export const messageSchema = z.strictObject(
  {
    role: knownRole,
    content: content.nullish(),
    reasoning_content: optionalString,
    reasoning: optionalString,
    tool_calls: z.array(toolCall, { error: 'must be a list of tool calls' }).nullish(),
    tool_call_id: optionalString,
    name: optionalString,
    parsed: SDK_DERIVED,
    ...MESSAGE_UNSUPPORTED_FIELDS,
  },
  { error: 'must be a message: {"role": ..., "content": ...}' },
);

export type WireMessage = z.output<typeof messageSchema>;

/** The message's text: a string, or its text parts joined. */
export const messageText = (message: WireMessage): string =>
  typeof message.content === 'string' ? message.content : (message.content ?? []).join('');

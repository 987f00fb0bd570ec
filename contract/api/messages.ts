import { z } from 'zod';
import { quoted } from './limits.js';
import { MESSAGE_UNSUPPORTED_FIELDS, NOT_SUPPORTED, TOOLS_NOT_SUPPORTED } from './unsupported.js';

/** Chat messages as both APIs carry them (the proto's Message is a subset of OpenAI's). */

export const CHAT_ROLES = ['system', 'developer', 'user', 'assistant'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];

const TOOL_ROLES = ['tool', 'function'];

const role = z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') });
const knownRole = role.superRefine((value, ctx) => {
  if (TOOL_ROLES.includes(value)) {
    ctx.addIssue({ code: 'custom', message: TOOLS_NOT_SUPPORTED, params: NOT_SUPPORTED });
  } else if (!(CHAT_ROLES as readonly string[]).includes(value)) {
    ctx.addIssue({
      code: 'custom',
      message: `unknown role ${quoted(value)}; expected one of ${CHAT_ROLES.join(', ')}`,
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
 * One message. `reasoning_content` is what this runtime answers with (the analysis channel), so a
 * client that sends its history back sends it too: accepted on assistant messages and left out of
 * the prompt, as harmony wants earlier turns' reasoning dropped.
 */
export const messageSchema = z.strictObject(
  {
    role: knownRole,
    content: content.nullish(),
    reasoning_content: z.string({ error: 'must be a string' }).nullish(),
    ...MESSAGE_UNSUPPORTED_FIELDS,
  },
  { error: 'must be a message: {"role": ..., "content": ...}' },
);

export type WireMessage = z.output<typeof messageSchema>;

/** The message's text: a string, or its text parts joined. */
export const messageText = (message: WireMessage): string =>
  typeof message.content === 'string' ? message.content : (message.content ?? []).join('');

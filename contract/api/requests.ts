import { z } from 'zod';
import { oneOf } from '../errors.js';
import { REASONING_EFFORTS, type ReasoningEffort } from '../models.js';
import { ApiError, invalidArgument } from './errors.js';

/**
 * Requests as both APIs carry them (the proto and OpenAI's JSON share snake_case field names), so one
 * schema validates gRPC and HTTP alike and names the field at fault the same way in both.
 */

export const CHAT_ROLES = ['system', 'developer', 'user', 'assistant'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface Sampling {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  stop: string[];
}

export interface ChatJob extends Sampling {
  model: string;
  messages: ChatMessage[];
  reasoningEffort?: ReasoningEffort;
}

export interface GenerateJob extends Sampling {
  model: string;
  prompt: string;
}

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const content = z.union([z.string(), z.array(textPart)], {
  error: 'must be a string or a list of {"type": "text", "text": ...} parts',
});

const message = z.object({
  role: z.string({ error: 'is required' }).superRefine((role, ctx) => {
    if (role === 'tool' || role === 'function') return; // refused below as "not supported yet"
    if (!(CHAT_ROLES as readonly string[]).includes(role)) {
      ctx.addIssue({ code: 'custom', message: `unknown role "${role}"; expected one of ${CHAT_ROLES.join(', ')}` });
    }
  }),
  content: content.nullish(),
  tool_calls: z.unknown().optional(),
  tool_call_id: z.unknown().optional(),
});

const sampling = {
  max_tokens: z
    .number({ error: 'must be a number' })
    .int('must be an integer')
    .positive('must be greater than 0')
    .optional(),
  temperature: z
    .number({ error: 'must be a number' })
    .min(0, 'must be between 0 and 2')
    .max(2, 'must be between 0 and 2')
    .optional(),
  top_p: z
    .number({ error: 'must be a number' })
    .gt(0, 'must be greater than 0 and at most 1')
    .max(1, 'must be greater than 0 and at most 1')
    .optional(),
  seed: z
    .number({ error: 'must be a number' })
    .int('must be an integer')
    .min(0, 'must be at least 0')
    .max(2 ** 32 - 1, 'must fit in 32 bits')
    .optional(),
  stop: z.union([z.string(), z.array(z.string()).max(4, 'takes at most 4 sequences')]).optional(),
};

const chatSchema = z.object({
  model: z.string().optional(),
  messages: z.array(message, { error: 'is required and must be a list' }).min(1, 'must contain at least one message'),
  reasoning_effort: z
    .string()
    .optional()
    .superRefine((effort, ctx) => {
      if (effort !== undefined && !(REASONING_EFFORTS as readonly string[]).includes(effort)) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown reasoning effort "${effort}"; expected ${oneOf(REASONING_EFFORTS)}`,
        });
      }
    }),
  tools: z.unknown().optional(),
  ...sampling,
});

const generateSchema = z.object({
  model: z.string().optional(),
  prompt: z.string({ error: 'is required and must be a string' }).min(1, 'must not be empty'),
  ...sampling,
});

function fieldName(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>(
    (name, part) => (typeof part === 'number' ? `${name}[${part}]` : name ? `${name}.${String(part)}` : String(part)),
    '',
  );
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidArgument('', 'the request body must be a JSON object');
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = fieldName(issue.path);
  throw invalidArgument(field, `${field || 'request'}: ${issue.message}`);
}

const stopList = (stop: string | string[] | undefined) =>
  stop === undefined ? [] : typeof stop === 'string' ? [stop] : stop;

function samplingOf(body: z.infer<typeof generateSchema> | z.infer<typeof chatSchema>): Sampling {
  return {
    maxTokens: body.max_tokens,
    temperature: body.temperature,
    topP: body.top_p,
    seed: body.seed,
    stop: stopList(body.stop),
  };
}

const TOOLS_NOT_SUPPORTED =
  'tool calling is not supported yet by this runtime (it is planned); send messages without tools';

export function parseChatRequest(body: unknown): ChatJob {
  const parsed = parse(chatSchema, body);
  if (parsed.tools !== undefined && !(Array.isArray(parsed.tools) && parsed.tools.length === 0)) {
    throw new ApiError('not_supported', TOOLS_NOT_SUPPORTED, 'tools');
  }
  const messages = parsed.messages.map((m, i): ChatMessage => {
    if (m.role === 'tool' || m.role === 'function' || m.tool_calls !== undefined) {
      throw new ApiError('not_supported', TOOLS_NOT_SUPPORTED, `messages[${i}].role`);
    }
    const text = typeof m.content === 'string' ? m.content : (m.content ?? []).map((p) => p.text).join('');
    return { role: m.role as ChatRole, content: text };
  });
  if (messages.at(-1)!.role === 'assistant') {
    throw invalidArgument(
      `messages[${messages.length - 1}].role`,
      `messages[${messages.length - 1}].role: the last message must not be from the assistant`,
    );
  }
  return {
    model: parsed.model ?? '',
    messages,
    reasoningEffort: parsed.reasoning_effort as ReasoningEffort | undefined,
    ...samplingOf(parsed),
  };
}

export function parseGenerateRequest(body: unknown): GenerateJob {
  const parsed = parse(generateSchema, body);
  return { model: parsed.model ?? '', prompt: parsed.prompt, ...samplingOf(parsed) };
}

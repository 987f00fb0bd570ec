import type { ChatMessage } from './chat.js';
import { invalidArgument } from './errors.js';
import { MAX_REQUEST_TEXT_BYTES } from './limits.js';

/**
 * The one cap on a request's text (MAX_REQUEST_TEXT_BYTES, in UTF-8 bytes) over everything the prompt
 * will hold: messages with their reasoning and tool calls, tools, the response format's schema, stop
 * sequences. A tool's schema is counted as JSON text, about what the prompt renders of it.
 */

/** Every text of the messages: contents, reasoning, and the calls' ids, names and arguments. */
export function messageTexts(messages: readonly ChatMessage[]): string[] {
  return messages.flatMap((m) => {
    switch (m.role) {
      case 'assistant':
        return [m.content, m.reasoning ?? '', ...(m.toolCalls ?? []).flatMap((c) => [c.id, c.name, c.arguments])];
      case 'tool':
        return [m.content, m.toolCallId];
      default:
        return [m.content];
    }
  });
}

/** A value counted as the JSON text it is (a tool list, a schema); nothing for nothing. */
export const jsonTexts = (value: unknown): string[] => (value === undefined ? [] : [JSON.stringify(value)]);

/**
 * Throws when the parts together are over the cap, naming the field of the part that crossed it
 * (the messages first: what a request is mostly made of).
 */
export function checkTextSize(parts: ReadonlyArray<readonly [field: string, texts: readonly string[]]>): void {
  const sizes = parts.map(([, texts]) => texts.reduce((sum, text) => sum + Buffer.byteLength(text, 'utf8'), 0));
  const total = sizes.reduce((sum, size) => sum + size, 0);
  if (total <= MAX_REQUEST_TEXT_BYTES) return;
  let sum = 0;
  const crossing = parts.findIndex((_, i) => (sum += sizes[i]!) > MAX_REQUEST_TEXT_BYTES);
  const field = parts[crossing]![0];
  throw invalidArgument(
    field,
    `${field}: the request's text is ${total} bytes (UTF-8); at most ${MAX_REQUEST_TEXT_BYTES} bytes per request`,
  );
}

import type { ChatMessage } from './chat.js';
import { invalidArgument } from './errors.js';
import { quoted } from './limits.js';

/**
 * Links each tool result to the call it answers: the result names the call by id, and the function
 * that was called is what harmony writes with the result (`functions.get_weather to=assistant`).
 * The latest earlier call with the id is the one answered (clients may reuse ids across turns).
 *
 * `field(i)` names message i's call id on the wire (`messages[3].tool_call_id`, `input[5].call_id`);
 * `calls` says what a call is there, for the error. Callers that prepend stored history resolve the
 * whole list, so a result may answer a call of an earlier response.
 */
export function resolveToolResults(
  messages: readonly ChatMessage[],
  field: (index: number) => string,
  calls = 'tool call of an earlier assistant message',
): ChatMessage[] {
  const called = new Map<string, string>();
  return messages.map((message, i) => {
    if (message.role === 'assistant') for (const call of message.toolCalls ?? []) called.set(call.id, call.name);
    if (message.role !== 'tool') return message;
    const name = called.get(message.toolCallId);
    if (name === undefined) {
      const at = field(i);
      throw invalidArgument(at, `${at}: ${quoted(message.toolCallId)} names no ${calls}`);
    }
    return name === message.name ? message : { ...message, name };
  });
}

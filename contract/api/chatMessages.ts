import type { ChatMessage, ToolCall } from './chat.js';
import { invalidAt, notSupportedAt, type FieldPath } from './issues.js';
import { quoted } from './limits.js';
import { messageText, type WireMessage } from './messages.js';
import { resolveToolResults } from './toolResults.js';

/**
 * Chat Completions' messages as the engine takes them. Each role carries its own fields: reasoning
 * and tool calls on the assistant's, the call id on a tool result's; one of them on another role is
 * refused, naming it, rather than dropped.
 */

const given = <T>(value: T | null | undefined): value is T => value !== null && value !== undefined;

/** Fields only one role carries, with what to say when another role sends one. */
function checkRoleFields(m: WireMessage, path: FieldPath): void {
  const on = (field: string) => [...path, field];
  if (m.role !== 'assistant') {
    for (const field of ['reasoning_content', 'reasoning'] as const) {
      if (given(m[field])) throw invalidAt(on(field), 'only assistant messages carry reasoning');
    }
    if (m.tool_calls?.length) throw invalidAt(on('tool_calls'), 'only assistant messages make tool calls');
  }
  if (m.role !== 'tool') {
    if (given(m.tool_call_id)) throw invalidAt(on('tool_call_id'), 'only tool messages (role "tool") answer a call');
    if (given(m.name)) {
      throw notSupportedAt(
        on('name'),
        'participant names are not supported by this runtime; put the name in the content',
      );
    }
  }
}

/** The chain of thought under either name; both given must be the same text. */
function reasoningOf(m: WireMessage, path: FieldPath): string | undefined {
  const [older, newer] = [m.reasoning_content, m.reasoning];
  if (given(older) && given(newer) && older !== newer) {
    throw invalidAt(
      [...path, 'reasoning'],
      'reasoning and reasoning_content are two names of one text; give either, or both the same',
    );
  }
  return (older ?? newer) || undefined;
}

function toolCallsOf(m: WireMessage, path: FieldPath): ToolCall[] {
  const ids = new Set<string>();
  return (m.tool_calls ?? []).map((call, j) => {
    if (ids.has(call.id)) {
      throw invalidAt([...path, 'tool_calls', j, 'id'], `${quoted(call.id)} is the id of another call in this message`);
    }
    ids.add(call.id);
    // the arguments stay as written, even when they are not valid JSON: it is what the model wrote
    return { id: call.id, name: call.function.name, arguments: call.function.arguments };
  });
}

function messageOf(m: WireMessage, path: FieldPath): ChatMessage {
  checkRoleFields(m, path);
  const content = messageText(m);
  switch (m.role) {
    case 'assistant': {
      const reasoning = reasoningOf(m, path);
      const toolCalls = toolCallsOf(m, path);
      return { role: 'assistant', content, ...(reasoning && { reasoning }), ...(toolCalls.length && { toolCalls }) };
    }
    case 'tool':
      if (!m.tool_call_id) {
        throw invalidAt([...path, 'tool_call_id'], 'is required on a tool message: the id of the call it answers');
      }
      // the function's name comes from the call (resolveToolResults)
      return { role: 'tool', toolCallId: m.tool_call_id, name: '', content };
    default:
      return { role: m.role as 'system' | 'developer' | 'user', content };
  }
}

/** A tool message may say which function answered (OpenAI's cookbook sends it): if it does, the call's. */
function checkResultNames(wire: readonly WireMessage[], messages: readonly ChatMessage[]): void {
  messages.forEach((message, i) => {
    const sent = wire[i]!.name;
    if (message.role === 'tool' && given(sent) && sent !== message.name) {
      throw invalidAt(
        ['messages', i, 'name'],
        `${quoted(sent)} is not the function that call ${quoted(message.toolCallId)} called (${quoted(message.name)})`,
      );
    }
  });
}

/** The messages as the engine takes them; the conversation must end with something to answer. */
export function chatMessagesOf(wire: readonly WireMessage[]): ChatMessage[] {
  const messages = wire.map((m, i) => messageOf(m, ['messages', i]));
  const last = messages.length - 1;
  if (messages[last]?.role === 'assistant') {
    throw invalidAt(['messages', last, 'role'], 'the last message must not be from the assistant');
  }
  const resolved = resolveToolResults(messages, (i) => `messages[${i}].tool_call_id`);
  checkResultNames(wire, resolved);
  return resolved;
}

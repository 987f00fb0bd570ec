import type { ChatMessage, ToolCall } from './chat.js';
import { invalidAt } from './issues.js';
import { quoted } from './limits.js';
import type { InputItem } from './responseItems.js';

/**
 * The Responses API's input items folded into chat messages. OpenAI's items are finer than harmony's
 * messages: one assistant turn may arrive as a reasoning item, a preamble message and several
 * function_call items, which here make one assistant message (its reasoning, content and calls).
 */

export interface ChatInput {
  messages: ChatMessage[];
  /** Where each tool result's call id is on the wire (`input[5].call_id`), by message index. */
  callIdFields: Map<number, string>;
}

/** Reasoning waiting for the assistant message or call it led to, and the item it started at. */
type Pending = { text: string; index: number } | undefined;

const thoughtOf = (pending: Pending) => (pending?.text ? { reasoning: pending.text } : {});

function checkNothingPending(pending: Pending): void {
  if (pending) {
    throw invalidAt(
      ['input', pending.index],
      'a reasoning item must come right before the assistant message or function_call it led to',
    );
  }
}

/** A call joins the assistant message right before it (a preamble, or the turn's other calls). */
function addCall(messages: ChatMessage[], call: ToolCall, pending: Pending, index: number): void {
  const last = messages.at(-1);
  if (last?.role !== 'assistant' || pending) {
    messages.push({ role: 'assistant', content: '', ...thoughtOf(pending), toolCalls: [call] });
    return;
  }
  if (last.toolCalls?.some((earlier) => earlier.id === call.id)) {
    throw invalidAt(['input', index, 'call_id'], `${quoted(call.id)} is the call_id of another call in this turn`);
  }
  messages[messages.length - 1] = { ...last, toolCalls: [...(last.toolCalls ?? []), call] };
}

const isAssistants = (item: InputItem) =>
  item.kind === 'call' || item.kind === 'reasoning' || (item.kind === 'message' && item.role === 'assistant');

export function chatInput(items: readonly InputItem[]): ChatInput {
  const messages: ChatMessage[] = [];
  const callIdFields = new Map<number, string>();
  let pending: Pending;
  items.forEach((item, i) => {
    switch (item.kind) {
      case 'reasoning':
        pending = pending ? { ...pending, text: `${pending.text}\n\n${item.text}` } : { text: item.text, index: i };
        return;
      case 'call':
        addCall(messages, item.call, pending, i);
        break;
      case 'message':
        if (item.role !== 'assistant') checkNothingPending(pending);
        messages.push(
          item.role === 'assistant'
            ? { role: 'assistant', content: item.text, ...thoughtOf(pending) }
            : { role: item.role, content: item.text },
        );
        break;
      case 'output':
        checkNothingPending(pending);
        callIdFields.set(messages.length, `input[${i}].call_id`);
        messages.push({ role: 'tool', toolCallId: item.callId, name: '', content: item.text });
        break;
    }
    pending = undefined;
  });
  const last = items.length - 1;
  if (last >= 0 && isAssistants(items[last]!)) {
    throw invalidAt(
      ['input', last],
      "the last input item must not be the assistant's own (a message, function_call or reasoning): " +
        'end with something to answer',
    );
  }
  return { messages, callIdFields };
}

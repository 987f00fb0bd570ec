import type { ChatMessage, ToolCall } from '../../../contract/api/chat.js';
import type { OutputItem } from './items.js';

/**
 * A response's output as the assistant message the next turn's history holds: its messages' text
 * (the answer, or a preamble to its calls), its reasoning (kept: harmony keeps the chain of thought
 * across tool calls, and the renderer drops it after a final answer) and its function calls.
 */
export function assistantTurn(output: readonly OutputItem[]): ChatMessage {
  let content = '';
  let reasoning = '';
  const toolCalls: ToolCall[] = [];
  for (const item of output) {
    if (item.type === 'message') content += item.content.map((part) => part.text).join('');
    else if (item.type === 'reasoning') reasoning += item.content.map((part) => part.text).join('');
    else toolCalls.push({ id: item.call_id, name: item.name, arguments: item.arguments });
  }
  return {
    role: 'assistant',
    content,
    ...(reasoning && { reasoning }),
    ...(toolCalls.length > 0 && { toolCalls }),
  };
}

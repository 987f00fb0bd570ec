import type { ReasoningEffort } from '../../contract/models.js';
import type { Delta, FinishReason, Outcome } from '../engine/types.js';

/** The engine's output as the proto's GenerateResponse messages (field names as the proto's, enums by name). */

type Wire = Record<string, unknown>;

const CHANNEL_TO_WIRE = {
  analysis: 'CHANNEL_ANALYSIS',
  commentary: 'CHANNEL_COMMENTARY',
  final: 'CHANNEL_FINAL',
} as const;

/** FINISH_REASON_TOOL_CALL keeps the name the proto reserved it under: renaming an enum value breaks clients. */
const FINISH_TO_WIRE: Record<FinishReason, string> = {
  stop: 'FINISH_REASON_STOP',
  length: 'FINISH_REASON_LENGTH',
  cancelled: 'FINISH_REASON_CANCELLED',
  tool_calls: 'FINISH_REASON_TOOL_CALL',
};

export const effortToWire = (effort: ReasoningEffort) => `REASONING_EFFORT_${effort.toUpperCase()}`;

/** Text with its channel; a function call's start (index, id, name) or more of its arguments (index, text). */
export function deltaMessage(delta: Delta): Wire {
  switch (delta.type) {
    case 'text':
      return { text: delta.text, channel: CHANNEL_TO_WIRE[delta.channel] };
    case 'toolCall':
      return { tool_call: { index: delta.index, id: delta.id, name: delta.name } };
    case 'toolArguments':
      return { tool_call: { index: delta.index, arguments: delta.text } };
  }
}

/** The stream's last message: the finish reason and usage, no text. */
export function lastMessage(outcome: Outcome): Wire {
  const { usage } = outcome;
  return {
    text: '',
    channel: 'CHANNEL_UNSPECIFIED',
    finish_reason: FINISH_TO_WIRE[outcome.finishReason],
    usage: {
      prompt_tokens: usage.promptTokens,
      completion_tokens: usage.completionTokens,
      reasoning_tokens: usage.reasoningTokens,
      time_to_first_token_seconds: usage.timeToFirstTokenSeconds,
      tokens_per_second: usage.tokensPerSecond,
    },
  };
}

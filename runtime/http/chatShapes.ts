import type { Delta } from '../engine/types.js';
import { openAiFinish, type GenerationShape } from './generation.js';

/**
 * Chat Completions and Completions as OpenAI shapes them. Reasoning (the analysis channel) goes
 * apart from the answer; the final and commentary channels (preambles are meant for users) make up
 * `content`; function calls become `tool_calls`.
 */

const textOf = (deltas: Delta[], reasoning: boolean) =>
  deltas
    .filter((d) => d.type === 'text' && (d.channel === 'analysis') === reasoning)
    .map((d) => (d.type === 'text' ? d.text : ''))
    .join('');

/** Reasoning under both names clients read: `reasoning_content` (llama.cpp, DeepSeek), `reasoning` (vLLM, Ollama). */
const reasoningFields = (text: string) => ({ reasoning_content: text, reasoning: text });

interface ToolCallWire {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** The calls of a whole answer, as OpenAI's message.tool_calls, in the order they were made. */
function toolCallsOf(deltas: Delta[]): ToolCallWire[] {
  const calls: ToolCallWire[] = [];
  for (const d of deltas) {
    if (d.type === 'toolCall')
      calls[d.index] = { id: d.id, type: 'function', function: { name: d.name, arguments: '' } };
    else if (d.type === 'toolArguments') calls[d.index]!.function.arguments += d.text;
  }
  return calls;
}

/**
 * One streamed delta as OpenAI streams it: text by channel; a call's first chunk with its index,
 * id, type, name and empty arguments; then chunks of its index and more arguments (the openai SDK
 * assembles a call from those by index).
 */
function chatDelta(delta: Delta) {
  switch (delta.type) {
    case 'text':
      return delta.channel === 'analysis' ? reasoningFields(delta.text) : { content: delta.text };
    case 'toolCall':
      return {
        tool_calls: [
          { index: delta.index, id: delta.id, type: 'function', function: { name: delta.name, arguments: '' } },
        ],
      };
    case 'toolArguments':
      return { tool_calls: [{ index: delta.index, function: { arguments: delta.text } }] };
  }
}

const role = (first: boolean) => (first ? { role: 'assistant' } : {});

export const chatShape: GenerationShape = {
  object: 'chat.completion',
  chunkObject: 'chat.completion.chunk',
  idPrefix: 'chatcmpl',
  chunkChoice: (delta, first) => ({
    index: 0,
    delta: { ...role(first), ...chatDelta(delta) },
    finish_reason: null,
  }),
  // an answer with no text at all still says whose it is: the SDK's stream helpers insist on a role
  finishChoice: (outcome, first) => ({ index: 0, delta: role(first), finish_reason: openAiFinish(outcome) }),
  wholeChoice: (deltas, outcome) => {
    const reasoning = textOf(deltas, true);
    const content = textOf(deltas, false);
    const calls = toolCallsOf(deltas);
    return {
      index: 0,
      message: {
        role: 'assistant',
        // as OpenAI: null when the turn is only function calls
        content: content || calls.length === 0 ? content : null,
        refusal: null,
        ...(reasoning ? reasoningFields(reasoning) : {}),
        ...(calls.length ? { tool_calls: calls } : {}),
      },
      logprobs: null,
      finish_reason: openAiFinish(outcome),
    };
  },
};

const completionText = (delta: Delta) => (delta.type === 'text' ? delta.text : '');

export const completionShape: GenerationShape = {
  object: 'text_completion',
  chunkObject: 'text_completion',
  idPrefix: 'cmpl',
  chunkChoice: (delta) => ({ index: 0, text: completionText(delta), logprobs: null, finish_reason: null }),
  finishChoice: (outcome) => ({ index: 0, text: '', logprobs: null, finish_reason: openAiFinish(outcome) }),
  wholeChoice: (deltas, outcome) => ({
    index: 0,
    text: deltas.map(completionText).join(''),
    logprobs: null,
    finish_reason: openAiFinish(outcome),
  }),
};

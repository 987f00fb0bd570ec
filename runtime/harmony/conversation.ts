import type { ChatMessage, ChatPrompt } from '../../contract/api/chat.js';
import type { ReasoningEffort } from '../../contract/models.js';
import { HARMONY_TOKENS, renderForCompletion, type HarmonyMessage, type Piece } from './format.js';
import { developerContent, systemContent } from './system.js';
import { FUNCTIONS_NAMESPACE } from './tools.js';

export interface ConversationSettings {
  /** The effort when the request names none. */
  reasoningEffort: ReasoningEffort;
  /** YYYY-MM-DD for the system message's `Current date:` line, or null for none. */
  currentDate: string | null;
}

/** A function call's arguments are JSON: `<|constrain|>json` in its header, as the reference writes it. */
const JSON_ARGUMENTS = `${HARMONY_TOKENS.constrain}json`;

/**
 * A Chat Completions (or Responses) conversation as harmony messages: the system message (identity,
 * dates, reasoning effort, channels, the functions line when there are tools); one developer message
 * with the chat's `system` and `developer` messages, in order, as its instructions, then the tools and
 * the response format; then the turns. The chain of thought is kept only where the model still needs
 * it: see dropSettledReasoning.
 */
export function chatConversation(prompt: ChatPrompt, settings: ConversationSettings): HarmonyMessage[] {
  const system = systemContent({
    reasoningEffort: prompt.reasoningEffort ?? settings.reasoningEffort,
    ...(settings.currentDate ? { currentDate: settings.currentDate } : {}),
    hasFunctionTools: prompt.tools.length > 0,
  });
  const instructions = prompt.messages.filter((m) => m.role === 'system' || m.role === 'developer');
  const developer = developerContent({
    ...(instructions.length > 0 ? { instructions: instructions.map((m) => m.content).join('\n\n') } : {}),
    tools: prompt.tools,
    responseFormat: prompt.responseFormat,
  });
  return [
    { role: 'system', content: system },
    ...(developer === null ? [] : [{ role: 'developer' as const, content: developer }]),
    ...dropSettledReasoning(prompt.messages.flatMap(turnMessages)),
  ];
}

/** The pieces the model sees for a chat: the conversation, then `<|start|>assistant` for it to complete. */
export function renderChatPrompt(prompt: ChatPrompt, settings: ConversationSettings): Piece[] {
  return renderForCompletion(chatConversation(prompt, settings));
}

/**
 * One chat message as the harmony messages it stands for. An assistant message: its reasoning on the
 * analysis channel; with tool calls, its content as a preamble on the commentary channel and each
 * call as a message to `functions.NAME`; without, its content as the final answer. A tool result is
 * authored by the function it answers and addressed to the assistant on the commentary channel.
 */
function turnMessages(m: ChatMessage): HarmonyMessage[] {
  switch (m.role) {
    case 'system':
    case 'developer':
      return [];
    case 'user':
      return [{ role: 'user', content: m.content }];
    case 'tool':
      return [
        {
          role: 'tool',
          name: `${FUNCTIONS_NAMESPACE}.${m.name}`,
          recipient: 'assistant',
          channel: 'commentary',
          content: m.content,
        },
      ];
    case 'assistant':
      return assistantMessages(m);
  }
}

function assistantMessages(m: Extract<ChatMessage, { role: 'assistant' }>): HarmonyMessage[] {
  const reasoning: HarmonyMessage[] = m.reasoning
    ? [{ role: 'assistant', channel: 'analysis', content: m.reasoning }]
    : [];
  const calls = m.toolCalls ?? [];
  if (calls.length === 0) return [...reasoning, { role: 'assistant', channel: 'final', content: m.content }];
  const preamble: HarmonyMessage[] = m.content
    ? [{ role: 'assistant', channel: 'commentary', content: m.content }]
    : [];
  return [
    ...reasoning,
    ...preamble,
    ...calls.map((call): HarmonyMessage => ({
      role: 'assistant',
      channel: 'commentary',
      recipient: `${FUNCTIONS_NAMESPACE}.${call.name}`,
      contentType: JSON_ARGUMENTS,
      content: call.arguments,
    })),
  ];
}

/**
 * The chain of thought before the last final answer is dropped; after it (the turn still calling
 * tools) it is kept, so the model continues its reasoning with the tools' results. This is the
 * harmony guide's rule ("drop any previous CoT content on subsequent sampling if the responses by the
 * assistant ended in a message to the final channel", kept across tool calls), as OpenAI's chat
 * template for gpt-oss and vLLM apply it to whole histories. The reference's own auto_drop_analysis
 * only drops what precedes the first final answer, and only when the conversation ends with one, so
 * it keeps an earlier turn's reasoning in a longer history (docs/harmony.md).
 */
export function dropSettledReasoning(messages: readonly HarmonyMessage[]): HarmonyMessage[] {
  const lastFinal = messages.findLastIndex((m) => m.role === 'assistant' && m.channel === 'final');
  return messages.filter((m, i) => !(i < lastFinal && m.channel === 'analysis'));
}

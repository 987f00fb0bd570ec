import type { ChatPrompt } from '../../contract/api/chat.js';
import type { ReasoningEffort } from '../../contract/models.js';
import type { HarmonyMessage } from './format.js';
import { developerContent, systemContent } from './system.js';

export interface ConversationSettings {
  /** The effort when the request names none. */
  reasoningEffort: ReasoningEffort;
  /** YYYY-MM-DD for the system message's `Current date:` line, or null for none. */
  currentDate: string | null;
}

/**
 * A Chat Completions conversation as harmony messages: the system message (identity, dates,
 * reasoning effort, channels); the chat's `system` and `developer` messages, in order, as the one
 * developer message's instructions; user turns; assistant turns as final answers.
 */
export function chatConversation(prompt: ChatPrompt, settings: ConversationSettings): HarmonyMessage[] {
  const { messages } = prompt;
  const conversation: HarmonyMessage[] = [
    {
      role: 'system',
      content: systemContent({
        reasoningEffort: prompt.reasoningEffort ?? settings.reasoningEffort,
        ...(settings.currentDate ? { currentDate: settings.currentDate } : {}),
      }),
    },
  ];
  const instructions = messages.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => m.content);
  if (instructions.length > 0)
    conversation.push({ role: 'developer', content: developerContent(instructions.join('\n\n')) });
  for (const m of messages) {
    if (m.role === 'user') conversation.push({ role: 'user', content: m.content });
    else if (m.role === 'assistant') conversation.push({ role: 'assistant', channel: 'final', content: m.content });
  }
  return conversation;
}

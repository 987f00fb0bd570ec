import type { ChatMessage } from '../../contract/api/requests.js';
import type { ReasoningEffort } from '../../contract/models.js';
import type { HarmonyMessage } from './format.js';
import { developerContent, isoDate, systemContent } from './system.js';

export interface ConversationSettings {
  reasoningEffort: ReasoningEffort;
  /** Today, for the system message's `Current date:` line. */
  today: Date;
}

/**
 * A Chat Completions conversation as harmony messages: the system message (identity, dates,
 * reasoning effort, channels); the chat's `system` and `developer` messages, in order, as the one
 * developer message's instructions; user turns; assistant turns as final answers.
 */
export function chatConversation(messages: readonly ChatMessage[], settings: ConversationSettings): HarmonyMessage[] {
  const conversation: HarmonyMessage[] = [
    {
      role: 'system',
      content: systemContent({ reasoningEffort: settings.reasoningEffort, currentDate: isoDate(settings.today) }),
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

import type { FunctionTool, ResponseFormat } from '../../contract/api/chat.js';
import type { ReasoningEffort } from '../../contract/models.js';
import { responseFormatSection } from './responseFormat.js';
import { FUNCTIONS_NAMESPACE, functionToolsSection } from './tools.js';

/**
 * The system and developer messages' content, as the reference renders SystemContent and
 * DeveloperContent (sections joined by a blank line).
 */

export const MODEL_IDENTITY = 'You are ChatGPT, a large language model trained by OpenAI.';
export const KNOWLEDGE_CUTOFF = '2024-06';
export const VALID_CHANNELS = ['analysis', 'commentary', 'final'] as const;

export interface SystemContent {
  reasoningEffort: ReasoningEffort;
  /** YYYY-MM-DD; the reference writes the line only when a date is given. */
  currentDate?: string;
  /** Adds the line that sends calls of function tools to the commentary channel. */
  hasFunctionTools?: boolean;
}

export function systemContent(s: SystemContent): string {
  const top = [
    MODEL_IDENTITY,
    `Knowledge cutoff: ${KNOWLEDGE_CUTOFF}`,
    ...(s.currentDate ? [`Current date: ${s.currentDate}`] : []),
  ];
  const channels =
    `# Valid channels: ${VALID_CHANNELS.join(', ')}. Channel must be included for every message.` +
    (s.hasFunctionTools ? `\nCalls to these tools must go to the commentary channel: '${FUNCTIONS_NAMESPACE}'.` : '');
  return [top.join('\n'), `Reasoning: ${s.reasoningEffort}`, channels].join('\n\n');
}

export interface DeveloperContent {
  /** The chat's system and developer messages; none: no `# Instructions` section. */
  instructions?: string;
  tools: readonly FunctionTool[];
  responseFormat: ResponseFormat;
}

/**
 * The developer message as the reference renders DeveloperContent (`# Instructions` and the
 * instructions, then `# Tools`), with structured output's `# Response Formats` at its end as the
 * format guide places it; null when there is nothing to say.
 */
export function developerContent(d: DeveloperContent): string | null {
  const sections = [
    ...(d.instructions === undefined ? [] : ['# Instructions', d.instructions]),
    functionToolsSection(d.tools),
    responseFormatSection(d.responseFormat),
  ].filter((section) => section !== null);
  return sections.length > 0 ? sections.join('\n\n') : null;
}

/** A date as the system message writes it (UTC). */
export const isoDate = (date: Date) => date.toISOString().slice(0, 10);

/** `--current-date` for one request: `today` is the clock's day (UTC), `none` no line. */
export const currentDateOf = (option: string, now: Date): string | null =>
  option === 'none' ? null : option === 'today' ? isoDate(now) : option;

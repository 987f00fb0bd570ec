import type { ResponseFormat } from '../../contract/api/chat.js';
import { commentLines } from './tools.js';

/**
 * Structured output in the developer message, as the harmony format guide ("Structured output" in
 * docs/format.md of github.com/openai/harmony) lays it out at the end of that message:
 *
 *     # Response Formats
 *
 *     ## {name}
 *
 *     // {description}
 *     {schema}
 *
 * The reference library has no response formats (DeveloperContent holds instructions and tools
 * only), so this follows the guide: the schema as compact JSON, the description (when there is one)
 * as `//` comments, a line each, as the reference writes a function's description. `json_object`
 * names no schema and adds nothing: OpenAI asks the caller to ask for JSON in the messages, and
 * the grammar holds the answer to JSON either way.
 */
export function responseFormatSection(format: ResponseFormat): string | null {
  if (format.type !== 'json_schema') return null;
  const described = [...commentLines(format.description ?? ''), JSON.stringify(format.schema)].join('\n');
  return ['# Response Formats', `## ${format.name}`, described].join('\n\n');
}

import type { FunctionTool } from '../../contract/api/chat.js';
import { schemaType } from './schemaType.js';

/**
 * The developer message's `# Tools` section for function tools, as the harmony reference's
 * template_tools_section writes the `functions` namespace: each function's description as `//`
 * comments, then `type name = (_: {parameters}) => any;` (or `() => any` without parameters), a
 * blank line after each.
 */

export const FUNCTIONS_NAMESPACE = 'functions';

/** The lines of a text as Rust's str::lines gives them: no last empty line, a `\r` before `\n` dropped. */
export function textLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}

/** `// line` for each line of a text. */
export const commentLines = (text: string) => textLines(text).map((line) => `// ${line}`);

function functionLines(tool: FunctionTool): string[] {
  const signature = tool.parameters === undefined ? '()' : `(_: ${schemaType(tool.parameters, '')})`;
  return [...commentLines(tool.description ?? ''), `type ${tool.name} = ${signature} => any;\n`];
}

/** `# Tools`, `## functions` and the namespace; none for no tools. */
export function functionToolsSection(tools: readonly FunctionTool[]): string | null {
  if (tools.length === 0) return null;
  const namespace = [
    `## ${FUNCTIONS_NAMESPACE}\n`,
    `namespace ${FUNCTIONS_NAMESPACE} {\n`,
    ...tools.flatMap(functionLines),
    `} // namespace ${FUNCTIONS_NAMESPACE}`,
  ];
  return ['# Tools', namespace.join('\n')].join('\n\n');
}

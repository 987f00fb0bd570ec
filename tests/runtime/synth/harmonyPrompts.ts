import type { ReasoningEffort } from '../../../contract/models.js';

/**
 * Harmony prompts written out by hand, each as OpenAI's reference renderer (openai-harmony 0.0.8,
 * render_conversation_for_completion) renders the same conversation: checked against it when
 * written. Independent of our own renderer, so these tests pin the scripted model alone.
 */

export interface PromptFunction {
  name: string;
  description: string;
  /** The TypeScript-like parameters, `(_: {...})` or `()`. */
  parameters: string;
}

export const GET_WEATHER: PromptFunction = {
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: '(_: {\ncity?: string,\n})',
};
export const GET_TIME: PromptFunction = { name: 'get_time', description: 'The time now', parameters: '()' };

const system = (effort: ReasoningEffort, tools: boolean) =>
  '<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\n' +
  `Knowledge cutoff: 2024-06\n\nReasoning: ${effort}\n\n` +
  '# Valid channels: analysis, commentary, final. Channel must be included for every message.' +
  (tools ? "\nCalls to these tools must go to the commentary channel: 'functions'." : '') +
  '<|end|>';

const developer = (functions: readonly PromptFunction[]) =>
  '<|start|>developer<|message|># Tools\n\n## functions\n\nnamespace functions {\n\n' +
  functions.map((f) => `// ${f.description}\ntype ${f.name} = ${f.parameters} => any;\n\n`).join('') +
  '} // namespace functions<|end|>';

export const USER_TEXT = 'What is the weather?';
const user = `<|start|>user<|message|>${USER_TEXT}<|end|>`;

/** The conversation so far, then `<|start|>assistant` for the model to complete. */
export function askPrompt(effort: ReasoningEffort, functions: readonly PromptFunction[] = []): string {
  const tools = functions.length > 0;
  return `${system(effort, tools)}${tools ? developer(functions) : ''}${user}<|start|>assistant`;
}

/**
 * After the model's call to the first function (its reasoning kept: the turn is still calling) and
 * the function's result, as the reference writes them: the recipient before the channel, the call
 * ending in `<|call|>`, the result from `functions.NAME` to the assistant.
 */
export function resultPrompt(
  effort: ReasoningEffort,
  functions: readonly PromptFunction[],
  reasoning: string,
  result: string,
): string {
  const name = functions[0]!.name;
  return (
    askPrompt(effort, functions) +
    `<|channel|>analysis<|message|>${reasoning}<|end|>` +
    `<|start|>assistant to=functions.${name}<|channel|>commentary <|constrain|>json<|message|>{}<|call|>` +
    `<|start|>functions.${name} to=assistant<|channel|>commentary<|message|>${result}<|end|>` +
    '<|start|>assistant'
  );
}

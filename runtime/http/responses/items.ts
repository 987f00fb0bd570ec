/** The Responses API's output items, as OpenAI's openai SDK types them (responses.d.ts). */

export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

export interface ReasoningText {
  type: 'reasoning_text';
  text: string;
}

export interface OutputText {
  type: 'output_text';
  text: string;
  annotations: [];
  logprobs: [];
}

/** The analysis channel: gpt-oss's chain of thought, whole (no summaries: the model writes none). */
export interface ReasoningItem {
  type: 'reasoning';
  id: string;
  summary: [];
  content: ReasoningText[];
  status: ItemStatus;
}

/** The final answer, or a preamble (commentary without a recipient) before function calls. */
export interface MessageItem {
  type: 'message';
  id: string;
  role: 'assistant';
  status: ItemStatus;
  content: OutputText[];
}

export interface FunctionCallItem {
  type: 'function_call';
  id: string;
  /** What the function_call_output answering it names. */
  call_id: string;
  name: string;
  arguments: string;
  status: ItemStatus;
}

export type OutputItem = ReasoningItem | MessageItem | FunctionCallItem;

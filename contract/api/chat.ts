import type { ReasoningEffort } from '../models.js';

/**
 * A chat as the engine takes it, whichever API it came through (Chat Completions over HTTP, the
 * Responses API, gRPC Chat): the parsers in this folder turn each wire shape into these, and the
 * runtime renders them as harmony. Plain data, no behaviour.
 */

export type JsonSchema = Record<string, unknown>;

/** A function the model may call: `{name, description, parameters}` as OpenAI's function tools. */
export interface FunctionTool {
  name: string;
  description?: string;
  /** A JSON Schema of the arguments object; none: the function takes no arguments. */
  parameters?: JsonSchema;
  /** OpenAI's `strict`: the arguments must match the schema exactly (constrained by a grammar here either way). */
  strict?: boolean;
}

/** One function call the assistant made: its arguments as JSON text, exactly as the model wrote them. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export type ChatMessage =
  | { role: 'system' | 'developer' | 'user'; content: string }
  | {
      role: 'assistant';
      /** The answer (final channel), or a preamble to tool calls (commentary channel); may be empty. */
      content: string;
      /** The chain of thought (analysis channel) the assistant wrote before this message, if the client kept it. */
      reasoning?: string;
      toolCalls?: ToolCall[];
    }
  | {
      role: 'tool';
      /** The call this answers (an id of an earlier assistant message's tool call). */
      toolCallId: string;
      /** The function that was called, from the call the id names (the parsers resolve it). */
      name: string;
      content: string;
    };

export type ChatRoleName = ChatMessage['role'];

/** OpenAI's tool_choice: whether the model may, must or must not call a function, or which one it must call. */
export type ToolChoice =
  { mode: 'auto' } | { mode: 'none' } | { mode: 'required' } | { mode: 'function'; name: string };

/** OpenAI's response_format: free text, any JSON object, or JSON valid for a schema (the final answer held to it). */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; description?: string; schema: JsonSchema; strict: boolean };

export interface Sampling {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  stop: string[];
  /** Vendor extension (llama.cpp's top_k): sample among the K likeliest tokens; 0 turns it off. 0..2^31-1. */
  topK?: number;
  /** Vendor extension (llama.cpp's min_p): drop tokens under this fraction of the likeliest's probability. 0..1. */
  minP?: number;
  /** Vendor extension (llama.cpp's repeat_penalty): divides the logits of tokens generated; 1 is off. (0, 2]. */
  repeatPenalty?: number;
  /** OpenAI's presence_penalty: subtracted once from the logit of every token already generated. -2..2. */
  presencePenalty?: number;
  /** OpenAI's frequency_penalty: subtracted from a token's logit per time it was generated. -2..2. */
  frequencyPenalty?: number;
}

/** What the model is told and offered: everything that shapes the prompt (CountTokens and render take this much). */
export interface ChatPrompt {
  model: string;
  messages: ChatMessage[];
  reasoningEffort?: ReasoningEffort;
  tools: FunctionTool[];
  /** Structured output: the developer message describes the format, and the final answer is constrained to it. */
  responseFormat: ResponseFormat;
}

export interface ChatJob extends ChatPrompt, Sampling {
  toolChoice: ToolChoice;
  /** Whether one turn may hold several function calls (OpenAI's parallel_tool_calls, default true). */
  parallelToolCalls: boolean;
  /** Where the request held its schemas, for the errors that name them; none: Chat Completions' fields. */
  schemaFields?: SchemaFields;
}

/** The request fields that hold a chat's JSON Schemas, as its API spells them. */
export interface SchemaFields {
  toolParameters(index: number): string;
  responseSchema: string;
}

export const CHAT_SCHEMA_FIELDS: SchemaFields = {
  toolParameters: (index) => `tools[${index}].function.parameters`,
  responseSchema: 'response_format.json_schema.schema',
};

export const RESPONSES_SCHEMA_FIELDS: SchemaFields = {
  toolParameters: (index) => `tools[${index}].parameters`,
  responseSchema: 'text.format.schema',
};

export interface GenerateJob extends Sampling {
  model: string;
  prompt: string;
}

/** Defaults of what a chat request may leave out. */
export const CHAT_DEFAULTS: Pick<ChatJob, 'tools' | 'toolChoice' | 'parallelToolCalls' | 'responseFormat'> = {
  tools: [],
  toolChoice: { mode: 'auto' },
  parallelToolCalls: true,
  responseFormat: { type: 'text' },
};

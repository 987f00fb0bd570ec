import * as z from 'zod';
import {
  CHAT_DEFAULTS,
  RESPONSES_SCHEMA_FIELDS,
  type ChatJob,
  type ChatMessage,
  type JsonSchema,
  type ResponseFormat,
} from './chat.js';
import type { ReasoningEffort } from '../models.js';
import { invalidAt, parseWith } from './issues.js';
import { checkListLength, IDENTITY_FIELDS, reasoningEffort } from './requests.js';
import { chatInput } from './responseInput.js';
import { inputItems } from './responseItems.js';
import { responsesTextFormat } from './responseFormat.js';
import { OPENAI_SAMPLING_FIELDS, tokenCount } from './sampling.js';
import { checkTextSize, jsonTexts, messageTexts } from './textSize.js';
import { toolChoiceOf } from './toolChoice.js';
import { resolveToolResults } from './toolResults.js';
import { responsesTools, toolList } from './tools.js';
import { includeList } from './responseInclude.js';
import {
  REASONING_UNSUPPORTED_FIELDS,
  RESPONSES_UNSUPPORTED_FIELDS,
  TEXT_UNSUPPORTED_FIELDS,
  unsupportedField,
} from './unsupported.js';
import { metadataSchema, nonEmptyString, optionalBoolean, optionalString } from './wire.js';

export { resolveToolResults } from './toolResults.js';

/**
 * POST /v1/responses, OpenAI's Responses API, parsed into the ChatJob every API shares plus what the
 * HTTP layer needs: streaming, storage, the previous response to continue, and the request's settings
 * as the response object repeats them.
 */

const responsesSchema = z.strictObject({
  model: optionalString,
  input: z.union([z.string(), z.array(z.unknown())], {
    error: (issue) =>
      issue.input === undefined ? 'is required: a string or a list of items' : 'must be a string or a list of items',
  }),
  instructions: optionalString,
  reasoning: z
    .strictObject({ effort: reasoningEffort, ...REASONING_UNSUPPORTED_FIELDS }, { error: 'must be an object' })
    .nullish(),
  tools: toolList,
  tool_choice: z.unknown().optional(),
  parallel_tool_calls: optionalBoolean,
  text: z
    .strictObject({ format: z.unknown().optional(), ...TEXT_UNSUPPORTED_FIELDS }, { error: 'must be an object' })
    .nullish(),
  max_output_tokens: tokenCount.nullish(),
  temperature: OPENAI_SAMPLING_FIELDS.temperature,
  top_p: OPENAI_SAMPLING_FIELDS.top_p,
  previous_response_id: nonEmptyString.nullish(),
  store: optionalBoolean,
  stream: optionalBoolean,
  stream_options: z
    .strictObject(
      { include_obfuscation: unsupportedField({ why: 'stream obfuscation is not supported by this runtime' }) },
      { error: 'must be an object' },
    )
    .nullish(),
  include: includeList,
  /** Kept with a stored response and repeated in it; never logged. */
  metadata: metadataSchema.nullish(),
  ...IDENTITY_FIELDS,
  ...RESPONSES_UNSUPPORTED_FIELDS,
});

type Wire = z.output<typeof responsesSchema>;

/** A function tool as a response object lists it. */
interface FunctionToolEcho {
  type: 'function';
  name: string;
  description: string | null;
  parameters: JsonSchema | null;
  strict: boolean | null;
}

type FormatEcho =
  | { type: 'text' | 'json_object' }
  | { type: 'json_schema'; name: string; description?: string; schema: JsonSchema; strict: boolean };

/**
 * The request's settings as OpenAI's response object repeats them, defaults filled in. `model` is
 * left to the HTTP layer, which answers with the name it serves.
 */
export type ResponseEcho = {
  instructions: string | null;
  tools: FunctionToolEcho[];
  tool_choice: 'auto' | 'none' | 'required' | { type: 'function'; name: string };
  parallel_tool_calls: boolean;
  text: { format: FormatEcho };
  reasoning: { effort: ReasoningEffort | null; summary: null };
  max_output_tokens: number | null;
  temperature: number | null;
  top_p: number | null;
  metadata: Record<string, string>;
  previous_response_id: string | null;
  store: boolean;
  truncation: 'disabled';
  top_logprobs: 0;
  background: false;
  service_tier: 'default';
  safety_identifier: string | null;
  user?: string;
};

export interface ResponsesRequest {
  /**
   * The job, its messages the input only: the caller puts the instructions first, then the stored
   * history of previousResponseId (OpenAI carries no instructions over), then these.
   */
  job: ChatJob;
  stream: boolean;
  /** Whether to keep the response for a later previous_response_id (OpenAI's default: true). */
  store: boolean;
  previousResponseId?: string;
  instructions?: string;
  metadata: Record<string, string>;
  echo: ResponseEcho;
  /**
   * Where job message i's call id is on the wire (`input[5].call_id`): tool results are resolved here
   * when there is no previous response; with one, the caller resolves the merged history with
   * resolveToolResults, naming fields with this.
   */
  callIdField: (index: number) => string;
}

/** What a call_id must name when it is not found. */
export const CALLS_BEFORE = 'function_call before it (in the input or the previous response)';

function formatEcho(format: ResponseFormat): FormatEcho {
  if (format.type !== 'json_schema') return { type: format.type };
  const { type, name, description, schema, strict } = format;
  return { type, name, ...(description !== undefined && { description }), schema, strict };
}

function echoOf(wire: Wire, job: ChatJob, store: boolean): ResponseEcho {
  const choice = job.toolChoice;
  return {
    instructions: wire.instructions ?? null,
    tools: job.tools.map((tool) => ({
      type: 'function',
      name: tool.name,
      description: tool.description ?? null,
      parameters: tool.parameters ?? null,
      strict: tool.strict ?? null,
    })),
    tool_choice: choice.mode === 'function' ? { type: 'function', name: choice.name } : choice.mode,
    parallel_tool_calls: job.parallelToolCalls,
    text: { format: formatEcho(job.responseFormat) },
    reasoning: { effort: job.reasoningEffort ?? null, summary: null },
    max_output_tokens: wire.max_output_tokens ?? null,
    temperature: wire.temperature ?? null,
    top_p: wire.top_p ?? null,
    metadata: wire.metadata ?? {},
    previous_response_id: wire.previous_response_id ?? null,
    store,
    truncation: 'disabled',
    top_logprobs: 0,
    background: false,
    service_tier: 'default',
    safety_identifier: wire.safety_identifier ?? null,
    ...(typeof wire.user === 'string' && { user: wire.user }),
  };
}

function jobOf(wire: Wire, messages: ChatMessage[]): ChatJob {
  const tools = responsesTools(wire.tools);
  const responseFormat = responsesTextFormat(wire.text?.format);
  checkTextSize([
    ['instructions', [wire.instructions ?? '']],
    ['input', messageTexts(messages)],
    ['tools', jsonTexts(wire.tools ?? undefined)],
    ['text.format', jsonTexts(responseFormat.type === 'json_schema' ? responseFormat : undefined)],
  ]);
  return {
    ...CHAT_DEFAULTS,
    model: wire.model ?? '',
    messages,
    reasoningEffort: (wire.reasoning?.effort ?? undefined) as ReasoningEffort | undefined,
    tools,
    toolChoice: toolChoiceOf(wire.tool_choice, tools, 'responses'),
    parallelToolCalls: wire.parallel_tool_calls ?? CHAT_DEFAULTS.parallelToolCalls,
    responseFormat,
    schemaFields: RESPONSES_SCHEMA_FIELDS,
    maxTokens: wire.max_output_tokens ?? undefined,
    temperature: wire.temperature ?? undefined,
    topP: wire.top_p ?? undefined,
    stop: [],
  };
}

export function parseResponsesRequest(body: unknown): ResponsesRequest {
  checkListLength(body, 'input', 'input items');
  const wire = parseWith(responsesSchema, body);
  const { messages, callIdFields } = chatInput(inputItems(wire.input));
  const callIdField = (index: number) => callIdFields.get(index) ?? 'input';
  const previousResponseId = wire.previous_response_id ?? undefined;
  const resolved = previousResponseId ? messages : resolveToolResults(messages, callIdField, CALLS_BEFORE);
  const job = jobOf(wire, resolved);
  const stream = wire.stream === true;
  if (wire.stream_options && !stream) throw invalidAt(['stream_options'], 'only allowed when stream is true');
  const store = wire.store ?? true;
  return {
    job,
    stream,
    store,
    ...(previousResponseId && { previousResponseId }),
    ...(typeof wire.instructions === 'string' && { instructions: wire.instructions }),
    metadata: wire.metadata ?? {},
    echo: echoOf(wire, job, store),
    callIdField,
  };
}

import type { ApiError } from '../../../contract/api/errors.js';
import type { Outcome } from '../../engine/types.js';
import type { OutputItem } from './items.js';

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed' | 'cancelled';
/** The status of a generation that returned (one that threw is failed). */
export type FinishedStatus = Exclude<ResponseStatus, 'in_progress' | 'failed'>;

/** What every state of one response shares: its id, its time, and the request's fields echoed back. */
export interface ResponseBase {
  id: string;
  created_at: number;
  model: string;
  /** The request's settings as OpenAI echoes them (instructions, tools, tool_choice, temperature, ...). */
  echo: Record<string, unknown>;
}

/** The usage of the Responses API; cached_tokens: the prompt tokens the slot already held (not evaluated again). */
export function responseUsage(outcome: Outcome) {
  const { promptTokens, completionTokens, reasoningTokens, cachedTokens = 0 } = outcome.usage;
  return {
    input_tokens: promptTokens,
    input_tokens_details: { cached_tokens: cachedTokens },
    output_tokens: completionTokens,
    output_tokens_details: { reasoning_tokens: reasoningTokens },
    total_tokens: promptTokens + completionTokens,
  };
}

/** How the turn ended, as a response's status: the length limit leaves it incomplete. */
export function statusOf(outcome: Outcome): FinishedStatus {
  switch (outcome.finishReason) {
    case 'stop':
    case 'tool_calls':
      return 'completed';
    case 'length':
      return 'incomplete';
    case 'cancelled':
      return 'cancelled';
  }
}

/** OpenAI's ResponseError codes: a full queue is rate limiting, anything else the server's failure. */
const failureCode = (error: ApiError) => (error.code === 'queue_full' ? 'rate_limit_exceeded' : 'server_error');

export interface ResponseState {
  status: ResponseStatus;
  output: OutputItem[];
  outcome?: Outcome;
  error?: ApiError;
}

/** The response object (OpenAI's Response) in one state: in progress, finished, or failed. */
export function responseObject(base: ResponseBase, { status, output, outcome, error }: ResponseState) {
  return {
    id: base.id,
    object: 'response',
    created_at: base.created_at,
    status,
    ...(status === 'completed' && { completed_at: Math.floor(Date.now() / 1000) }),
    error: error ? { code: failureCode(error), message: error.message } : null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    model: base.model,
    output,
    usage: outcome ? responseUsage(outcome) : null,
    ...base.echo,
  };
}

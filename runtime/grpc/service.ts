import type { ServerUnaryCall, ServerWritableStream, UntypedServiceImplementation, sendUnaryData } from '@grpc/grpc-js';
import type { EngineRef } from '../engine/engineRef.js';
import { ApiError, toApiError } from '../../contract/api/errors.js';
import { parseChatRequest, parseGenerateRequest } from '../../contract/api/requests.js';
import type { ReasoningEffort } from '../../contract/models.js';
import type { Delta, FinishReason, Outcome } from '../engine/types.js';
import type { Logger } from '../../contract/log.js';
import type { RuntimeMetrics } from '../metrics.js';
import { toServiceError } from '../../contract/grpc/errors.js';

type Wire = Record<string, unknown>;

const EFFORT_FROM_WIRE: Record<string, ReasoningEffort | undefined> = {
  REASONING_EFFORT_UNSPECIFIED: undefined,
  REASONING_EFFORT_LOW: 'low',
  REASONING_EFFORT_MEDIUM: 'medium',
  REASONING_EFFORT_HIGH: 'high',
};
const effortToWire = (effort: ReasoningEffort) => `REASONING_EFFORT_${effort.toUpperCase()}`;

/** The proto's request in the shared schema's shape; an enum number we do not know stays visible. */
function fromWire(request: Wire): Wire {
  const effort = request.reasoning_effort;
  if (effort === undefined) return request;
  // an enum number the proto does not define arrives as a number: shown as it came
  const name = typeof effort === 'string' ? effort : JSON.stringify(effort);
  return { ...request, reasoning_effort: name in EFFORT_FROM_WIRE ? EFFORT_FROM_WIRE[name] : name };
}

const CHANNEL_TO_WIRE = {
  analysis: 'CHANNEL_ANALYSIS',
  commentary: 'CHANNEL_COMMENTARY',
  final: 'CHANNEL_FINAL',
} as const;
const FINISH_TO_WIRE: Record<FinishReason, string> = {
  stop: 'FINISH_REASON_STOP',
  length: 'FINISH_REASON_LENGTH',
  cancelled: 'FINISH_REASON_CANCELLED',
  tool_call: 'FINISH_REASON_TOOL_CALL',
};

function lastMessage(outcome: Outcome) {
  const { usage } = outcome;
  return {
    text: '',
    channel: 'CHANNEL_UNSPECIFIED',
    finish_reason: FINISH_TO_WIRE[outcome.finishReason],
    usage: {
      prompt_tokens: usage.promptTokens,
      completion_tokens: usage.completionTokens,
      time_to_first_token_seconds: usage.timeToFirstTokenSeconds,
      tokens_per_second: usage.tokensPerSecond,
    },
  };
}

export function runtimeImplementation(
  engines: EngineRef,
  metrics: RuntimeMetrics,
  log: Logger,
): UntypedServiceImplementation {
  const fail = (error: unknown, method: string) => {
    const apiError = toApiError(error);
    metrics.rejected(apiError.code);
    if (apiError.code === 'internal') log.error({ err: error, method }, 'Failed request');
    return toServiceError(apiError);
  };

  /**
   * Streams one generation. grpc-js only catches synchronous throws, so every rejection is mapped
   * here; a cancel or an expired deadline aborts the generation within one token.
   */
  const stream =
    (
      method: string,
      run: (
        call: ServerWritableStream<Wire, Wire>,
        signal: AbortSignal,
        onDelta: (d: Delta) => void,
      ) => Promise<Outcome>,
    ) =>
    (call: ServerWritableStream<Wire, Wire>) => {
      const controller = new AbortController();
      call.on('cancelled', () => controller.abort());
      const onDelta = (delta: Delta) => {
        if (!call.cancelled) call.write({ text: delta.text, channel: CHANNEL_TO_WIRE[delta.channel] });
      };
      run(call, controller.signal, onDelta).then(
        (outcome) => {
          if (call.cancelled) return;
          call.write(lastMessage(outcome));
          call.end();
        },
        (error: unknown) => {
          if (call.cancelled) return;
          // grpc-js turns an 'error' event on a server stream into the call's status and ends it
          call.emit('error', fail(error, method));
        },
      );
    };

  const unary =
    <T>(method: string, run: (request: Wire) => Promise<T> | T) =>
    (call: ServerUnaryCall<Wire, T>, callback: sendUnaryData<T>) => {
      Promise.resolve()
        .then(() => run(call.request))
        .then(
          (response) => callback(null, response),
          (error: unknown) => callback(fail(error, method)),
        );
    };

  return {
    Chat: stream('Chat', (call, signal, onDelta) =>
      Promise.resolve().then(() => engines.get().chat(parseChatRequest(fromWire(call.request)), onDelta, signal)),
    ),
    Generate: stream('Generate', (call, signal, onDelta) =>
      Promise.resolve().then(() => engines.get().generate(parseGenerateRequest(call.request), onDelta, signal)),
    ),
    CountTokens: unary('CountTokens', (request) => {
      const engine = engines.get();
      const messages = request.messages as unknown[] | undefined;
      if (messages?.length) {
        const job = parseChatRequest(
          fromWire({ model: request.model, messages, reasoning_effort: request.reasoning_effort }),
        );
        return { tokens: engine.countChatTokens(job) };
      }
      if (typeof request.prompt !== 'string' || request.prompt === '') {
        throw new ApiError('invalid_argument', 'prompt: give a prompt or messages to count', 'prompt');
      }
      return { tokens: engine.countTextTokens(typeof request.model === 'string' ? request.model : '', request.prompt) };
    }),
    GetModelInfo: unary('GetModelInfo', async () => {
      const engine = engines.get();
      const info = engine.info();
      const memory = await engine.deviceMemory();
      return {
        served_name: info.servedName,
        variant: info.variant,
        architecture: info.architecture,
        file_size_bytes: info.fileSizeBytes,
        files: info.files,
        harmony: info.harmony,
        context_size: info.contextSize,
        train_context_size: info.trainContextSize,
        parallel_slots: info.parallelSlots,
        max_queue: info.maxQueue,
        default_reasoning_effort: effortToWire(info.defaultReasoningEffort),
        gpu: info.gpu,
        threads: info.threads,
        device_memory_total_bytes: memory.total,
        device_memory_used_bytes: memory.used,
      };
    }),
  };
}

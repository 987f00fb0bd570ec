import type { ServerUnaryCall, ServerWritableStream, UntypedServiceImplementation, sendUnaryData } from '@grpc/grpc-js';
import type { EngineRef } from '../engine/engineRef.js';
import { toApiError } from '../../contract/api/errors.js';
import { parseChatRequest, parseCountTokensRequest, parseGenerateRequest } from '../../contract/api/requests.js';
import { MalformedRequest } from '../../contract/grpc/strict.js';
import type { ReasoningEffort } from '../../contract/models.js';
import type { Delta, FinishReason, Outcome } from '../engine/types.js';
import type { Logger } from '../../contract/log.js';
import { reportRejection, type RuntimeMetrics } from '../metrics.js';
import { toServiceError } from '../../contract/grpc/errors.js';

type Wire = Record<string, unknown>;

const EFFORT_FROM_WIRE: Record<string, ReasoningEffort | undefined> = {
  REASONING_EFFORT_UNSPECIFIED: undefined,
  REASONING_EFFORT_LOW: 'low',
  REASONING_EFFORT_MEDIUM: 'medium',
  REASONING_EFFORT_HIGH: 'high',
};
const effortToWire = (effort: ReasoningEffort) => `REASONING_EFFORT_${effort.toUpperCase()}`;

/**
 * The proto's request in the shared schema's shape: a request the strict deserializer refused throws
 * its error; an enum number the proto does not define stays visible.
 */
function fromWire(request: unknown): Wire {
  if (request instanceof MalformedRequest) throw request.error;
  const wire = request as Wire;
  const effort = wire.reasoning_effort;
  if (effort === undefined) return wire;
  // an enum number the proto does not define arrives as a number: shown as it came
  const name = typeof effort === 'string' ? effort : JSON.stringify(effort);
  return { ...wire, reasoning_effort: name in EFFORT_FROM_WIRE ? EFFORT_FROM_WIRE[name] : name };
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
  tool_calls: 'FINISH_REASON_TOOL_CALL',
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
  /** Counted and logged whether or not the client is still there to hear it. */
  const fail = (error: unknown, method: string, cancelledByClient = false) => {
    const apiError = toApiError(error, cancelledByClient);
    reportRejection(metrics, log, apiError, error, { api: 'grpc', method });
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
      if (call.cancelled) controller.abort();
      const onDelta = (delta: Delta) => {
        if (!call.cancelled && delta.type === 'text')
          call.write({ text: delta.text, channel: CHANNEL_TO_WIRE[delta.channel] });
      };
      run(call, controller.signal, onDelta).then(
        (outcome) => {
          if (call.cancelled) return;
          call.write(lastMessage(outcome));
          call.end();
        },
        (error: unknown) => {
          // whatever the engine throws once the client has gone (node-llama-cpp's AbortError before
          // the first token), the request was cancelled, not failed
          const status = fail(error, method, controller.signal.aborted);
          // grpc-js turns an 'error' event on a server stream into the call's status and ends it
          if (!call.cancelled) call.emit('error', status);
        },
      );
    };

  const unary =
    <T>(method: string, run: (request: unknown) => Promise<T> | T) =>
    (call: ServerUnaryCall<unknown, T>, callback: sendUnaryData<T>) => {
      Promise.resolve()
        .then(() => run(call.request))
        .then(
          (response) => callback(null, response),
          (error: unknown) => callback(fail(error, method)),
        );
    };

  return {
    Chat: stream('Chat', (call, signal, onDelta) =>
      Promise.resolve().then(() => engines.get().chat(parseChatRequest(fromWire(call.request)).job, onDelta, signal)),
    ),
    Generate: stream('Generate', (call, signal, onDelta) =>
      Promise.resolve().then(() =>
        engines.get().generate(parseGenerateRequest(fromWire(call.request)).job, onDelta, signal),
      ),
    ),
    CountTokens: unary('CountTokens', async (request) => {
      const counted = parseCountTokensRequest(fromWire(request));
      const engine = engines.get();
      return {
        tokens: await (counted.kind === 'chat'
          ? engine.countChatTokens(counted.job)
          : engine.countTextTokens(counted.model, counted.prompt)),
      };
    }),
    GetModelInfo: unary('GetModelInfo', async (request) => {
      fromWire(request); // GetModelInfoRequest has no fields: any field is an unknown one
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

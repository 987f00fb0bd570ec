import type { ServerUnaryCall, ServerWritableStream, UntypedServiceImplementation, sendUnaryData } from '@grpc/grpc-js';
import type { EngineRef } from '../engine/engineRef.js';
import { toApiError } from '../../contract/api/errors.js';
import { parseChatRequest, parseCountTokensRequest, parseGenerateRequest } from '../../contract/api/requests.js';
import type { Delta, Outcome } from '../engine/types.js';
import type { Logger } from '../../contract/log.js';
import { reportRejection, type RuntimeMetrics } from '../metrics.js';
import { toServiceError } from '../../contract/grpc/errors.js';
import {
  chatRequestFromWire,
  countTokensRequestFromWire,
  emptyRequestFromWire,
  generateRequestFromWire,
} from './requestWire.js';
import { deltaMessage, effortToWire, lastMessage } from './responseWire.js';

type Wire = Record<string, unknown>;

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
        if (!call.cancelled) call.write(deltaMessage(delta));
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
      Promise.resolve().then(() =>
        engines.get().chat(parseChatRequest(chatRequestFromWire(call.request)).job, onDelta, signal),
      ),
    ),
    Generate: stream('Generate', (call, signal, onDelta) =>
      Promise.resolve().then(() =>
        engines.get().generate(parseGenerateRequest(generateRequestFromWire(call.request)).job, onDelta, signal),
      ),
    ),
    CountTokens: unary('CountTokens', async (request) => {
      const counted = parseCountTokensRequest(countTokensRequestFromWire(request));
      const engine = engines.get();
      return {
        tokens: await (counted.kind === 'chat'
          ? engine.countChatTokens(counted.job)
          : engine.countTextTokens(counted.model, counted.prompt)),
      };
    }),
    GetModelInfo: unary('GetModelInfo', async (request) => {
      emptyRequestFromWire(request);
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
        adapters: info.adapters ?? [],
      };
    }),
  };
}

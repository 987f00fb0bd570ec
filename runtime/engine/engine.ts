import { stat } from 'node:fs/promises';
import {
  HarmonyChatWrapper,
  LlamaChat,
  resolveChatWrapper,
  type ChatWrapper,
  LlamaCompletion,
  LlamaLogLevel,
  getLlama,
  type ChatHistoryItem,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
  type Token,
} from 'node-llama-cpp';
import { ApiError, invalidArgument } from '../../contract/api/errors.js';
import type { ChatJob, GenerateJob, Sampling } from '../../contract/api/requests.js';
import type { Logger } from '../../contract/log.js';
import { countingSequence } from './countingSequence.js';
import { SlotPool } from './slotPool.js';
import type { Clock } from '../../contract/clock.js';
import type {
  Channel,
  Delta,
  EngineObserver,
  EngineOptions,
  EngineStats,
  FinishReason,
  ModelInfo,
  Outcome,
} from './types.js';

const STOP_REASONS: Record<string, FinishReason> = {
  eogToken: 'stop',
  stopGenerationTrigger: 'stop',
  customStopTrigger: 'stop',
  maxTokens: 'length',
  abort: 'cancelled',
  functionCalls: 'tool_call',
};

/** gpt-oss's recommended sampling (OpenAI's defaults too). */
const DEFAULT_TEMPERATURE = 1;
const DEFAULT_TOP_P = 1;

/**
 * One loaded model with N parallel slots: each slot is a sequence of one shared context, so
 * node-llama-cpp decodes the busy slots together in one batch. A slot keeps its tokens after a
 * request, so a follow-up that shares the prefix only evaluates what is new.
 */
export class Engine {
  private readonly pool: SlotPool;
  private readonly running = new Set<AbortController>();
  private readonly modelWrapper: ChatWrapper;
  private admitting = true;

  private constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly sequences: LlamaContextSequence[],
    private readonly options: EngineOptions,
    private readonly fileSizeBytes: number,
    private readonly observer: EngineObserver,
    private readonly clock: Clock,
  ) {
    this.pool = new SlotPool(options.parallel, options.maxQueue);
    this.modelWrapper = resolveChatWrapper(model);
  }

  static async load(options: EngineOptions, observer: EngineObserver, clock: Clock, log: Logger): Promise<Engine> {
    const llama = await getLlama({
      gpu: options.gpu === 'cpu' ? false : options.gpu,
      build: 'never',
      maxThreads: options.threads,
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => {
        const text = message.trim();
        if (text) log.debug({ component: 'llama.cpp', level: String(level) }, text);
      },
    });
    const model = await llama.loadModel({ modelPath: options.modelPath });
    const trained = model.trainContextSize;
    if (options.contextSize > trained) {
      await model.dispose();
      throw new Error(`--context-size ${options.contextSize} exceeds the model's trained context of ${trained} tokens`);
    }
    const context = await model.createContext({
      contextSize: options.contextSize,
      sequences: options.parallel,
      threads: options.threads,
    });
    const sequences = Array.from({ length: options.parallel }, () => context.getSequence());
    const files = model.fileInfo.splicedParts ?? 1;
    const size = await totalFileSize(options.modelPath, files);
    return new Engine(llama, model, context, sequences, options, size, observer, clock);
  }

  /** gpt-oss speaks harmony (channels, reasoning effort); other models get their own chat format. */
  get harmony(): boolean {
    return this.modelWrapper instanceof HarmonyChatWrapper;
  }

  info(): ModelInfo {
    return {
      servedName: this.options.modelName,
      variant: this.options.variant ?? '',
      // llama.cpp's own description of what it loaded ("gpt-oss ?B MXFP4 MoE"), not the file's claim
      architecture: this.model.typeDescription.split(' ')[0]!,
      fileSizeBytes: this.fileSizeBytes,
      files: this.model.fileInfo.splicedParts ?? 1,
      harmony: this.harmony,
      contextSize: this.context.contextSize,
      trainContextSize: this.model.trainContextSize,
      parallelSlots: this.options.parallel,
      maxQueue: this.options.maxQueue,
      defaultReasoningEffort: this.options.reasoningEffort,
      gpu: this.llama.gpu === false ? 'cpu' : this.llama.gpu,
      threads: this.context.currentThreads,
    };
  }

  stats(): EngineStats {
    return {
      slotsBusy: this.pool.busy,
      slotsTotal: this.pool.size,
      requestsWaiting: this.pool.waiting,
      kvCellsUsed: this.sequences.reduce((sum, s) => sum + s.nextTokenIndex, 0),
      kvCellsTotal: this.context.contextSize * this.options.parallel,
    };
  }

  async deviceMemory(): Promise<{ used: number; total: number }> {
    const vram = await this.llama.getVramState();
    return { used: vram.used, total: vram.total };
  }

  countChatTokens(job: Pick<ChatJob, 'model' | 'messages' | 'reasoningEffort'>): number {
    this.checkModel(job.model);
    return this.renderChat(job).length;
  }

  countTextTokens(model: string, text: string): number {
    this.checkModel(model);
    return this.model.tokenize(text, false).length;
  }

  async chat(job: ChatJob, onDelta: (delta: Delta) => void, signal: AbortSignal): Promise<Outcome> {
    const arrival = this.clock.now();
    this.checkModel(job.model);
    // Rendered once here to check the prompt against the context before it queues; LlamaChat
    // renders again to evaluate (it takes a history, not tokens). The engine row of
    // docs/benchmarks.md shows the cost is within noise.
    const promptTokens = this.renderChat(job).length;
    const maxTokens = this.completionBudget(job, promptTokens, 'messages');
    return this.run(arrival, promptTokens, maxTokens, signal, async (sequence, tracker, abort) => {
      const chat = new LlamaChat({
        contextSequence: sequence,
        chatWrapper: this.wrapperFor(job),
        autoDisposeSequence: false,
      });
      try {
        const result = await chat.generateResponse([...toHistory(job), { type: 'model', response: [] }], {
          ...this.sampling(job, maxTokens),
          signal: abort,
          stopOnAbortSignal: true,
          onResponseChunk: (chunk) => {
            const channel: Channel =
              chunk.type === 'segment' ? (chunk.segmentType === 'comment' ? 'commentary' : 'analysis') : 'final';
            if (chunk.text) tracker.onText(chunk.text, channel, onDelta);
          },
        });
        return result.metadata.stopReason;
      } finally {
        chat.dispose({ disposeSequence: false });
      }
    });
  }

  async generate(job: GenerateJob, onDelta: (delta: Delta) => void, signal: AbortSignal): Promise<Outcome> {
    const arrival = this.clock.now();
    this.checkModel(job.model);
    const prompt = this.model.tokenize(job.prompt, false);
    const maxTokens = this.completionBudget(job, prompt.length, 'prompt');
    return this.run(arrival, prompt.length, maxTokens, signal, async (sequence, tracker, abort) => {
      const completion = new LlamaCompletion({ contextSequence: sequence });
      try {
        const result = await completion.generateCompletionWithMeta(prompt, {
          ...this.sampling(job, maxTokens),
          signal: abort,
          stopOnAbortSignal: true,
          onTextChunk: (text) => {
            if (text) tracker.onText(text, 'final', onDelta);
          },
        });
        return result.metadata.stopReason;
      } finally {
        completion.dispose({ disposeSequence: false });
      }
    });
  }

  /** Stops admitting requests: new ones and those still queued get UNAVAILABLE. */
  closeAdmission(): void {
    this.admitting = false;
    this.pool.rejectWaiting(new ApiError('unavailable', 'the runtime is shutting down'));
  }

  get inFlight(): number {
    return this.running.size;
  }

  /** Cancels every running generation; each ends with finish reason "cancelled". */
  cancelAll(): void {
    for (const controller of this.running) controller.abort();
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
  }

  private checkModel(model: string): void {
    if (model && model !== this.options.modelName) {
      throw new ApiError(
        'model_not_found',
        `model "${model}" is not served here; this runtime serves "${this.options.modelName}"`,
        'model',
      );
    }
  }

  private renderChat(job: Pick<ChatJob, 'messages' | 'reasoningEffort'>): Token[] {
    const wrapper = this.wrapperFor(job);
    const history: ChatHistoryItem[] = [...toHistory(job), { type: 'model', response: [] }];
    return wrapper.generateContextState({ chatHistory: history }).contextText.tokenize(this.model.tokenizer);
  }

  private wrapperFor(job: Pick<ChatJob, 'reasoningEffort'>): ChatWrapper {
    if (!this.harmony) return this.modelWrapper;
    return new HarmonyChatWrapper({
      reasoningEffort: job.reasoningEffort ?? this.options.reasoningEffort,
      todayDate: () => this.clock.date(),
    });
  }

  /** max_tokens checked against what the context has left after the prompt; the default fills it. */
  private completionBudget(job: Sampling, promptTokens: number, promptField: string): number {
    const context = this.options.contextSize;
    if (promptTokens >= context) {
      throw invalidArgument(
        promptField,
        `${promptField}: the prompt is ${promptTokens} tokens but the context holds ${context} tokens per request`,
      );
    }
    if (job.maxTokens !== undefined && promptTokens + job.maxTokens > context) {
      throw invalidArgument(
        'max_tokens',
        `max_tokens: ${job.maxTokens} plus the prompt's ${promptTokens} tokens exceed ` +
          `the context of ${context} tokens per request`,
      );
    }
    return job.maxTokens ?? context - promptTokens;
  }

  private sampling(job: Sampling, maxTokens: number) {
    return {
      maxTokens,
      temperature: job.temperature ?? DEFAULT_TEMPERATURE,
      topP: job.topP ?? DEFAULT_TOP_P,
      seed: job.seed,
      customStopTriggers: job.stop.length ? job.stop : undefined,
    };
  }

  private async run(
    arrival: number,
    promptTokens: number,
    maxTokens: number,
    signal: AbortSignal,
    generate: (sequence: LlamaContextSequence, tracker: Tracker, abort: AbortSignal) => Promise<string>,
  ): Promise<Outcome> {
    if (!this.admitting) throw new ApiError('unavailable', 'the runtime is shutting down');
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let slot;
    try {
      slot = await this.pool.acquire(controller.signal);
    } catch (error) {
      signal.removeEventListener('abort', onAbort);
      throw error;
    }
    this.running.add(controller);
    const tracker = new Tracker(this.clock, arrival, this.observer);
    this.observer.promptTokens(promptTokens);
    let sampled = 0;
    const sequence = countingSequence(this.sequences[slot.index]!, () => sampled++);
    try {
      const stopReason = await generate(sequence, tracker, controller.signal);
      // a token sampled past max_tokens is dropped by node-llama-cpp, never sent: do not bill it
      const generated = Math.min(sampled, maxTokens);
      const outcome = tracker.outcome(STOP_REASONS[stopReason] ?? 'stop', promptTokens, generated);
      this.observer.finished(outcome, this.clock.now() - arrival);
      return outcome;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.running.delete(controller);
      this.pool.release(slot);
    }
  }
}

/** Timings of one request's streamed text. */
class Tracker {
  private deltas = 0;
  private firstTokenAt: number | null = null;
  private lastDeltaAt: number | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly arrival: number,
    private readonly observer: EngineObserver,
  ) {}

  onText(text: string, channel: Channel, onDelta: (delta: Delta) => void): void {
    const now = this.clock.now();
    if (this.firstTokenAt === null) {
      this.firstTokenAt = now;
      this.observer.firstToken(now - this.arrival);
    } else {
      this.observer.interDelta(now - this.lastDeltaAt!);
    }
    this.lastDeltaAt = now;
    this.deltas++;
    onDelta({ text, channel });
  }

  outcome(finishReason: FinishReason, promptTokens: number, completionTokens: number): Outcome {
    const end = this.clock.now();
    const first = this.firstTokenAt ?? end;
    const decodeSeconds = (this.lastDeltaAt ?? end) - first;
    this.observer.generated(completionTokens);
    return {
      finishReason,
      usage: {
        promptTokens,
        completionTokens,
        timeToFirstTokenSeconds: first - this.arrival,
        // decode rate between the first and the last streamed text
        tokensPerSecond: decodeSeconds > 0 ? (this.deltas - 1) / decodeSeconds : 0,
      },
    };
  }
}

function toHistory(job: Pick<ChatJob, 'messages'>): ChatHistoryItem[] {
  return job.messages.map((m): ChatHistoryItem => {
    if (m.role === 'user') return { type: 'user', text: m.content };
    if (m.role === 'assistant') return { type: 'model', response: [m.content] };
    return { type: 'system', text: m.content };
  });
}

async function totalFileSize(firstFile: string, parts: number): Promise<number> {
  if (parts <= 1) return (await stat(firstFile)).size;
  const match = /-(\d{5})-of-(\d{5})\.gguf$/.exec(firstFile);
  if (!match) return (await stat(firstFile)).size;
  const sizes = await Promise.all(
    Array.from({ length: parts }, (_, i) =>
      stat(firstFile.replace(/-\d{5}-of-/, `-${String(i + 1).padStart(5, '0')}-of-`)).then((s) => s.size),
    ),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

import { randomInt } from 'node:crypto';
import { stat } from 'node:fs/promises';
import {
  HarmonyChatWrapper,
  resolveChatWrapper,
  type ChatWrapper,
  LlamaLogLevel,
  getLlama,
  type ChatHistoryItem,
  type Llama,
  type LlamaContextSequence,
  type LlamaModel,
  type LlamaText,
  type Token,
} from 'node-llama-cpp';
import { ApiError, invalidArgument } from '../../contract/api/errors.js';
import { MAX_SEED } from '../../contract/api/sampling.js';
import type { ChatJob, ChatPrompt, GenerateJob, Sampling } from '../../contract/api/chat.js';
import type { Logger } from '../../contract/log.js';
import { chatConversation, type ConversationSettings } from '../harmony/conversation.js';
import { currentDateOf } from '../harmony/system.js';
import { piecesText, renderForCompletion, type HarmonyToken } from '../harmony/format.js';
import { HarmonyParser } from '../harmony/parser.js';
import { GrammarCache, utf8GuardOf } from './grammar/grammars.js';
import type { Utf8Guard } from './grammar/utf8Guard.js';
import { HarmonyTurn } from './harmonyTurn.js';
import { compileJob, jobGrammars, type GrammarFor } from './jobGrammars.js';
import { PlainTurn } from './plainTurn.js';
import { PromptEncoder, type Encoded } from './promptEncoder.js';
import { sample, type SamplerSettings } from './sampler.js';
import { ArrivalOrder, type Place } from './arrivalOrder.js';
import { Lanes, type Lane } from './lanes.js';
import { rulesFor, TurnGuide, type FormattingIds } from './turnGuide.js';
import type { Clock } from '../../contract/clock.js';
import type { Delta, EngineObserver, EngineOptions, EngineStats, FinishReason, ModelInfo, Outcome } from './types.js';

/** A prompt ready to evaluate, and what else ends its answer besides end-of-generation tokens. */
interface Prompt extends Encoded {
  /** Text that ends the answer (the chat format's turn markers, for models without harmony). */
  stopStrings: string[];
}

/** What a generation did: how it finished and how many tokens it sampled (control tokens included). */
interface Generated {
  finishReason: FinishReason;
  sampled: number;
  reasoningTokens: number;
  /** Prompt tokens the slot already held. */
  cachedTokens: number;
}

/** gpt-oss's recommended sampling (OpenAI's defaults too). */
const DEFAULT_TEMPERATURE = 1;
const DEFAULT_TOP_P = 1;
/** The generated tokens repetition penalties look back over (OpenAI's: the whole answer; llama.cpp's default: 64). */
const PENALTY_LAST_TOKENS = 1024;

/**
 * One loaded model with N parallel slots: each slot is a sequence of one shared context, so
 * node-llama-cpp decodes the busy slots together in one batch. A slot keeps its tokens after a
 * request, so a follow-up that shares the prefix only evaluates what is new. Each LoRA adapter
 * served beside the model has a context and N slots of its own (lanes.ts); the weights are shared.
 */
export class Engine {
  private readonly running = new Set<AbortController>();
  private readonly arrivals = new ArrivalOrder();
  private readonly modelWrapper: ChatWrapper;
  private readonly encoder: PromptEncoder;
  private readonly grammars: GrammarCache;
  /** Tokens that would leave JSON text ill-formed UTF-8, by the token before (see grammar/utf8Guard.ts). */
  private readonly utf8Guard: Utf8Guard;
  private admitting = true;

  private constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly lanes: Lanes,
    private readonly options: EngineOptions,
    private readonly fileSizeBytes: number,
    private readonly observer: EngineObserver,
    private readonly clock: Clock,
  ) {
    this.modelWrapper = resolveChatWrapper(model);
    this.encoder = PromptEncoder.for(model);
    this.grammars = new GrammarCache(llama);
    this.utf8Guard = utf8GuardOf(model);
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
    let lanes: Lanes;
    try {
      lanes = await Lanes.create(model, options);
    } catch (error) {
      await model.dispose();
      throw error;
    }
    const files = model.fileInfo.splicedParts ?? 1;
    const size = await totalFileSize(options.modelPath, files);
    return new Engine(llama, model, lanes, options, size, observer, clock);
  }

  /** gpt-oss speaks harmony (channels, reasoning effort); other models get their own chat format. */
  get harmony(): boolean {
    return this.modelWrapper instanceof HarmonyChatWrapper && this.encoder.formatting !== null;
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
      contextSize: this.lanes.base.context.contextSize,
      trainContextSize: this.model.trainContextSize,
      parallelSlots: this.options.parallel,
      maxQueue: this.options.maxQueue,
      defaultReasoningEffort: this.options.reasoningEffort,
      gpu: this.llama.gpu === false ? 'cpu' : this.llama.gpu,
      threads: this.lanes.base.context.currentThreads,
      adapters: this.lanes.servedNames.slice(1),
    };
  }

  /** The base's and every adapter's slots together. */
  stats(): EngineStats {
    return this.lanes.stats();
  }

  async deviceMemory(): Promise<{ used: number; total: number }> {
    const vram = await this.llama.getVramState();
    return { used: vram.used, total: vram.total };
  }

  async countChatTokens(job: ChatPrompt): Promise<number> {
    this.checkModel(job.model);
    return (await this.renderChat(job, Infinity)).tokens.length;
  }

  /**
   * The exact text the model sees for this chat (llama.cpp server's /apply-template): harmony with
   * its formatting tokens written out, or the model's own chat format.
   */
  renderText(prompt: ChatPrompt): string {
    this.checkModel(prompt.model);
    if (this.harmony) return piecesText(renderForCompletion(chatConversation(prompt, this.conversationSettings())));
    return this.modelWrapper
      .generateContextState({ chatHistory: [...toHistory(prompt), { type: 'model', response: [] }] })
      .contextText.toString();
  }

  /** Tokens of text as ordinary text (what a message's content costs). */
  async countTextTokens(model: string, text: string): Promise<number> {
    this.checkModel(model);
    return (await this.encoder.text(text)).tokens.length;
  }

  chat(job: ChatJob, onDelta: (delta: Delta) => void, signal: AbortSignal): Promise<Outcome> {
    return this.inArrivalOrder((place) => this.chatInLine(job, onDelta, signal, place));
  }

  /** A request's work with its place in line, left however the work ends (arrivalOrder.ts). */
  private async inArrivalOrder(work: (place: Place) => Promise<Outcome>): Promise<Outcome> {
    const place = this.arrivals.enter();
    try {
      return await work(place);
    } finally {
      place.leave();
    }
  }

  private async chatInLine(
    job: ChatJob,
    onDelta: (delta: Delta) => void,
    signal: AbortSignal,
    place: Place,
  ): Promise<Outcome> {
    const arrival = this.clock.now();
    const lane = this.checkModel(job.model);
    if (!this.harmony && (job.tools.length > 0 || job.responseFormat.type !== 'text')) {
      throw new ApiError(
        'not_supported',
        'tools and response_format need a harmony model (gpt-oss); this model has another chat format',
        job.tools.length > 0 ? 'tools' : 'response_format',
      );
    }
    const compiled = compileJob(job);
    const prompt = await this.renderChat(job, this.options.contextSize - 1);
    const maxTokens = this.completionBudget(job, prompt, 'messages');
    const guided = this.harmony ? await this.guidedTurn(job, await jobGrammars(compiled, this.grammars)) : null;
    return this.run(lane, place, arrival, prompt.tokens, signal, (sequence, tracker, abort) => {
      const emit = (delta: Delta) => tracker.emit(delta, onDelta);
      const turn = guided
        ? new HarmonyTurn(
            { ...guided, parser: this.harmonyOutput(), model: this.model, utf8Guard: this.utf8Guard },
            emit,
            job.stop,
          )
        : new PlainTurn(HarmonyParser.plain(this.textReader()), (t) => this.model.isEogToken(t), emit, [
            ...job.stop,
            ...prompt.stopStrings,
          ]);
      return this.generateInto(sequence, prompt, job, maxTokens, turn, abort);
    });
  }

  /**
   * Raw prompts: the text that follows. On a harmony model `<|return|>` and `<|call|>` end it, while
   * `<|end|>` only ends a message (an analysis message is followed by the answer).
   */
  generate(job: GenerateJob, onDelta: (delta: Delta) => void, signal: AbortSignal): Promise<Outcome> {
    return this.inArrivalOrder((place) => this.generateInLine(job, onDelta, signal, place));
  }

  private async generateInLine(
    job: GenerateJob,
    onDelta: (delta: Delta) => void,
    signal: AbortSignal,
    place: Place,
  ): Promise<Outcome> {
    const arrival = this.clock.now();
    const lane = this.checkModel(job.model);
    const prompt = { ...(await this.encoder.raw(job.prompt, this.options.contextSize - 1)), stopStrings: [] };
    const maxTokens = this.completionBudget(job, prompt, 'prompt');
    const formatting = this.encoder.formatting;
    const turnEnds = formatting ? [formatting.get('<|return|>'), formatting.get('<|call|>')] : [];
    const formattingIds = new Set(formatting?.values() ?? []);
    const ends = (token: Token) =>
      turnEnds.includes(token) || (this.model.isEogToken(token) && !formattingIds.has(token));
    return this.run(lane, place, arrival, prompt.tokens, signal, (sequence, tracker, abort) => {
      const emit = (delta: Delta) => tracker.emit(delta, onDelta);
      const turn = new PlainTurn(HarmonyParser.plain(this.textReader(true)), ends, emit, job.stop);
      return this.generateInto(sequence, prompt, job, maxTokens, turn, abort);
    });
  }

  /** Stops admitting requests: new ones and those still queued get UNAVAILABLE. */
  closeAdmission(): void {
    this.admitting = false;
    this.lanes.rejectWaiting(new ApiError('unavailable', 'the runtime is shutting down'));
  }

  get inFlight(): number {
    return this.running.size;
  }

  /** Cancels every running generation; each ends with finish reason "cancelled". */
  cancelAll(): void {
    for (const controller of this.running) controller.abort();
  }

  async dispose(): Promise<void> {
    await this.lanes.dispose();
    await this.model.dispose();
  }

  /** The base's or an adapter's lane; an unknown model is model_not_found. */
  private checkModel(model: string): Lane {
    return this.lanes.get(model);
  }

  /** The chat as prompt tokens: harmony rendered as the reference does; other models through their chat format. */
  private async renderChat(job: ChatPrompt, limit: number): Promise<Prompt> {
    if (this.harmony) {
      const pieces = renderForCompletion(chatConversation(job, this.conversationSettings()));
      return { ...(await this.encoder.pieces(pieces, limit)), stopStrings: [] };
    }
    const history: ChatHistoryItem[] = [...toHistory(job), { type: 'model', response: [] }];
    const state = this.modelWrapper.generateContextState({ chatHistory: history });
    return {
      ...(await this.encoder.llamaText(state.contextText, limit)),
      stopStrings: textTriggers(state.stopGenerationTriggers),
    };
  }

  private conversationSettings(): ConversationSettings {
    return {
      reasoningEffort: this.options.reasoningEffort,
      currentDate: currentDateOf(this.options.currentDate, this.clock.date()),
    };
  }

  /**
   * What guides a harmony answer for this request: the headers it allows, and the grammars of its
   * JSON (compiled before, so a schema a grammar cannot enforce is a 400 before the request waits for a slot).
   */
  private async guidedTurn(
    job: ChatJob,
    grammarFor: GrammarFor,
  ): Promise<{ guide: TurnGuide; grammarFor: GrammarFor }> {
    const ids = this.formattingIds();
    const structured = job.responseFormat.type !== 'text';
    const rules = rulesFor(
      job.toolChoice,
      job.tools.map((t) => t.name),
      job.parallelToolCalls,
      structured,
    );
    const guide = await TurnGuide.create(ids, rules, async (text) => (await this.encoder.text(text)).tokens);
    return { guide, grammarFor };
  }

  private formattingIds(): FormattingIds {
    const id = (token: HarmonyToken) => this.encoder.formatting!.get(token)!;
    return {
      start: id('<|start|>'),
      end: id('<|end|>'),
      message: id('<|message|>'),
      channel: id('<|channel|>'),
      constrain: id('<|constrain|>'),
      return: id('<|return|>'),
      call: id('<|call|>'),
    };
  }

  /** Harmony output: formatting tokens by id, the rest text. */
  private harmonyOutput(): HarmonyParser<Token> {
    const byId = new Map([...this.encoder.formatting!].map(([name, id]) => [id, name]));
    return new HarmonyParser<Token>({
      formatting: (token) => byId.get(token) ?? null,
      text: (tokens) => this.model.detokenize(tokens),
    });
  }

  /** Output as plain text (special tokens written out for raw prompts, whose authors write them too). */
  private textReader(specialTokens = false) {
    return { formatting: () => null, text: (tokens: readonly Token[]) => this.model.detokenize(tokens, specialTokens) };
  }

  /** Samples the answer into the turn, which streams it and says when it is over. */
  private async generateInto(
    sequence: LlamaContextSequence,
    prompt: Prompt,
    job: Sampling,
    maxTokens: number,
    turn: HarmonyTurn | PlainTurn,
    abort: AbortSignal,
  ): Promise<Generated> {
    const constraints = turn instanceof HarmonyTurn ? { tokenBias: turn.tokenBias, grammar: turn.grammar } : {};
    const { end, sampled, reused } = await sample(
      sequence,
      prompt.tokens,
      this.sampling(job),
      maxTokens,
      abort,
      (token) => turn.onToken(token),
      constraints,
    );
    turn.finish();
    const finishReason: FinishReason =
      end === 'abort' ? 'cancelled' : end === 'length' ? 'length' : turn.calls.length > 0 ? 'tool_calls' : 'stop';
    return { finishReason, sampled, reasoningTokens: turn.reasoningTokens, cachedTokens: reused };
  }

  /** max_tokens checked against what the context has left after the prompt; the default fills it. */
  private completionBudget(job: Sampling, prompt: Encoded, promptField: string): number {
    const context = this.options.contextSize;
    const promptTokens = prompt.tokens.length;
    if (promptTokens >= context) {
      // encoding stopped once the prompt could not fit: the count is where it stopped
      const size = prompt.complete ? `${promptTokens}` : `at least ${promptTokens}`;
      throw invalidArgument(
        promptField,
        `${promptField}: the prompt is ${size} tokens but the context holds ${context} tokens per request`,
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

  /**
   * The request's sampling as llama.cpp's samplers take it. Like OpenAI's API, no top-k and no
   * repetition penalty unless asked for (node-llama-cpp would default to top-k 40 and a 1.1 penalty).
   */
  private sampling(job: Sampling): SamplerSettings {
    const penalized =
      job.repeatPenalty !== undefined || job.presencePenalty !== undefined || job.frequencyPenalty !== undefined;
    return {
      temperature: job.temperature ?? DEFAULT_TEMPERATURE,
      topP: job.topP ?? DEFAULT_TOP_P,
      topK: job.topK ?? 0,
      ...(job.minP !== undefined ? { minP: job.minP } : {}),
      // a request without a seed samples from one of its own: node-llama-cpp's default is the current second, which
      // gives every request of that second the same answer (on every replica: the same prompt, the same tokens)
      seed: job.seed ?? randomInt(MAX_SEED + 1),
      ...(penalized && {
        repeatPenalty: {
          penalty: job.repeatPenalty,
          presencePenalty: job.presencePenalty,
          frequencyPenalty: job.frequencyPenalty,
          lastTokens: PENALTY_LAST_TOKENS,
        },
      }),
    };
  }

  private async run(
    lane: Lane,
    place: Place,
    arrival: number,
    prompt: readonly Token[],
    signal: AbortSignal,
    generate: (sequence: LlamaContextSequence, tracker: Tracker, abort: AbortSignal) => Promise<Generated>,
  ): Promise<Outcome> {
    if (!this.admitting) throw new ApiError('unavailable', 'the runtime is shutting down');
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let slot;
    try {
      // in arrival order: the free slot that already holds most of this prompt (a conversation's
      // earlier turns), or a place in the slot queue, taken before the next arrival takes its own
      await place.turn;
      const acquiring = lane.pool.acquire(controller.signal, (s) => sharedPrefix(lane.sequences[s.index]!, prompt));
      place.leave();
      slot = await acquiring;
    } catch (error) {
      signal.removeEventListener('abort', onAbort);
      throw error;
    }
    this.running.add(controller);
    const tracker = new Tracker(this.clock, arrival, this.observer);
    const promptTokens = prompt.length;
    this.observer.promptTokens(promptTokens);
    try {
      const generated = await generate(lane.sequences[slot.index]!, tracker, controller.signal);
      const outcome = tracker.outcome(generated, promptTokens);
      this.observer.finished(outcome, this.clock.now() - arrival);
      return outcome;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.running.delete(controller);
      lane.pool.release(slot);
    }
  }
}

/** How many tokens at the start of the prompt the slot holds already. */
function sharedPrefix(sequence: LlamaContextSequence, prompt: readonly Token[]): number {
  const held = sequence.contextTokens;
  const end = Math.min(held.length, prompt.length);
  let i = 0;
  while (i < end && held[i] === prompt[i]) i++;
  return i;
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

  emit(delta: Delta, onDelta: (delta: Delta) => void): void {
    const now = this.clock.now();
    if (this.firstTokenAt === null) {
      this.firstTokenAt = now;
      this.observer.firstToken(now - this.arrival);
    } else {
      this.observer.interDelta(now - this.lastDeltaAt!);
    }
    this.lastDeltaAt = now;
    this.deltas++;
    onDelta(delta);
  }

  outcome(
    { finishReason, sampled: completionTokens, reasoningTokens, cachedTokens }: Generated,
    promptTokens: number,
  ): Outcome {
    const end = this.clock.now();
    const first = this.firstTokenAt ?? end;
    const decodeSeconds = (this.lastDeltaAt ?? end) - first;
    this.observer.generated(completionTokens);
    return {
      finishReason,
      usage: {
        promptTokens,
        cachedTokens,
        completionTokens,
        reasoningTokens,
        timeToFirstTokenSeconds: first - this.arrival,
        // decode rate between the first and the last streamed text
        tokensPerSecond: decodeSeconds > 0 ? (this.deltas - 1) / decodeSeconds : 0,
      },
    };
  }
}

/**
 * A chat format's stop triggers that are plain text ("### Human"); its special-token ones are end-of-generation tokens.
 */
function textTriggers(triggers: readonly LlamaText[]): string[] {
  return triggers
    .filter((t) => t.values.every((v) => typeof v === 'string'))
    .map((t) => t.values.join(''))
    .filter(Boolean);
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

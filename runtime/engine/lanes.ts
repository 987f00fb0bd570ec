import type { LlamaContext, LlamaContextSequence, LlamaModel } from 'node-llama-cpp';
import { ApiError } from '../../contract/api/errors.js';
import type { ServedAdapter } from '../../contract/argv/serve.js';
import { SlotPool } from './slotPool.js';
import type { EngineStats } from './types.js';

/** What a lane's context is made of: the engine's options that size it. */
export interface LaneOptions {
  modelName: string;
  contextSize: number;
  parallel: number;
  threads: number;
  maxQueue: number;
  adapter?: readonly ServedAdapter[];
}

/** The id an adapter is served under: `<model-name>:<adapter>`. */
export const adapterId = (modelName: string, adapter: string) => `${modelName}:${adapter}`;

/**
 * One served id: a context of the model with its own slots and queue. node-llama-cpp applies LoRA
 * per context, so the base and every adapter each get one, created at start: an adapter costs its
 * weights (loaded once per model) plus a whole context, i.e. its own KV cache of
 * contextSize x parallel tokens and its compute buffers, as much as the base's.
 */
export class Lane {
  readonly pool: SlotPool;

  private constructor(
    readonly servedName: string,
    readonly context: LlamaContext,
    readonly sequences: readonly LlamaContextSequence[],
    maxQueue: number,
  ) {
    this.pool = new SlotPool(sequences.length, maxQueue);
  }

  static async create(model: LlamaModel, options: LaneOptions, adapter?: ServedAdapter): Promise<Lane> {
    const context = await model.createContext({
      contextSize: options.contextSize,
      sequences: options.parallel,
      threads: options.threads,
      ...(adapter && { lora: { adapters: [{ filePath: adapter.path, scale: adapter.scale }] } }),
    });
    const sequences = Array.from({ length: options.parallel }, () => context.getSequence());
    const name = adapter ? adapterId(options.modelName, adapter.name) : options.modelName;
    return new Lane(name, context, sequences, options.maxQueue);
  }

  stats(): EngineStats {
    return {
      slotsBusy: this.pool.busy,
      slotsTotal: this.pool.size,
      requestsWaiting: this.pool.waiting,
      kvCellsUsed: this.sequences.reduce((sum, s) => sum + s.nextTokenIndex, 0),
      kvCellsTotal: this.context.contextSize * this.sequences.length,
    };
  }
}

/** The base's lane and each adapter's, by served id; a request's `model` picks one. */
export class Lanes {
  private readonly byName: ReadonlyMap<string, Lane>;

  private constructor(readonly all: readonly Lane[]) {
    this.byName = new Map(all.map((lane) => [lane.servedName, lane]));
  }

  /** The base's context, then one per adapter (in the flags' order); those made are freed if one fails. */
  static async create(model: LlamaModel, options: LaneOptions): Promise<Lanes> {
    const lanes: Lane[] = [];
    try {
      lanes.push(await Lane.create(model, options));
      for (const adapter of options.adapter ?? []) {
        lanes.push(
          await Lane.create(model, options, adapter).catch((cause: unknown) => {
            throw new Error(`cannot apply adapter ${adapter.name} (${adapter.path})`, { cause });
          }),
        );
      }
    } catch (error) {
      await Promise.all(lanes.map((lane) => lane.context.dispose()));
      throw error;
    }
    return new Lanes(lanes);
  }

  get base(): Lane {
    return this.all[0]!;
  }

  get servedNames(): string[] {
    return this.all.map((lane) => lane.servedName);
  }

  /** The lane serving `model`; an empty model is the base. Unknown: model_not_found, naming what is served. */
  get(model: string): Lane {
    if (!model) return this.base;
    const lane = this.byName.get(model);
    if (lane) return lane;
    const served = this.servedNames.map((name) => `"${name}"`).join(', ');
    throw new ApiError(
      'model_not_found',
      `model "${model}" is not served here; this runtime serves ${served}`,
      'model',
    );
  }

  /** All lanes together: what the runtime's metrics report. */
  stats(): EngineStats {
    const total: EngineStats = { slotsBusy: 0, slotsTotal: 0, requestsWaiting: 0, kvCellsUsed: 0, kvCellsTotal: 0 };
    for (const lane of this.all) {
      const s = lane.stats();
      for (const key of Object.keys(total) as (keyof EngineStats)[]) total[key] += s[key];
    }
    return total;
  }

  rejectWaiting(error: unknown): void {
    for (const lane of this.all) lane.pool.rejectWaiting(error);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.all.map((lane) => lane.context.dispose()));
  }
}

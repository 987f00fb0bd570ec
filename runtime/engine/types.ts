import type { GpuChoice } from '../../contract/argv/serve.js';
import type { ReasoningEffort } from '../../contract/models.js';

export type Channel = 'analysis' | 'commentary' | 'final';
export type FinishReason = 'stop' | 'length' | 'cancelled' | 'tool_call';

export interface Delta {
  text: string;
  channel: Channel;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  timeToFirstTokenSeconds: number;
  tokensPerSecond: number;
}

export interface Outcome {
  finishReason: FinishReason;
  usage: Usage;
}

export interface EngineOptions {
  modelPath: string;
  modelName: string;
  variant?: string;
  parallel: number;
  contextSize: number;
  reasoningEffort: ReasoningEffort;
  threads: number;
  gpu: GpuChoice;
  maxQueue: number;
}

export interface ModelInfo {
  servedName: string;
  variant: string;
  architecture: string;
  fileSizeBytes: number;
  files: number;
  harmony: boolean;
  contextSize: number;
  trainContextSize: number;
  parallelSlots: number;
  maxQueue: number;
  defaultReasoningEffort: ReasoningEffort;
  gpu: string;
  threads: number;
}

export interface EngineStats {
  slotsBusy: number;
  slotsTotal: number;
  requestsWaiting: number;
  kvCellsUsed: number;
  kvCellsTotal: number;
}

/** What the engine tells the metrics about each request; the engine itself knows nothing of Prometheus. */
export interface EngineObserver {
  promptTokens(count: number): void;
  firstToken(secondsSinceArrival: number): void;
  /** Time between consecutive streamed deltas (about one token each). */
  interDelta(seconds: number): void;
  generated(tokens: number): void;
  finished(outcome: Outcome, durationSeconds: number): void;
}

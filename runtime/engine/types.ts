import type { CurrentDate, GpuChoice, ServedAdapter } from '../../contract/argv/serve.js';
import type { ReasoningEffort } from '../../contract/models.js';

export type Channel = 'analysis' | 'commentary' | 'final';
/** `tool_calls`: the turn ended with function calls (`<|call|>`) for the client to run. */
export type FinishReason = 'stop' | 'length' | 'cancelled' | 'tool_calls';

/** Text of one channel: analysis is reasoning, final the answer, commentary a preamble to tool calls. */
export interface TextDelta {
  type: 'text';
  text: string;
  channel: Channel;
}

/** A function call begins: its name is known once the model has written its header. */
export interface ToolCallDelta {
  type: 'toolCall';
  /** 0, 1, ... in the order the calls were made in this turn. */
  index: number;
  /** `call_...`, unique: what the tool's answer will name. */
  id: string;
  name: string;
}

/** More of a call's arguments (JSON text, streamed as the model writes it). */
export interface ToolArgumentsDelta {
  type: 'toolArguments';
  index: number;
  text: string;
}

export type Delta = TextDelta | ToolCallDelta | ToolArgumentsDelta;

export interface Usage {
  promptTokens: number;
  /** Of promptTokens, those the slot already held from an earlier request (its cached prefix), not evaluated again. */
  cachedTokens?: number;
  completionTokens: number;
  /** Of completionTokens, those the analysis channel took (its header and end included). */
  reasoningTokens: number;
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
  /** The system message's date: `today` (UTC, at each request), `none`, or YYYY-MM-DD. */
  currentDate: CurrentDate;
  threads: number;
  gpu: GpuChoice;
  maxQueue: number;
  /** LoRA adapters served beside the model (`--adapter`), each under `<modelName>:<name>`. */
  adapter?: readonly ServedAdapter[];
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
  /** The adapters' served ids (`<servedName>:<adapter>`), beside servedName; none when absent. */
  adapters?: readonly string[];
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

import type { AutoscalingMode, ReasoningEffort } from '../contract/models.js';

/**
 * The seams between the gateway's parts: discovery (which Ready runtime pods serve which model),
 * keys (who is calling, with which policy), quotas (may this call go now) and the relay (HTTP and
 * gRPC servers that route, forward and account). Each part is built and tested on its own against
 * these; gateway/serve.ts wires them.
 */

/** One Ready runtime pod of a model, as its EndpointSlices say. */
export interface Replica {
  /** The pod's name (EndpointSlice targetRef), stable across address changes. */
  pod: string;
  ip: string;
  httpPort: number;
  grpcPort: number;
}

/**
 * A GptOssModel the gateway serves; its id is `<namespace>/<name>`, and each of its LoRA adapters is
 * served by the same replicas under `<namespace>/<name>:<adapter>`.
 */
export interface ServedModel {
  namespace: string;
  name: string;
  /** spec.adapters' names, in the spec's order (discovery skips malformed entries); absent: none. */
  adapters?: readonly string[];
  /** Ready replicas only, in a stable order. */
  replicas: readonly Replica[];
  /** The replicas asked for (spec.replicas) and who scales them: whether a request may wait, and wake it. */
  scaling: { replicas: number; mode: AutoscalingMode };
}

/** Raises a model at zero to one replica (the scale subresource), for the requests held for it. */
export interface ModelWaker {
  /** Resolves once written, or when the model is no longer at zero; rejects on an API error. */
  wake(namespace: string, name: string): Promise<void>;
}

/** What discovery knows now (informers keep it current). */
export interface ModelDirectory {
  list(): readonly ServedModel[];
  get(namespace: string, name: string): ServedModel | undefined;
}

/** What a key may do (stored in its Secret: docs/gateway.md has the shape). */
export interface KeyPolicy {
  team: string;
  /**
   * The ids the key may use: `<namespace>/<name>` (the base model only), `<namespace>/<name>:<adapter>`
   * (that adapter only), `<namespace>/<name>:*` (every adapter of the model, not the base); null:
   * every model the gateway serves, adapters included (gateway/relay/modelIds.ts).
   */
  models: readonly string[] | null;
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
  maxConcurrent: number | null;
  maxReasoningEffort: ReasoningEffort | null;
}

/** An authenticated caller. `keyId` names the key (its Secret's name), never its secret. */
export interface Caller {
  keyId: string;
  policy: KeyPolicy;
}

export interface KeyDirectory {
  /** The caller a presented key belongs to (constant-time comparison of hashes), or null. */
  authenticate(presented: string): Caller | null;
}

/** Tokens one request used, as the runtime reported them. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
}

/** OpenAI's x-ratelimit-* values for requests and tokens (a null limit: none set, no header). */
export interface RateLimitState {
  requests: { limit: number; remaining: number; resetSeconds: number } | null;
  tokens: { limit: number; remaining: number; resetSeconds: number } | null;
}

export type Admission =
  | {
      ok: true;
      state: RateLimitState;
      /** Once, when the request is over: its usage (null if it never reached a runtime). */
      settle(usage: TokenUsage | null): void;
    }
  | {
      ok: false;
      /** Which limit refused it. */
      limit: 'requests' | 'tokens' | 'concurrent';
      retryAfterSeconds: number;
      state: RateLimitState;
    };

export interface QuotaKeeper {
  admit(caller: Caller): Admission;
}

import type {
  Admission,
  Caller,
  KeyDirectory,
  KeyPolicy,
  ModelDirectory,
  ModelWaker,
  QuotaKeeper,
  RateLimitState,
  Replica,
  ServedModel,
  TokenUsage,
} from '../../../gateway/types.js';

/**
 * Named fakes of the relay's collaborators (gateway/types.ts): the tests choose what discovery
 * knows, which keys exist and what the quotas say, and read what the relay settled.
 */

/** A fake ModelDirectory: the models the test sets, replicas as given. */
export class FixedModelDirectory implements ModelDirectory {
  private models: ServedModel[];

  constructor(models: ServedModel[] = []) {
    this.models = models;
  }

  set(models: ServedModel[]): void {
    this.models = models;
  }

  list(): readonly ServedModel[] {
    return this.models;
  }

  get(namespace: string, name: string): ServedModel | undefined {
    return this.models.find((model) => model.namespace === namespace && model.name === name);
  }
}

/** A fake ModelWaker: records each wake; `onWake` stands in for the scale write and the replica coming up. */
export class RecordingWaker implements ModelWaker {
  readonly woken: string[] = [];
  onWake: (namespace: string, name: string) => Promise<void> = () => Promise.resolve();

  wake(namespace: string, name: string): Promise<void> {
    this.woken.push(`${namespace}/${name}`);
    return this.onWake(namespace, name);
  }
}

export const OPEN_POLICY: KeyPolicy = {
  team: 'team-a',
  models: null,
  requestsPerMinute: null,
  tokensPerMinute: null,
  maxConcurrent: null,
  maxReasoningEffort: null,
};

/** A fake KeyDirectory: presented secrets mapped to callers as the test defines them. */
export class FakeKeyDirectory implements KeyDirectory {
  private readonly callers = new Map<string, Caller>();
  readonly presented: string[] = [];

  add(secret: string, keyId: string, policy: Partial<KeyPolicy> = {}): this {
    this.callers.set(secret, { keyId, policy: { ...OPEN_POLICY, ...policy } });
    return this;
  }

  authenticate(presented: string): Caller | null {
    this.presented.push(presented);
    return this.callers.get(presented) ?? null;
  }
}

export const NO_LIMITS: RateLimitState = { requests: null, tokens: null };

/** A fake QuotaKeeper: admits (or refuses) as the test says, and records every settle. */
export class RecordingQuotaKeeper implements QuotaKeeper {
  /** What admit answers next; admission when null. */
  refusal: Extract<Admission, { ok: false }> | null = null;
  state: RateLimitState = NO_LIMITS;
  readonly admitted: string[] = [];
  /** Each settle call, with the key it was admitted for. */
  readonly settled: Array<{ keyId: string; usage: TokenUsage | null }> = [];

  admit(caller: Caller): Admission {
    if (this.refusal) return this.refusal;
    this.admitted.push(caller.keyId);
    return {
      ok: true,
      state: this.state,
      settle: (usage) => this.settled.push({ keyId: caller.keyId, usage }),
    };
  }

  reset(): void {
    this.refusal = null;
    this.state = NO_LIMITS;
    this.admitted.length = 0;
    this.settled.length = 0;
  }
}

/** A replica at a runtime's loopback addresses. */
export function replicaAt(pod: string, httpUrl: string, grpcAddress: string): Replica {
  const http = new URL(httpUrl);
  return {
    pod,
    ip: http.hostname,
    httpPort: Number(http.port),
    grpcPort: Number(grpcAddress.slice(grpcAddress.lastIndexOf(':') + 1)),
  };
}

import type { RoutingSettings } from '../routing/router.js';
import type { HoldConfig } from './hold.js';

/** Where one of the relay's servers listens. */
export interface ListenAddress {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
}

/** The relay's settings: where it listens and how it treats requests and replicas. */
export interface RelayConfig {
  http: ListenAddress;
  grpc: ListenAddress;
  /** Largest request body (HTTP, after decompression) and gRPC message; the runtime's --max-body-bytes default. */
  maxBodyBytes: number;
  /** Replicas one request is tried on, the first included, when each fails before answering. */
  maxAttempts: number;
  /** A connection to a replica not made within this counts as a failure before the first byte. */
  connectTimeoutMs: number;
  /** The retry-after a request for a model with no Ready replica is told. */
  unavailableRetryAfterSeconds: number;
  /**
   * How often each replica's utilisation is scraped, how long a scrape may take, and how many run at
   * once (0: none, routing goes by the gateway's own counts alone).
   */
  utilization: { refreshMs: number; timeoutMs: number; maxInFlight: number };
  /** How the router picks a replica: by the conversation's start within a load bound, or by load alone. */
  routing: RoutingSettings;
  /** Requests for a model with no Ready replica (at zero, waking, starting): held, not refused (hold.ts). */
  hold: HoldConfig;
}

export const RELAY_DEFAULTS: Omit<RelayConfig, 'http' | 'grpc'> = {
  maxBodyBytes: 1024 * 1024,
  // a full queue on three replicas in a row means the model is saturated: the client hears it (429)
  maxAttempts: 3,
  // a pod IP that nobody answers (a node gone) costs a request at most this
  connectTimeoutMs: 3000,
  // about how long a pod takes to turn Ready again after a restart of its runtime
  unavailableRetryAfterSeconds: 5,
  utilization: { refreshMs: 2000, timeoutMs: 1000, maxInFlight: 16 },
  // KubeAI's meanLoadPercentage 125: a conversation's replica may hold a quarter more than the mean
  routing: { strategy: 'prefix-hash', loadFactor: 1.25 },
  hold: {
    // a 120b model's 65 GB read and loaded on a cold node takes minutes
    holdSeconds: 600,
    // a burst big enough to wake several replicas at once, small enough that a waking model is no memory sink
    maxHeldPerModel: 256,
    // a Ready replica found within this of the watch saying so; a map lookup, so cheap
    pollMs: 50,
    // the scale written again if a wake failed or someone put the model back to zero
    wakeRetryMs: 5000,
    // a request is written to its replica in milliseconds, a new connection included; this only bounds a relay
    // that never says so
    handOffTimeoutMs: 2000,
    // a model that did not come up in the hold limit will not in the next seconds
    retryAfterSeconds: 30,
  },
};

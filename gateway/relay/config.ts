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
};

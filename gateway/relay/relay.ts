import type { Clock } from '../../contract/clock.js';
import type { Logger } from '../../contract/log.js';
import type { GatewayMetrics } from '../metrics.js';
import { Router } from '../routing/router.js';
import { startUtilizationScrapes } from '../routing/utilization.js';
import type { KeyDirectory, ModelDirectory, ModelWaker, QuotaKeeper } from '../types.js';
import { HeldRequests } from './hold.js';
import type { RelayConfig } from './config.js';
import { ReplicaChannels, replicaGrpcAddress } from './grpc/channels.js';
import { startGrpcFront } from './grpc/server.js';
import { startHttpFront } from './http/server.js';
import { http } from '../../contract/nodeHttp.js';

export interface RelayOptions {
  directory: ModelDirectory;
  keys: KeyDirectory;
  quotas: QuotaKeeper;
  /** Raises a model at zero to one replica when a request is held for it. */
  waker: ModelWaker;
  config: RelayConfig;
  log: Logger;
  metrics: GatewayMetrics;
  clock: Clock;
  /** The router's random source (power of two choices); tests fix it. */
  random?: () => number;
}

export interface RunningRelay {
  httpUrl: string;
  grpcAddress: string;
  /** Stops both servers: requests in flight get up to graceMs (default 0) to finish, then are cut. */
  close(graceMs?: number): Promise<void>;
}

/** Keep-alive connections to the replicas: enough that a burst of streams never waits for a socket. */
const agentOptions = { keepAlive: true, keepAliveMsecs: 10_000, maxFreeSockets: 64, scheduling: 'lifo' as const };

/**
 * The relay: the OpenAI HTTP API and the gRPC Runtime service in front of every model discovery
 * knows, routing each request to a Ready replica (gateway/routing), forwarding it and accounting
 * for it (quotas settled, metrics, one access log line).
 */
export async function startRelay(options: RelayOptions): Promise<RunningRelay> {
  const { directory, config, log } = options;
  const router = new Router(options.random, config.routing);
  const agent = new http.Agent(agentOptions);
  const channels = new ReplicaChannels(config.maxBodyBytes);
  const holds = new HeldRequests({
    directory,
    waker: options.waker,
    metrics: options.metrics,
    log,
    config: config.hold,
  });
  const deps = {
    holds,
    directory,
    router,
    metrics: options.metrics,
    maxAttempts: config.maxAttempts,
    keys: options.keys,
    quotas: options.quotas,
    config,
    accounting: { metrics: options.metrics, log, clock: options.clock },
    agent,
    channels,
  };
  const scrapes = startUtilizationScrapes({ directory, router, agent, log, ...config.utilization });
  // channels to replicas that are gone are closed at the same pace the utilisation is refreshed
  const sweep = setInterval(() => {
    channels.retain(new Set(directory.list().flatMap((model) => model.replicas.map(replicaGrpcAddress))));
  }, config.utilization.refreshMs);
  sweep.unref();
  const front = await startHttpFront(deps);
  const grpc = await startGrpcFront(deps).catch(async (error: unknown) => {
    await front.close(0);
    throw error;
  });
  log.info({ http: front.url, grpc: grpc.address }, 'Started relay');
  return {
    httpUrl: front.url,
    grpcAddress: grpc.address,
    async close(graceMs = 0) {
      scrapes.stop();
      clearInterval(sweep);
      holds.close();
      await Promise.all([front.close(graceMs), grpc.close(graceMs)]);
      channels.closeAll();
      agent.destroy();
    },
  };
}

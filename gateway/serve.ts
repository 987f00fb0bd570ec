import type { KubeConfig } from '@kubernetes/client-node';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { systemClock, type Clock } from '../contract/clock.js';
import type { Logger } from '../contract/log.js';
import type { GatewayConfig } from './config.js';
import { startModelDirectory } from './discovery/directory.js';
import { startKeyDirectory } from './keys/watchKeys.js';
import { GatewayMetrics } from './metrics.js';
import { startOpsServer } from '../contract/opsServer.js';
import { createQuotaKeeper } from './quota/quotaKeeper.js';
import { RELAY_DEFAULTS, type RelayConfig } from './relay/config.js';
import { startRelay } from './relay/relay.js';
import { ScaleSubresourceWaker } from './scale/modelWaker.js';

export interface RunningGateway {
  /** The OpenAI API. */
  httpUrl: string;
  /** gptoss.runtime.v1.Runtime, health and reflection, as host:port. */
  grpcAddress: string;
  /** /healthz, /readyz and /metrics. */
  opsUrl: string;
  /** Not ready any more, stops accepting, lets requests in flight finish for drainSeconds, then stops the watches. */
  stop(): Promise<void>;
}

/** The relay's settings: where the servers listen from the gateway's flags, the rest its own defaults. */
const relayConfig = (config: GatewayConfig): RelayConfig => ({
  ...RELAY_DEFAULTS,
  http: { host: config.listenAddress, port: config.httpPort },
  grpc: { host: config.listenAddress, port: config.grpcPort },
  routing: { ...RELAY_DEFAULTS.routing, strategy: config.routing },
  hold: { ...RELAY_DEFAULTS.hold, holdSeconds: config.holdSeconds, maxHeldPerModel: config.maxHeldPerModel },
});

/**
 * `gptoss gateway`: the probes first (not ready), then discovery and the keys (informers, in
 * parallel), the quotas, and the relay's servers; ready once all of them are. Stateless: every
 * replica builds the same from the API server.
 */
export async function startGateway(parts: {
  config: GatewayConfig;
  kc: KubeConfig;
  log: Logger;
  clock?: Clock;
}): Promise<RunningGateway> {
  const { config, kc, log, clock = systemClock } = parts;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const informerRestarts = new Counter({
    name: 'gptoss_gateway_informer_restarts_total',
    help: 'Watches restarted after an error or a silence, by the resource they watch.',
    labelNames: ['informer'],
    registers: [registry],
  });
  const onRestart = (informer: string) => informerRestarts.inc({ informer });
  let ready = false;
  const ops = await startOpsServer({ host: config.listenAddress, port: config.opsPort, registry, ready: () => ready });
  const stopOnFailure = async <T>(start: Promise<T>, cleanUp: Array<() => Promise<unknown>>): Promise<T> =>
    start.catch(async (error: unknown) => {
      await Promise.allSettled(cleanUp.map((c) => c()));
      throw error;
    });

  // both caches at once; if either fails, the other's watches are stopped before the error goes up
  const [models, secrets] = await Promise.allSettled([
    startModelDirectory({ kc, config, log, onRestart }),
    startKeyDirectory({ kc, config, log, onRestart: () => onRestart('secrets') }),
  ]);
  if (models.status === 'rejected' || secrets.status === 'rejected') {
    const started = [models, secrets].flatMap((c) => (c.status === 'fulfilled' ? [c.value.stop()] : []));
    await Promise.allSettled([...started, ops.close()]);
    throw models.status === 'rejected' ? models.reason : (secrets as PromiseRejectedResult).reason;
  }
  const [directory, keys] = [models.value, secrets.value];
  const relay = await stopOnFailure(
    startRelay({
      directory,
      keys,
      quotas: createQuotaKeeper({ clock, replicas: config.replicas }),
      waker: new ScaleSubresourceWaker(kc),
      config: relayConfig(config),
      log,
      metrics: new GatewayMetrics(registry),
      clock,
    }),
    [() => directory.stop(), () => keys.stop(), () => ops.close()],
  );
  ready = true;
  log.info(
    { http: relay.httpUrl, grpc: relay.grpcAddress, ops: ops.url, replicas: config.replicas },
    'Started gateway',
  );
  return {
    httpUrl: relay.httpUrl,
    grpcAddress: relay.grpcAddress,
    opsUrl: ops.url,
    async stop() {
      ready = false;
      log.info({ drainSeconds: config.drainSeconds }, 'Draining gateway');
      await relay.close(config.drainSeconds * 1000);
      await Promise.all([directory.stop(), keys.stop()]);
      await ops.close();
      log.info({}, 'Stopped gateway');
    },
  };
}

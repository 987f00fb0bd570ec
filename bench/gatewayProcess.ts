/**
 * The gateway as bench:gateway runs it, in a process of its own (one event loop: one core): the
 * relay with the real key index, quota keeper and metrics, wired as gateway/serve.ts wires them, but
 * with a stand-in model directory of fixed replicas instead of the informers. Discovery is not on a
 * request's path (a request reads its cache), so what a request costs is measured whole.
 *
 *   node dist/bench/gatewayProcess.js '<json: BenchGatewaySpec>'   (prints HTTP= and GRPC=)
 */
import { Registry } from 'prom-client';
import { systemClock } from '../contract/clock.js';
import { keyDigest } from '../contract/keys.js';
import { createLogger } from '../contract/log.js';
import { KeyIndex } from '../gateway/keys/keyIndex.js';
import { GatewayMetrics } from '../gateway/metrics.js';
import { createQuotaKeeper } from '../gateway/quota/quotaKeeper.js';
import { RELAY_DEFAULTS } from '../gateway/relay/config.js';
import { startRelay } from '../gateway/relay/relay.js';
import type { ModelDirectory, Replica, ServedModel } from '../gateway/types.js';

export interface BenchGatewaySpec {
  model: { namespace: string; name: string };
  replicas: Replica[];
  /** The one API key the benchmark's clients present. */
  key: { id: string; key: string };
}

/** A ModelDirectory that never changes (the benchmark's stand-in for discovery). */
function fixedDirectory(model: ServedModel): ModelDirectory {
  return {
    list: () => [model],
    get: (namespace, name) => (namespace === model.namespace && name === model.name ? model : undefined),
  };
}

const spec = JSON.parse(process.argv[2] ?? '') as BenchGatewaySpec;
const keys = new KeyIndex();
// limits high enough never to refuse, so every request goes through the quota's bookkeeping
keys.put({
  id: spec.key.id,
  secretName: `gptoss-key-${spec.key.id}`,
  sha256: keyDigest(spec.key.key),
  created: null,
  policy: {
    team: 'bench',
    models: null,
    requestsPerMinute: 1_000_000_000,
    tokensPerMinute: 1_000_000_000,
    maxConcurrent: 1_000_000,
    maxReasoningEffort: null,
  },
});
const relay = await startRelay({
  directory: fixedDirectory({
    ...spec.model,
    replicas: spec.replicas,
    scaling: { replicas: spec.replicas.length, mode: 'off' },
  }),
  keys,
  quotas: createQuotaKeeper({ clock: systemClock, replicas: 1 }),
  // the bench's model always has its replicas: nothing is ever held, so nothing wakes
  waker: { wake: () => Promise.reject(new Error('the gateway bench has no cluster to scale')) },
  config: { ...RELAY_DEFAULTS, http: { host: '127.0.0.1', port: 0 }, grpc: { host: '127.0.0.1', port: 0 } },
  log: createLogger('warn'),
  metrics: new GatewayMetrics(new Registry()),
  clock: systemClock,
});
process.stdout.write(`HTTP=${relay.httpUrl}\nGRPC=${relay.grpcAddress}\n`);
process.once('SIGTERM', () => void relay.close(0).then(() => process.exit(0)));

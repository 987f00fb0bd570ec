import type { Agent } from 'node:http';
import { UTILIZATION_METRIC } from '../../contract/metrics.js';
import { hostPort } from '../../contract/names.js';
import type { Logger } from '../../contract/log.js';
import type { ModelDirectory } from '../types.js';
import { replicaKey, type Router } from './router.js';
import { http } from '../../contract/nodeHttp.js';

export interface UtilizationScrapeOptions {
  directory: ModelDirectory;
  router: Router;
  /** The gateway's keep-alive agent: a scrape reuses the connection requests use. */
  agent: Agent;
  /** Pause between the end of one round of scrapes and the start of the next. */
  refreshMs: number;
  /** A replica's whole answer must arrive within this, or its utilisation is unknown until the next round. */
  timeoutMs: number;
  /** Scrapes in flight at once: a round over a thousand replicas opens at most this many connections; 0, none. */
  maxInFlight: number;
  log: Logger;
}

/** A runtime's /metrics is about 5 KiB; an answer over this is not read further. */
const MAX_METRICS_BYTES = 256 * 1024;

/** The gauge's unlabelled sample in a Prometheus text exposition; undefined when absent or not a number >= 0. */
export function utilizationIn(exposition: string): number | undefined {
  const prefix = `${UTILIZATION_METRIC} `;
  const line = exposition.split('\n').find((candidate) => candidate.startsWith(prefix));
  const value = line === undefined ? NaN : Number(line.slice(prefix.length).trim().split(' ')[0]);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** GET http://address/metrics as text, within the timeout and the byte limit. */
function readMetrics(address: string, agent: Agent, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      `http://${address}/metrics`,
      { agent, signal: AbortSignal.timeout(timeoutMs) },
      (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          reject(new Error(`answered HTTP ${response.statusCode}`));
          return;
        }
        const chunks: Buffer[] = [];
        let bytes = 0;
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > MAX_METRICS_BYTES) request.destroy(new Error(`answered more than ${MAX_METRICS_BYTES} bytes`));
          else chunks.push(chunk);
        });
        response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
  });
}

/** Runs `work` over the items with at most `limit` running at once. */
async function eachBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, worker));
}

/**
 * Keeps the router's utilisation of every served replica current: one round of scrapes, a pause,
 * the next round. A replica that does not answer has no utilisation (routing then goes by the
 * gateway's own counts alone); replicas that are gone are forgotten at the next round.
 */
export function startUtilizationScrapes(options: UtilizationScrapeOptions): { stop(): void } {
  const { directory, router, agent, timeoutMs, log } = options;
  if (options.maxInFlight === 0) return { stop: () => undefined };
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const round = async () => {
    const targets = directory
      .list()
      .flatMap((model) => model.replicas.map((replica) => ({ key: replicaKey(model, replica), replica })));
    router.retainUtilization(new Set(targets.map((target) => target.key)));
    await eachBounded(targets, options.maxInFlight, async ({ key, replica }) => {
      const address = hostPort(replica.ip, replica.httpPort);
      try {
        router.setUtilization(key, utilizationIn(await readMetrics(address, agent, timeoutMs)));
      } catch (error) {
        router.setUtilization(key, undefined);
        log.debug({ pod: replica.pod, address, err: (error as Error).message }, 'Failed to scrape utilization');
      }
    });
  };
  const next = () => {
    if (stopped) return;
    timer = setTimeout(() => void round().finally(next), options.refreshMs);
    timer.unref();
  };
  void round().finally(next);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

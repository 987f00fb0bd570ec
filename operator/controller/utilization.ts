import type { V1Pod } from '@kubernetes/client-node';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { IDLE_METRIC, UTILIZATION_METRIC } from '../../contract/metrics.js';
import { RUNTIME_HTTP_PORT, hostPort } from '../../contract/names.js';
import type { UtilizationSamples } from '../planner/autoscale.js';
import { METRICS_MAX_BYTES, readPodEndpoint } from './podEndpoint.js';

/** Where a runtime pod serves /metrics: its pod IP, as the runtime listens there. */
export function runtimeAddress(pod: V1Pod): string | undefined {
  const ip = pod.status?.podIP;
  return ip ? hostPort(ip, RUNTIME_HTTP_PORT) : undefined;
}

/** Ready and not on its way out: a terminating pod's load is moving elsewhere. */
export const isReadyPod = (pod: V1Pod) =>
  !pod.metadata?.deletionTimestamp &&
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

type Families = ReturnType<typeof parsePrometheusTextFormat>;

/** A Prometheus text exposition's metric families; null when it does not parse. */
export function familiesOf(text: string): Families | null {
  try {
    return parsePrometheusTextFormat(text);
  } catch {
    return null;
  }
}

/** An unlabelled gauge's value; null when absent or not a finite non-negative number. */
function gaugeValue(families: Families, name: string): number | null {
  const raw = families.find((f) => f.name === name)?.metrics[0]?.value;
  const value = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : null;
}

/**
 * The gauge's value in a Prometheus text exposition; null when absent, malformed or not a finite non-negative number.
 */
export function utilizationFrom(text: string): number | null {
  const families = familiesOf(text);
  return families && gaugeValue(families, UTILIZATION_METRIC);
}

/**
 * One pod's scrape: its utilisation and idle seconds (null: a runtime that does not say), or why there
 * is none (the caller counts the pod as missing).
 */
export type Scrape = { value: number; idleSeconds: number | null } | { problem: string };

/** GET http://address/metrics within the timeout and the byte limit (operator/controller/podEndpoint.ts). */
export async function scrapeUtilization(address: string, timeoutMs: number): Promise<Scrape> {
  const answer = await readPodEndpoint(`http://${address}/metrics`, { timeoutMs, maxBytes: METRICS_MAX_BYTES });
  if (!answer.ok) return { problem: answer.problem };
  const families = familiesOf(answer.text);
  const value = families && gaugeValue(families, UTILIZATION_METRIC);
  if (value === null) return { problem: `answered no valid ${UTILIZATION_METRIC}` };
  return { value, idleSeconds: gaugeValue(families!, IDLE_METRIC) };
}

/** A ready pod that could not be scraped, and why. */
export interface Unscraped {
  pod: V1Pod;
  problem: string;
}

/** Every ready pod scraped at once; a pod without an address or an answer is missing, and said in `unscraped`. */
export async function sampleUtilization(
  pods: readonly V1Pod[],
  address: (pod: V1Pod) => string | undefined,
  timeoutMs: number,
): Promise<{ samples: UtilizationSamples; unscraped: Unscraped[] }> {
  const answers = await Promise.all(
    pods.filter(isReadyPod).map(async (pod): Promise<{ pod: V1Pod } & Scrape> => {
      const at = address(pod);
      return { pod, ...(at ? await scrapeUtilization(at, timeoutMs) : { problem: 'has no pod IP' }) };
    }),
  );
  const answered = answers.flatMap((a) => ('value' in a ? [a] : []));
  const unscraped = answers.flatMap((a) => ('problem' in a ? [{ pod: a.pod, problem: a.problem }] : []));
  const idle = answered.map((a) => a.idleSeconds);
  const leastIdleSeconds = idle.length === 0 || idle.includes(null) ? null : Math.min(...(idle as number[]));
  return { samples: { values: answered.map((a) => a.value), missing: unscraped.length, leastIdleSeconds }, unscraped };
}

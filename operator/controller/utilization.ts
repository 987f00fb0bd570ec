import type { V1Pod } from '@kubernetes/client-node';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { UTILIZATION_METRIC } from '../../contract/metrics.js';
import { RUNTIME_HTTP_PORT, hostPort } from '../../contract/names.js';
import type { UtilizationSamples } from '../planner/autoscale.js';

/** Where a runtime pod serves /metrics: its pod IP, as the runtime listens there. */
export function runtimeAddress(pod: V1Pod): string | undefined {
  const ip = pod.status?.podIP;
  return ip ? hostPort(ip, RUNTIME_HTTP_PORT) : undefined;
}

/** Ready and not on its way out: a terminating pod's load is moving elsewhere. */
export const isReadyPod = (pod: V1Pod) =>
  !pod.metadata?.deletionTimestamp &&
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/**
 * The gauge's value in a Prometheus text exposition; null when absent, malformed or not a finite non-negative number.
 */
export function utilizationFrom(text: string): number | null {
  let families;
  try {
    families = parsePrometheusTextFormat(text);
  } catch {
    return null;
  }
  const raw = families.find((f) => f.name === UTILIZATION_METRIC)?.metrics[0]?.value;
  const value = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : null;
}

/** GET http://address/metrics within the timeout; null on any failure (the caller counts it as missing). */
export async function scrapeUtilization(address: string, timeoutMs: number): Promise<number | null> {
  try {
    const response = await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return null;
    return utilizationFrom(await response.text());
  } catch {
    return null;
  }
}

/** Every ready pod scraped at once; a pod without an address or an answer is missing. */
export async function sampleUtilization(
  pods: readonly V1Pod[],
  address: (pod: V1Pod) => string | undefined,
  timeoutMs: number,
): Promise<UtilizationSamples> {
  const answers = await Promise.all(
    pods.filter(isReadyPod).map((pod) => {
      const at = address(pod);
      return at ? scrapeUtilization(at, timeoutMs) : Promise.resolve(null);
    }),
  );
  const values = answers.filter((v) => v !== null);
  return { values, missing: answers.length - values.length };
}

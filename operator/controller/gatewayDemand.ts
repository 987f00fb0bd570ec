import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { HELD_REQUESTS_METRIC } from '../../contract/metrics.js';
import { hostPort } from '../../contract/names.js';
import { readPodEndpoint } from './podEndpoint.js';
import { familiesOf } from './utilization.js';

/**
 * A gateway's /metrics carries histograms per team and model: far more than a runtime's, and the
 * gateway is the admin's own, so its limit is only a guard against an endless answer.
 */
const GATEWAY_METRICS_MAX_BYTES = 16 * 1024 * 1024;

export interface GatewayDemand {
  /** Requests held per model id (`<namespace>/<name>`), summed over every gateway that answered. */
  held: Map<string, number>;
  /** The gateways that could not be read, and why (their held requests count as none). */
  unread: Array<{ address: string; problem: string }>;
}

/**
 * Every gateway behind `address` (host:port of a gateway's ops server): a name resolves to all its
 * addresses, so a headless Service of the gateway names each of its pods; an IP names itself.
 */
async function gatewaysAt(address: string): Promise<string[]> {
  const { hostname, port } = new URL(`http://${address}`);
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host)) return [hostPort(host, Number(port))];
  const found = await lookup(host, { all: true });
  return found.map((a) => hostPort(a.address, Number(port)));
}

/** gptoss_gateway_held_requests of one exposition, by its model label. */
function heldIn(text: string): Map<string, number> | null {
  const family = familiesOf(text)?.find((f) => f.name === HELD_REQUESTS_METRIC);
  if (!family) return null;
  const held = new Map<string, number>();
  for (const metric of family.metrics) {
    const model = (metric as { labels?: Record<string, string> }).labels?.model;
    const value = Number((metric as { value?: string }).value);
    if (model && Number.isFinite(value) && value > 0) held.set(model, (held.get(model) ?? 0) + value);
  }
  return held;
}

/**
 * The requests every gateway holds, per model, read from their /metrics once per autoscaler pass. A
 * gateway that does not answer holds nothing as far as scaling goes: as for a runtime, scaling up
 * never rests on a guess; the unread ones are said, for the log.
 */
export async function readGatewayDemand(addresses: readonly string[], timeoutMs: number): Promise<GatewayDemand> {
  const demand: GatewayDemand = { held: new Map(), unread: [] };
  const resolved = await Promise.all(
    addresses.map((address) =>
      gatewaysAt(address).catch((error: unknown) => {
        demand.unread.push({
          address,
          problem: `did not resolve: ${(error as { code?: string }).code ?? String(error)}`,
        });
        return [];
      }),
    ),
  );
  await Promise.all(
    [...new Set(resolved.flat())].map(async (address) => {
      const answer = await readPodEndpoint(`http://${address}/metrics`, {
        timeoutMs,
        maxBytes: GATEWAY_METRICS_MAX_BYTES,
      });
      const held = answer.ok ? heldIn(answer.text) : null;
      if (!held) {
        demand.unread.push({ address, problem: answer.ok ? `answered no ${HELD_REQUESTS_METRIC}` : answer.problem });
        return;
      }
      for (const [model, count] of held) demand.held.set(model, (demand.held.get(model) ?? 0) + count);
    }),
  );
  return demand;
}

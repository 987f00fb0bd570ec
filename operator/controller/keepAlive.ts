import type { Agent } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';

type AgentFactory = (cluster: { server?: string } | null, options: Record<string, unknown>) => Agent;

/** What makes two agents different: the server and the TLS credentials. */
const AGENT_KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

const same = (a: unknown, b: unknown) => a === b || (Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b));

/**
 * @kubernetes/client-node 1.4 builds a new https.Agent for every request, so every API call pays
 * a TCP and TLS handshake (kubernetes-client/javascript#2893; fixed only in 2.x, which needs a
 * newer Node). This keeps one keep-alive agent per cluster and credentials instead. Credentials
 * that change (rotated client certificates) get a new agent, as they are part of the key. They are
 * compared as they are (a few KiB of bytes): hashing them on every request cost more than that.
 */
export function reuseConnections(kc: KubeConfig): KubeConfig {
  const target = kc as unknown as { createAgent: AgentFactory };
  const create = target.createAgent.bind(kc);
  const agents: Array<{ server: string | undefined; options: Record<string, unknown>; agent: Agent }> = [];
  target.createAgent = (cluster, options) => {
    const found = agents.find(
      (a) => a.server === cluster?.server && AGENT_KEYS.every((k) => same(a.options[k], options[k])),
    );
    if (found) return found.agent;
    const agent = create(cluster, { ...options, keepAlive: true });
    agents.push({ server: cluster?.server, options, agent });
    return agent;
  };
  return kc;
}

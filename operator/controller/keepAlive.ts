import { createHash } from 'node:crypto';
import type { Agent } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';

type AgentFactory = (cluster: { server?: string } | null, options: Record<string, unknown>) => Agent;

/**
 * @kubernetes/client-node 1.4 builds a new https.Agent for every request, so every API call pays
 * a TCP and TLS handshake (kubernetes-client/javascript#2893; fixed only in 2.x, which needs a
 * newer Node). This keeps one keep-alive agent per cluster and credentials instead. Credentials
 * that change (rotated client certificates) get a new agent, as they are part of the key.
 */
export function reuseConnections(kc: KubeConfig): KubeConfig {
  const target = kc as unknown as { createAgent: AgentFactory };
  const create = target.createAgent.bind(kc);
  const agents = new Map<string, Agent>();
  target.createAgent = (cluster, options) => {
    const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = options;
    const id = createHash('sha256')
      .update(
        JSON.stringify([cluster?.server, ca, cert, key, pfx, passphrase, rejectUnauthorized, servername].map(String)),
      )
      .digest('hex');
    let agent = agents.get(id);
    if (!agent) {
      agent = create(cluster, { ...options, keepAlive: true });
      agents.set(id, agent);
    }
    return agent;
  };
  return kc;
}

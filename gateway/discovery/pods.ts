import type { V1Pod } from '@kubernetes/client-node';
import { MODEL_LABEL } from '../../contract/names.js';
import { RUNTIME_PORT_NAMES } from './endpointSlices.js';
import { modelKey, type KeyedReplica } from './served.js';

/**
 * The Ready replicas read from the runtime pods themselves (the local stack's replica source: the
 * dev agent's pods have loopback addresses, which no EndpointSlice may hold). A pod counts when it
 * is Ready, not being deleted, has an IP and its container names both ports.
 */
export function replicasFromPods(pods: Iterable<V1Pod>): KeyedReplica[] {
  const found: KeyedReplica[] = [];
  for (const pod of pods) {
    const name = pod.metadata?.labels?.[MODEL_LABEL];
    const namespace = pod.metadata?.namespace;
    const ip = pod.status?.podIP;
    const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (!name || !namespace || !pod.metadata?.name || !ip || !ready || pod.metadata.deletionTimestamp) continue;
    const ports = (pod.spec?.containers ?? []).flatMap((c) => c.ports ?? []);
    const port = (portName: string) => ports.find((p) => p.name === portName)?.containerPort;
    const [httpPort, grpcPort] = [port(RUNTIME_PORT_NAMES.http), port(RUNTIME_PORT_NAMES.grpc)];
    if (httpPort === undefined || grpcPort === undefined) continue;
    found.push({ model: modelKey(namespace, name), replica: { pod: pod.metadata.name, ip, httpPort, grpcPort } });
  }
  return found;
}

import type { V1Endpoint, V1EndpointSlice } from '@kubernetes/client-node';
import { grpcServiceName, httpServiceName, MODEL_LABEL } from '../../contract/names.js';
import { modelKey, type KeyedReplica } from './served.js';

/** The label the EndpointSlice controller puts on every slice: the name of its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/**
 * The port names of the runtime's two Services and its container (operator/planner/children): the
 * HTTP Service (the model's name) has `http`, the headless gRPC one (`<model>-grpc`) has `grpc`.
 */
export const RUNTIME_PORT_NAMES = { http: 'http', grpc: 'grpc' } as const;
type Side = keyof typeof RUNTIME_PORT_NAMES;

interface ReadyAddress {
  ip: string;
  port: number;
  ipv4: boolean;
}

/** Which model's Service a slice belongs to, and which of its two; null for any other slice. */
function sliceOwner(slice: V1EndpointSlice): { model: string; side: Side } | null {
  const labels = slice.metadata?.labels ?? {};
  const name = labels[MODEL_LABEL];
  const namespace = slice.metadata?.namespace;
  const service = labels[SERVICE_NAME_LABEL];
  if (!name || !namespace || !service) return null;
  const side = service === httpServiceName(name) ? 'http' : service === grpcServiceName(name) ? 'grpc' : null;
  return side && { model: modelKey(namespace, name), side };
}

/**
 * The pod behind a Ready endpoint; null when it is not Ready or names no pod. A nil `ready` means
 * ready, as the EndpointSlice API says consumers should read it; the controller always sets it.
 */
function readyPod(endpoint: V1Endpoint): string | null {
  if (endpoint.conditions?.ready === false || endpoint.targetRef?.kind !== 'Pod') return null;
  return endpoint.targetRef.name ?? null;
}

/**
 * The Ready replicas of every model whose Services' slices are given: a pod counts once it is Ready
 * in both the HTTP and the gRPC Service (their slices change one after the other), at its HTTP
 * address (IPv4 where a dual-stack pod has both), with the ports the slices name. A pod listed in
 * two slices of one Service (the controller moving it) counts once.
 */
export function replicasFromEndpointSlices(slices: Iterable<V1EndpointSlice>): KeyedReplica[] {
  const byPod = new Map<string, { model: string; pod: string } & Partial<Record<Side, ReadyAddress>>>();
  for (const slice of slices) {
    const owner = sliceOwner(slice);
    if (!owner || (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6')) continue;
    const port = slice.ports?.find((p) => p.name === RUNTIME_PORT_NAMES[owner.side])?.port;
    if (port === undefined) continue;
    for (const endpoint of slice.endpoints ?? []) {
      const pod = readyPod(endpoint);
      const ip = endpoint.addresses[0];
      if (!pod || !ip) continue;
      const key = `${owner.model}/${pod}`;
      const entry = byPod.get(key) ?? { model: owner.model, pod };
      const known = entry[owner.side];
      if (!known || (!known.ipv4 && slice.addressType === 'IPv4'))
        entry[owner.side] = { ip, port, ipv4: slice.addressType === 'IPv4' };
      byPod.set(key, entry);
    }
  }
  return [...byPod.values()].flatMap(({ model, pod, http, grpc }) =>
    http && grpc ? [{ model, replica: { pod, ip: http.ip, httpPort: http.port, grpcPort: grpc.port } }] : [],
  );
}

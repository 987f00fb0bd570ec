import type { V1Endpoint, V1EndpointSlice } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { replicasFromEndpointSlices } from '../../../gateway/discovery/endpointSlices.js';
import { groupReplicas } from '../../../gateway/discovery/served.js';

interface SliceOptions {
  model?: string;
  namespace?: string;
  addressType?: string;
  serviceName?: string;
  port?: number;
  portName?: string;
}

/** A slice as the EndpointSlice controller writes it for one of a model's two Services. */
function slice(service: 'http' | 'grpc', endpoints: V1Endpoint[], options: SliceOptions = {}): V1EndpointSlice {
  const { model = 'chat', namespace = 'team-a', addressType = 'IPv4' } = options;
  const serviceName = options.serviceName ?? (service === 'http' ? model : `${model}-grpc`);
  const port = options.port ?? (service === 'http' ? 8080 : 50051);
  const portName = options.portName ?? service;
  return {
    addressType,
    metadata: {
      namespace,
      name: `${serviceName}-x1`,
      labels: {
        'app.kubernetes.io/name': 'gptoss-runtime',
        'gptoss.io/model': model,
        'kubernetes.io/service-name': serviceName,
      },
    },
    ports: [{ name: portName, port, protocol: 'TCP' }],
    endpoints,
  };
}

const endpoint = (pod: string, ip: string, ready: boolean | undefined = true): V1Endpoint => ({
  addresses: [ip],
  conditions: ready === undefined ? {} : { ready },
  targetRef: { kind: 'Pod', name: pod, namespace: 'team-a' },
});
const both = (...endpoints: V1Endpoint[]) => [slice('http', endpoints), slice('grpc', endpoints)];
const replica = (pod: string, ip: string) => ({ pod, ip, httpPort: 8080, grpcPort: 50051 });
const read = (slices: V1EndpointSlice[]) => Object.fromEntries(groupReplicas(replicasFromEndpointSlices(slices)));

describe('replicas from EndpointSlices (pure)', () => {
  it.each<[string, V1EndpointSlice[], Record<string, unknown>]>([
    [
      'a pod Ready in both Services, ports by name from the slices, sorted by pod',
      both(endpoint('chat-b', '10.0.0.2'), endpoint('chat-a', '10.0.0.1')),
      { 'team-a/chat': [replica('chat-a', '10.0.0.1'), replica('chat-b', '10.0.0.2')] },
    ],
    ['ready false: left out', both(endpoint('chat-a', '10.0.0.1', false)), {}],
    [
      'ready unset: Ready, as the API says consumers read it',
      both(endpoint('chat-a', '10.0.0.1', undefined)),
      { 'team-a/chat': [replica('chat-a', '10.0.0.1')] },
    ],
    [
      'Ready in the HTTP Service only (the gRPC slice not updated yet)',
      [slice('http', [endpoint('p', '10.0.0.1')])],
      {},
    ],
    [
      'ports the slices name, whatever their numbers',
      [
        slice('http', [endpoint('chat-a', '10.0.0.1')], { port: 18080 }),
        slice('grpc', [endpoint('chat-a', '10.0.0.1')], { port: 15051 }),
      ],
      { 'team-a/chat': [{ pod: 'chat-a', ip: '10.0.0.1', httpPort: 18080, grpcPort: 15051 }] },
    ],
    [
      'a slice without the port name: left out',
      [slice('http', [endpoint('p', '10.0.0.1')], { portName: 'web' }), slice('grpc', [endpoint('p', '10.0.0.1')])],
      {},
    ],
    [
      "another Service with the runtime's labels: ignored",
      [
        slice('http', [endpoint('p', '10.0.0.1')], { serviceName: 'chat-metrics' }),
        slice('grpc', [endpoint('p', '10.0.0.1')]),
      ],
      {},
    ],
    ['an endpoint naming no pod: left out', both({ addresses: ['10.0.0.1'], conditions: { ready: true } }), {}],
    [
      'FQDN slices: ignored',
      [
        slice('http', [endpoint('p', 'chat.example.com')], { addressType: 'FQDN' }),
        slice('grpc', [endpoint('p', 'chat.example.com')], { addressType: 'FQDN' }),
      ],
      {},
    ],
    [
      'dual stack: the IPv4 address, whichever slice comes first',
      [
        slice('http', [endpoint('chat-a', 'fd00::1')], { addressType: 'IPv6' }),
        slice('http', [endpoint('chat-a', '10.0.0.1')]),
        slice('grpc', [endpoint('chat-a', 'fd00::1')], { addressType: 'IPv6' }),
      ],
      { 'team-a/chat': [replica('chat-a', '10.0.0.1')] },
    ],
    [
      'an IPv6-only pod',
      [
        slice('http', [endpoint('chat-a', 'fd00::1')], { addressType: 'IPv6' }),
        slice('grpc', [endpoint('chat-a', 'fd00::1')], { addressType: 'IPv6' }),
      ],
      { 'team-a/chat': [replica('chat-a', 'fd00::1')] },
    ],
    [
      'a pod in two slices of one Service (the controller moving it): once',
      [...both(endpoint('chat-a', '10.0.0.1')), slice('http', [endpoint('chat-a', '10.0.0.1')])],
      { 'team-a/chat': [replica('chat-a', '10.0.0.1')] },
    ],
    [
      'models of the same name in two namespaces stay apart',
      [
        ...both(endpoint('chat-a', '10.0.0.1')),
        slice('http', [endpoint('chat-a', '10.0.1.1')], { namespace: 'team-b' }),
        slice('grpc', [endpoint('chat-a', '10.0.1.1')], { namespace: 'team-b' }),
      ],
      { 'team-a/chat': [replica('chat-a', '10.0.0.1')], 'team-b/chat': [replica('chat-a', '10.0.1.1')] },
    ],
  ])('%s', (_, slices, expected) => {
    expect(read(slices)).toEqual(expected);
  });
});

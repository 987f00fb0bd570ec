import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../contract/errors.js';
import { DEFAULT_KEYS_NAMESPACE } from '../../contract/keys.js';
import { loadGatewayConfig } from '../../gateway/config.js';

describe("gptoss gateway's flags (pure)", () => {
  it('defaults, each written once in the flag table', () => {
    expect(loadGatewayConfig({})).toEqual({
      listenAddress: '127.0.0.1',
      httpPort: 8080,
      grpcPort: 50051,
      opsPort: 8081,
      namespaces: [],
      keysNamespace: DEFAULT_KEYS_NAMESPACE,
      replicas: 1,
      replicaSource: 'endpointslices',
      drainSeconds: 25,
      informerStallSeconds: 300,
      routing: 'prefix-hash',
      holdSeconds: 600,
      maxHeldPerModel: 256,
    });
  });

  it('flags as commander gives them (text): namespaces split at commas, numbers read', () => {
    expect(
      loadGatewayConfig({ namespaces: 'team-a,team-b', replicas: '3', httpPort: '0', replicaSource: 'pods' }),
    ).toMatchObject({ namespaces: ['team-a', 'team-b'], replicas: 3, httpPort: 0, replicaSource: 'pods' });
  });

  it('--routing: either strategy', () => {
    expect(loadGatewayConfig({ routing: 'least-load' })).toMatchObject({ routing: 'least-load' });
    expect(loadGatewayConfig({ routing: 'prefix-hash' })).toMatchObject({ routing: 'prefix-hash' });
  });

  it.each([
    [{ namespaces: 'team-a,Team_B' }, '--namespaces must be namespace names separated by commas'],
    [{ namespaces: 'team-a,,team-b' }, '--namespaces must be namespace names separated by commas'],
    [{ keysNamespace: 'Keys' }, '--keys-namespace must be a namespace name'],
    [{ httpPort: '70000' }, '--http-port must be between 0 and 65535'],
    [{ grpcPort: 'grpc' }, '--grpc-port must be a number'],
    [{ replicas: '0' }, '--replicas must be between 1 and 1000'],
    [{ replicas: '1.5' }, '--replicas must be a whole number'],
    [{ replicaSource: 'endpoints' }, '--replica-source must be endpointslices or pods'],
    [{ drainSeconds: '-1' }, '--drain-seconds must be between 0 and 3600'],
    [{ informerStallSeconds: '5' }, '--informer-stall-seconds must be between 10 and 3600'],
    [{ routing: 'round-robin' }, '--routing must be prefix-hash or least-load'],
    [{ routing: 'PREFIX-HASH' }, '--routing must be prefix-hash or least-load'],
    [{ holdSeconds: '0' }, '--hold-seconds must be between 1 and 3600'],
    [{ holdSeconds: 'ten' }, '--hold-seconds must be a number'],
    [{ maxHeldPerModel: '0' }, '--max-held-per-model must be between 1 and 100000'],
  ])('%j: %s', (flags, message) => {
    expect(() => loadGatewayConfig(flags)).toThrow(new ConfigError(message));
  });
});

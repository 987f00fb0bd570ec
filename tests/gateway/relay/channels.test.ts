import { describe, expect, it } from 'vitest';
import { ReplicaChannels, replicaGrpcAddress } from '../../../gateway/relay/grpc/channels.js';

describe('ReplicaChannels: one channel per replica, closed when the replica goes', () => {
  const replica = (pod: string, ip: string) => ({ pod, ip, httpPort: 8080, grpcPort: 50051 });

  it("reuses a replica's channel, and closes the channels of replicas gone", () => {
    const channels = new ReplicaChannels(1024);
    const [a, b] = [replica('a', '10.0.0.1'), replica('b', 'fd00::2')];
    const first = channels.client(a);
    expect(channels.client(a)).toBe(first);
    channels.client(b);
    expect(channels.open).toBe(2);
    expect(replicaGrpcAddress(b)).toBe('[fd00::2]:50051');
    channels.retain(new Set([replicaGrpcAddress(b)]));
    expect(channels.open).toBe(1);
    // the replica's next request, were it back, would open a new one
    expect(channels.client(a)).not.toBe(first);
    channels.closeAll();
    expect(channels.open).toBe(0);
  });
});

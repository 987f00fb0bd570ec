import { Client, credentials } from '@grpc/grpc-js';
import { hostPort } from '../../../contract/names.js';
import type { Replica } from '../../types.js';

/** Client-side settings of a channel to a replica. */
const CHANNEL_OPTIONS = {
  // a replica that vanished without a word (its node gone) is noticed within 40 s, its calls failed
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  // every channel its own connection: closing one for a replica that went closes its connection
  'grpc.use_local_subchannel_pool': 1,
};

export const replicaGrpcAddress = (replica: Pick<Replica, 'ip' | 'grpcPort'>) => hostPort(replica.ip, replica.grpcPort);

/** One grpc-js channel per replica, opened on first use and closed when the replica is gone. */
export class ReplicaChannels {
  private readonly clients = new Map<string, Client>();

  constructor(private readonly maxMessageBytes: number) {}

  client(replica: Replica): Client {
    const address = replicaGrpcAddress(replica);
    let client = this.clients.get(address);
    if (!client) {
      client = new Client(address, credentials.createInsecure(), {
        ...CHANNEL_OPTIONS,
        'grpc.max_send_message_length': this.maxMessageBytes,
      });
      this.clients.set(address, client);
    }
    return client;
  }

  /** Closes the channels of addresses not in `live`; grpc-js lets calls already open on one finish. */
  retain(live: ReadonlySet<string>): void {
    for (const [address, client] of this.clients) {
      if (live.has(address)) continue;
      client.close();
      this.clients.delete(address);
    }
  }

  get open(): number {
    return this.clients.size;
  }

  closeAll(): void {
    this.retain(new Set());
  }
}

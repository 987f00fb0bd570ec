import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { V1Pod } from '@kubernetes/client-node';
import { EngineRef } from '../../runtime/engine/engineRef.js';
import type { Engine } from '../../runtime/engine/engine.js';
import type { EngineStats } from '../../runtime/engine/types.js';
import { RuntimeMetrics } from '../../runtime/metrics.js';

/**
 * Fake runtime metrics endpoints standing in for runtime pods (kwok's pods run nothing): each
 * listens on its own 127.0.0.x and serves the runtime's real /metrics exposition (RuntimeMetrics)
 * from a fake engine's slot counts. `requests` concurrent requests are spread evenly over the
 * ready pods (`readyPods()`), as the model's Service would spread them. Pods are mapped to
 * endpoints by name, in the order they are first seen.
 */
export class FakeRuntimeEndpoints {
  /** Concurrent requests on the whole model. */
  requests = 0;
  private readonly servers: Array<{ server: Server; address: string }> = [];
  private readonly byPod = new Map<string, string>();

  private constructor(
    private readonly slots: number,
    private readonly readyPods: () => number,
  ) {}

  static async start(count: number, slots: number, readyPods: () => number): Promise<FakeRuntimeEndpoints> {
    const endpoints = new FakeRuntimeEndpoints(slots, readyPods);
    for (let i = 0; i < count; i++) {
      const metrics = new RuntimeMetrics(endpoints.engineRef(), slots);
      const server = createServer((req, res) => {
        if (req.url !== '/metrics') return void res.writeHead(404).end();
        metrics.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
          () => res.writeHead(500).end(),
        );
      });
      const host = `127.0.0.${11 + i}`;
      server.listen(0, host);
      await once(server, 'listening');
      endpoints.servers.push({ server, address: `${host}:${(server.address() as AddressInfo).port}` });
    }
    return endpoints;
  }

  /** The injectable podAddress: each pod its own endpoint. */
  readonly podAddress = (pod: V1Pod): string => {
    const name = pod.metadata!.name!;
    let address = this.byPod.get(name);
    if (!address) {
      address = this.servers[this.byPod.size]?.address;
      if (!address) throw new Error(`more pods than the ${this.servers.length} fake metrics endpoints`);
      this.byPod.set(name, address);
    }
    return address;
  };

  async close(): Promise<void> {
    await Promise.all(
      this.servers.map(({ server }) => {
        server.closeAllConnections();
        return new Promise((resolve) => server.close(resolve));
      }),
    );
  }

  /** A fake engine (a collaborator of RuntimeMetrics): only the slot counts, from this pod's share. */
  private engineRef(): EngineRef {
    const ref = new EngineRef();
    const stats = (): EngineStats => {
      const share = this.requests / Math.max(1, this.readyPods());
      return {
        slotsBusy: Math.min(this.slots, share),
        slotsTotal: this.slots,
        requestsWaiting: Math.max(0, share - this.slots),
        kvCellsUsed: 0,
        kvCellsTotal: 0,
      };
    };
    ref.set({ stats, deviceMemory: async () => ({ used: 0, total: 0 }) } as unknown as Engine);
    return ref;
  }
}

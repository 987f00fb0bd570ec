import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * forward: bytes pass both ways. refuse: every open connection is dropped and new ones are closed
 * at once (an API server that errs). freeze: connections stay open and new ones are accepted, but
 * nothing passes either way (a network that stops delivering: requests hang until their timeout).
 */
export type ProxyMode = 'forward' | 'refuse' | 'freeze';

export interface TcpProxy {
  port: number;
  mode(next: ProxyMode): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 (port 0) in front of one address, for putting one client of the API
 * server (an operator process) behind a connection the test can break. TLS passes through untouched.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: ProxyMode = 'forward';
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    if (mode === 'refuse') {
      client.destroy();
      return;
    }
    const upstream = createConnection(target);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const [from, to] of [pair, [upstream, client] as const]) {
      from.on('data', (data) => to.write(data));
      from.on('error', end);
      from.on('close', end);
    }
    if (mode === 'freeze') for (const s of pair) s.pause();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    mode(next) {
      mode = next;
      for (const pair of pairs) {
        for (const s of pair) {
          if (next === 'refuse') s.destroy();
          else if (next === 'freeze') s.pause();
          else s.resume();
        }
      }
    },
    async close() {
      for (const pair of pairs) for (const s of pair) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A copy of a kubeconfig whose cluster is reached through the proxy (the server's certificate names 127.0.0.1). */
export function kubeconfigThrough(kubeconfig: string, proxy: TcpProxy): string {
  const config = parse(readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] };
  for (const { cluster } of config.clusters) cluster.server = `https://127.0.0.1:${proxy.port}`;
  const file = join(mkdtempSync(join(tmpdir(), 'gptoss-proxied-')), 'kubeconfig');
  writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  return file;
}

/** Where a kubeconfig's cluster listens. */
export function apiServerAddress(kubeconfig: string): { host: string; port: number } {
  const config = parse(readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] };
  const url = new URL(config.clusters[0]!.cluster.server);
  return { host: url.hostname, port: Number(url.port) };
}

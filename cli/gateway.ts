import type { Command } from 'commander';
import type { Logger } from '../contract/log.js';
import { GATEWAY_FLAGS, type GatewayConfig } from '../gateway/config.js';
import { fail } from './fail.js';
import { flagCommand } from './flags.js';

/** Serves until SIGTERM or SIGINT, printing HTTP=, GRPC= and OPS= on stdout once ready; drains on the way out. */
async function serveGateway(config: GatewayConfig, log: Logger): Promise<void> {
  const [{ startGateway }, { KubeConfig }] = await Promise.all([
    import('../gateway/serve.js'),
    import('@kubernetes/client-node'),
  ]);
  const kc = new KubeConfig();
  kc.loadFromDefault();
  let gateway;
  try {
    gateway = await startGateway({ config, kc, log });
  } catch (error) {
    fail('gateway', new Error('starting the gateway', { cause: error }));
  }
  process.stdout.write(`HTTP=${gateway.httpUrl}\nGRPC=${gateway.grpcAddress}\nOPS=${gateway.opsUrl}\n`);
  const stop = () => {
    gateway.stop().then(
      () => process.exit(0),
      (error: unknown) => fail('gateway', error),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** `gptoss gateway` (kubeconfig from KUBECONFIG, ~/.kube/config or in-cluster). */
export function configure(command: Command, logLevel: () => string): void {
  flagCommand(
    command,
    GATEWAY_FLAGS,
    logLevel,
    async (flags) => (await import('../gateway/config.js')).loadGatewayConfig(flags),
    serveGateway,
  );
}

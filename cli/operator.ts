import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../runtime/config.js';
import { createLogger } from '../runtime/log.js';
import { fail } from './fail.js';

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerOperator(program: Command): void {
  program
    .command('operator')
    .description('run the GptOssModel operator (kubeconfig from KUBECONFIG, ~/.kube/config or in-cluster)')
    .option('--namespace <ns>', 'watch this namespace (repeat for several; default: all)', collect, [])
    .option('--listen-address <addr>', 'address of /metrics, /healthz and /readyz', '127.0.0.1')
    .option('--port <port>', 'port of /metrics, /healthz and /readyz (0 picks a free one)', '8081')
    .option('--runtime-image <image>', 'default runtime image')
    .option('--lease-namespace <ns>', 'namespace of the leader-election Lease', 'default')
    .option('--lease-duration-seconds <n>', 'how long a leader\'s Lease lasts without renewal', '15')
    .option('--workers <n>', 'models reconciled at once', '4')
    .option('--config <file>', 'YAML file of settings (the keys of operator/config.ts, as the Helm chart mounts it); flags given override it')
    .action(async (flags: Record<string, string | string[] | undefined>, command: Command) => {
      const log = createLogger(program.opts().logLevel as string);
      const [{ operatorConfigSchema }, { startOperator }, { KubeConfig }] = await Promise.all([
        import('../operator/config.js'), import('../operator/controller/manager.js'), import('@kubernetes/client-node'),
      ]);
      const fromFlags: Record<string, unknown> = {
        namespaces: flags.namespace, listenAddress: flags.listenAddress, port: Number(flags.port),
        runtimeImage: flags.runtimeImage, leaseNamespace: flags.leaseNamespace,
        leaseDurationSeconds: Number(flags.leaseDurationSeconds), workers: Number(flags.workers),
      };
      // the file's settings over the flags' defaults, and the flags given on the command line over both
      let fromFile: Record<string, unknown> = {};
      if (typeof flags.config === 'string') {
        try {
          fromFile = (parseYaml(readFileSync(flags.config, 'utf8')) ?? {}) as Record<string, unknown>;
        } catch (error) {
          fail('operator', new ConfigError(`--config ${flags.config}: ${(error as Error).message}`));
        }
      }
      const optionName = (key: string) => key === 'namespaces' ? 'namespace' : key;
      const given = Object.fromEntries(Object.entries(fromFlags).filter(([key]) => command.getOptionValueSource(optionName(key)) === 'cli'));
      const parsed = operatorConfigSchema.safeParse({ ...fromFlags, ...fromFile, ...given });
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        fail('operator', new ConfigError(`--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${issue.message}`));
      }
      const kc = new KubeConfig();
      kc.loadFromDefault();
      let running;
      try {
        // another process may be leading by now: exit and come back as a fresh candidate
        running = await startOperator(kc, parsed.data, log, () => process.exit(1));
      } catch (error) {
        fail('operator', new Error('starting the operator', { cause: error }));
      }
      process.stdout.write(`HTTP=${running.url}\n`);
      const stop = () => { running.stop().then(() => process.exit(0), (error: unknown) => fail('operator', error)); };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}

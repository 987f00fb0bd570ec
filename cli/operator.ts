import { Option, type Command } from 'commander';
import { createLogger } from '../runtime/log.js';
import { fail } from './fail.js';

const collect = (value: string, previous: string[]) => [...previous, value];
/** A number flag stays a number or undefined (absent: the file or the default decides); NaN fails validation by name. */
const num = (value: string | undefined) => (value === undefined ? undefined : Number(value));

export function registerOperator(program: Command): void {
  program
    .command('operator')
    .description('run the GptOssModel operator (kubeconfig from KUBECONFIG, ~/.kube/config or in-cluster)')
    .option('--config <file>', 'YAML settings (keys as in docs/operator.md); flags override it')
    .option('--namespace <ns>', 'watch this namespace (repeat for several; default: all)', collect, [])
    .option('--listen-address <addr>', 'address of /metrics, /healthz and /readyz (default 127.0.0.1)')
    .option('--port <port>', 'port of /metrics, /healthz and /readyz; 0 picks a free one (default 8081)')
    .option('--runtime-image <image>', 'default runtime image')
    .option('--lease-namespace <ns>', 'namespace of the leader-election Lease (default: default)')
    .option('--lease-name <name>', 'name of the leader-election Lease (default gptoss-operator)')
    .option('--lease-duration-seconds <n>', 'how long a leader\'s Lease lasts without renewal (default 15)')
    .option('--identity <id>', 'this candidate\'s name in the Lease (default: host name and pid)')
    .option('--workers <n>', 'models reconciled at once (default 4)')
    // crash-point tests only: exit right after the n-th API write
    .addOption(new Option('--exit-after-writes <n>').hideHelp())
    .action(async (flags: Record<string, string | string[] | undefined>) => {
      const log = createLogger(program.opts().logLevel as string);
      const [{ loadOperatorConfig }, { startOperator }, { KubeConfig }] = await Promise.all([
        import('../operator/config.js'), import('../operator/controller/manager.js'), import('@kubernetes/client-node'),
      ]);
      let config;
      try {
        config = loadOperatorConfig({
          namespaces: flags.namespace as string[], listenAddress: flags.listenAddress as string | undefined,
          port: num(flags.port as string | undefined), runtimeImage: flags.runtimeImage as string | undefined,
          leaseNamespace: flags.leaseNamespace as string | undefined, leaseName: flags.leaseName as string | undefined,
          leaseDurationSeconds: num(flags.leaseDurationSeconds as string | undefined), identity: flags.identity as string | undefined,
          workers: num(flags.workers as string | undefined), exitAfterWrites: num(flags.exitAfterWrites as string | undefined),
        }, flags.config as string | undefined);
      } catch (error) {
        fail('operator', error);
      }
      const kc = new KubeConfig();
      kc.loadFromDefault();
      let writes = 0;
      const exitAfter = config.exitAfterWrites;
      const hooks = exitAfter ? {
        afterWrite: (what: string) => {
          writes += 1;
          if (writes < exitAfter) return;
          log.warn({ writes, last: what }, 'Exited at a crash point');
          process.exit(3);
        },
      } : {};
      let running;
      try {
        // another process may be leading by now: exit and come back as a fresh candidate
        running = await startOperator(kc, config, log, () => process.exit(1), hooks);
      } catch (error) {
        fail('operator', new Error('starting the operator', { cause: error }));
      }
      process.stdout.write(`HTTP=${running.url}\n`);
      const stop = () => { running.stop().then(() => process.exit(0), (error: unknown) => fail('operator', error)); };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}

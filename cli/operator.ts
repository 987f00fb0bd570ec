import type { Command } from 'commander';
import * as z from 'zod';
import { createLogger } from '../contract/log.js';
import { collectStartupGarbage } from '../contract/startupGarbage.js';
import type { FlagTable } from '../contract/flags.js';
import { operatorConfigSchema, type OperatorConfig } from '../operator/config.js';
import { fail } from './fail.js';
import { addFlags } from './flags.js';

/**
 * The flags of `gptoss operator`, each a setting of the config file (docs/operator.md) that it
 * overrides; the schema holds the defaults, so an absent flag leaves the file's value or the default.
 */
function operatorFlags() {
  const setting = operatorConfigSchema().shape;
  return {
    config: {
      flag: '--config <file>',
      help: 'YAML settings (keys as in docs/operator.md); flags override it',
      schema: z.string().optional(),
    },
    namespace: {
      flag: '--namespace <ns>',
      help: 'watch this namespace (repeat for several; default: all)',
      repeat: true,
      schema: setting.namespaces,
    },
    listenAddress: {
      flag: '--listen-address <addr>',
      help: 'address of /metrics, /healthz and /readyz',
      schema: setting.listenAddress,
    },
    port: {
      flag: '--port <port>',
      help: 'port of /metrics, /healthz and /readyz; 0 picks a free one',
      schema: setting.port,
    },
    runtimeImage: { flag: '--runtime-image <image>', help: 'default runtime image', schema: setting.runtimeImage },
    leaseNamespace: {
      flag: '--lease-namespace <ns>',
      help: 'namespace of the leader-election Lease',
      schema: setting.leaseNamespace,
    },
    leaseName: { flag: '--lease-name <name>', help: 'name of the leader-election Lease', schema: setting.leaseName },
    renewDeadlineSeconds: {
      flag: '--renew-deadline-seconds <n>',
      help: 'how long the leader may go without renewing before it stops leading (default: two thirds of the lease)',
      schema: setting.renewDeadlineSeconds,
    },
    leaseDurationSeconds: {
      flag: '--lease-duration-seconds <n>',
      help: "how long a leader's Lease lasts without renewal",
      schema: setting.leaseDurationSeconds,
    },
    identity: {
      flag: '--identity <id>',
      help: "this candidate's name in the Lease (default: host name and pid)",
      schema: setting.identity.optional(),
    },
    workers: { flag: '--workers <n>', help: 'models reconciled at once', schema: setting.workers },
  } satisfies FlagTable;
}

/** A number flag stays a number (NaN fails validation by name); the rest are text. */
const NUMBERS = Object.fromEntries(
  ['port', 'leaseDurationSeconds', 'renewDeadlineSeconds', 'workers'].map((key) => [key, Number]),
);

export function configure(command: Command, logLevel: () => string): void {
  addFlags(command, operatorFlags(), NUMBERS).action(
    async ({ config: file, namespace, ...flags }: Record<string, unknown>) => {
      const log = createLogger(logLevel());
      const [{ loadOperatorConfig }, { startOperator }, { KubeClient }, { defaultKubeTarget }] = await Promise.all([
        import('../operator/config.js'),
        import('../operator/controller/manager.js'),
        import('../contract/kube/client.js'),
        import('../contract/kube/target.js'),
      ]);
      let config: OperatorConfig;
      try {
        config = loadOperatorConfig(
          { ...flags, namespaces: namespace as string[] | undefined },
          file as string | undefined,
        );
      } catch (error) {
        fail('operator', error);
      }
      let running;
      try {
        const client = new KubeClient(await defaultKubeTarget());
        // another process may be leading by now: exit and come back as a fresh candidate
        running = await startOperator(client, config, log, () => process.exit(1));
      } catch (error) {
        fail('operator', new Error('starting the operator', { cause: error }));
      }
      collectStartupGarbage();
      process.stdout.write(`HTTP=${running.url}\n`);
      const stop = () => {
        running.stop().then(
          () => process.exit(0),
          (error: unknown) => fail('operator', error),
        );
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    },
  );
}

import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeError } from '../../contract/errors.js';
import { createLogger } from '../../contract/log.js';
import { isHealthy, readState } from '../cluster.js';
import { startAgent } from './agent.js';
import { AgentConfigError } from './config.js';

/**
 * npm run agent -- --name CLUSTER | --kubeconfig FILE [--node-name NAME] [--state-dir DIR] [--pod-subnet CIDR]
 *   [--gpu-product P] [--gpu-count N] [--gpu-memory-mib N] [--delete-node-on-stop] [--log-level L]
 * --name takes a local cluster's kubeconfig (npm run cluster); --kubeconfig any other cluster's.
 * Runs until SIGINT or SIGTERM; prints NODE=<name> and STATE=<dir> on stdout once registered.
 */
const USAGE =
  'usage: npm run agent -- --name CLUSTER | --kubeconfig FILE [--node-name NAME] [--state-dir DIR] ' +
  '[--pod-subnet CIDR] [--gpu-product P] [--gpu-count N] [--gpu-memory-mib N] [--delete-node-on-stop] ' +
  '[--log-level debug|info|warn|error]';

const number = (flag: string, value: string | undefined) => {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new AgentConfigError(`--${flag} must be a whole number`);
  return Number(value);
};

try {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      kubeconfig: { type: 'string' },
      'node-name': { type: 'string' },
      'state-dir': { type: 'string' },
      'pod-subnet': { type: 'string' },
      'gpu-product': { type: 'string' },
      'gpu-count': { type: 'string' },
      'gpu-memory-mib': { type: 'string' },
      'delete-node-on-stop': { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'info' },
    },
  });
  if (positionals.length > 0 || (values.name === undefined) === (values.kubeconfig === undefined))
    throw new AgentConfigError(USAGE);
  const nodeName = values['node-name'] ?? 'gptoss-dev-0';
  let cluster: { kubeconfig: string; stateDir?: string };
  if (values.name !== undefined) {
    const state = readState(values.name);
    if (!state || !(await isHealthy(state))) {
      throw new Error(
        `cluster ${values.name} is not running: start it with npm run cluster -- up --name ${values.name}`,
      );
    }
    // inside the cluster's state folder: `cluster down` removes it with the rest
    cluster = { kubeconfig: state.kubeconfig, stateDir: join(state.dir, 'agent', nodeName) };
  } else {
    cluster = { kubeconfig: resolve(values.kubeconfig!) };
  }
  const log = createLogger(values['log-level']);
  const agent = await startAgent({
    kubeconfig: cluster.kubeconfig,
    log,
    nodeName,
    stateDir: values['state-dir'] ? resolve(values['state-dir']) : cluster.stateDir,
    podSubnet: values['pod-subnet'],
    gpu: {
      product: values['gpu-product'],
      count: number('gpu-count', values['gpu-count']),
      memoryMiB: number('gpu-memory-mib', values['gpu-memory-mib']),
    },
    deleteNodeOnStop: values['delete-node-on-stop'],
  });
  process.stdout.write(`NODE=${agent.nodeName}\nSTATE=${agent.stateDir}\n`);
  const stop = () => {
    agent.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`agent: ${describeError(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (error) {
  process.stderr.write(`agent: ${describeError(error)}\n`);
  process.exit(
    error instanceof AgentConfigError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1,
  );
}

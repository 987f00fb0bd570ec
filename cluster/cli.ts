import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeError } from '../contract/errors.js';
import { down, status, up } from './cluster.js';

/**
 * npm run cluster -- up | down | status [--name NAME] [--nodes FILE] [--audit-policy FILE]
 * `up` prints KUBECONFIG=<path> as its last line on stdout.
 */
const USAGE = 'usage: npm run cluster -- up | down | status [--name NAME] [--nodes FILE] [--audit-policy FILE]';

try {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: 'string', default: 'test' },
      nodes: { type: 'string' },
      'audit-policy': { type: 'string' },
    },
  });
  const [command, ...rest] = positionals;
  if (rest.length || !['up', 'down', 'status'].includes(command ?? '')) throw new Error(USAGE);
  const name = values.name;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error('--name must be lower-case letters, digits and -');
  if (command === 'up') {
    const state = await up({
      name,
      nodesFile: values.nodes && resolve(values.nodes),
      auditPolicy: values['audit-policy'] && resolve(values['audit-policy']),
    });
    process.stdout.write(`KUBECONFIG=${state.kubeconfig}\n`);
  } else if (command === 'down') {
    await down(name);
  } else {
    process.stdout.write(`${await status(name)}\n`);
  }
} catch (error) {
  process.stderr.write(`cluster: ${describeError(error)}\n`);
  process.exit(error instanceof Error && error.message === USAGE ? 2 : 1);
}

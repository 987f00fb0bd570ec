import { spawnSync } from 'node:child_process';
import { readState } from './cluster.js';

/**
 * `npm run kubectl -- <args>`: the kubectl this project built (cached with the local control
 * plane) against a local cluster: the demo's (`npm start`), or the one GPTOSS_CLUSTER names. The
 * examples npm start prints need no kubectl of the user's own.
 */
const name = process.env.GPTOSS_CLUSTER ?? process.env.GPTOSS_DEMO_CLUSTER ?? 'demo';
const state = readState(name);
if (!state) {
  process.stderr.write(`kubectl: no local cluster named ${name} is running (npm start brings up the demo)\n`);
  process.exit(1);
}
const run = spawnSync(state.binaries.kubectl, [`--kubeconfig=${state.kubeconfig}`, ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(run.status ?? 1);

/**
 * The operator's controller-runtime twin (../shared/anchor-operator: `refop`, controller-runtime v0.22 writing the
 * same children, status and Events for a GptOssModel), built with Go when Go is present, and run as the bench runs
 * ours: one namespace, its Lease there, 4 workers.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../contract/paths.js';
import { ensureGoBinaries, runGo } from '../scripts/goBuild.js';

/** Where the twin's source is: GPTOSS_TWIN_DIR, or the shared folder beside the checkout. */
export const TWIN_DIR = process.env.GPTOSS_TWIN_DIR ?? join(PACKAGE_ROOT, '..', 'shared', 'anchor-operator');

/** What the twin is built from: its module files, the reference operator and the model template it writes. */
function sources(): string[] {
  const under = (dir: string) => readdirSync(join(TWIN_DIR, dir)).map((f) => join(dir, f));
  return ['go.mod', 'go.sum', ...under('cmd/refop'), ...under('gom')];
}

/** Why the twin cannot run here (no Go, no source), or null. */
export function twinUnavailable(): string | null {
  if (!existsSync(join(TWIN_DIR, 'cmd', 'refop'))) return `no twin source in ${TWIN_DIR} (set GPTOSS_TWIN_DIR)`;
  if (spawnSync('go', ['version'], { stdio: 'ignore' }).status !== 0) return 'no go command on PATH';
  return null;
}

/** Builds refop once per source version (cached like the cluster's Go binaries); its path. */
export async function buildTwin(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of sources()) hash.update(file).update(readFileSync(join(TWIN_DIR, file)));
  const key = `anchor-twin-${hash.digest('hex').slice(0, 12)}`;
  const dir = await ensureGoBinaries({
    key,
    binaries: ['refop'],
    // built from a copy: the shared folder may be read-only, and go may touch go.sum
    build: async (out, work) => {
      for (const file of sources()) cpSync(join(TWIN_DIR, file), join(work, file), { recursive: true });
      await runGo(['build', '-v', '-o', join(out, 'refop'), './cmd/refop'], { cwd: work, label: key });
    },
  });
  return join(dir, 'refop');
}

/** refop on one namespace (models and Lease), its metrics on `metricsPort`; warnings only on stderr. */
export function spawnTwin(binary: string, namespace: string, kubeconfig: string, workers: string, metricsPort: number) {
  const args = ['--namespace', namespace, '--workers', workers, '--metrics-bind-address', `127.0.0.1:${metricsPort}`];
  return spawn(binary, args, {
    env: { ...process.env, KUBECONFIG: kubeconfig },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

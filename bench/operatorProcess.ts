import { spawn, type StdioOptions } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../contract/paths.js';
import { IMAGES } from '../scripts/images.js';

export const GPTOSS = join(PACKAGE_ROOT, 'dist', 'cli', 'gptoss.js');

export interface BenchOperator {
  /** The operator's configuration file, as YAML: what the benchmark needs over the defaults (its policy at least). */
  config: string;
  /** The namespace it watches and holds its Lease in. */
  namespace: string;
  kubeconfig: string;
  extraArgs?: string[];
  /** Node.js flags before the program: the operator image's unless said. */
  nodeFlags?: readonly string[];
  /** The `gptoss` program: the built one unless said (bench:operator runs the image's bundle). */
  program?: string;
  stdio?: StdioOptions;
}

/**
 * `gptoss operator` as a benchmark runs it: one namespace, logging warnings only, its ops server on a free port, on
 * Node.js with the flags its image gives it.
 */
export function spawnOperator({
  config,
  namespace,
  kubeconfig,
  extraArgs = [],
  nodeFlags = IMAGES.operator.nodeFlags,
  program = GPTOSS,
  stdio = 'ignore',
}: BenchOperator) {
  const configFile = join(mkdtempSync(join(tmpdir(), 'gptoss-bench-')), 'operator.yaml');
  writeFileSync(configFile, config);
  const args = ['--log-level', 'warn', 'operator', '--config', configFile, '--namespace', namespace];
  const argv = [program, ...args, '--lease-namespace', namespace, '--port', '0', ...extraArgs];
  return spawn(process.execPath, [...nodeFlags, ...argv], {
    env: { ...process.env, KUBECONFIG: kubeconfig },
    stdio,
  });
}

/** A policy that lets models name files in this folder of the node (the benchmarks' synthetic models). */
export const hostPathPolicy = (folder: string) => `policy:\n  hostPathPrefixes: [${JSON.stringify(folder)}]\n`;

import { join } from 'node:path';
import { cacheRoot, ensureGoBinaries, goInstall, type GoBinaries } from './goBuild.js';

/** Real clients the tests use, built from the Go module proxy on first use (see goBuild.ts). */
const TOOLS = {
  grpcurl: goInstall('grpcurl-v1.9.4', 'grpcurl', 'github.com/fullstorydev/grpcurl/cmd/grpcurl', 'v1.9.4', '-X main.version=v1.9.4'),
  'grpc-health-probe': goInstall('grpc-health-probe-v0.4.63', 'grpc-health-probe', 'github.com/grpc-ecosystem/grpc-health-probe', 'v0.4.63'),
  promtool: goInstall('promtool-v0.316.0', 'promtool', 'github.com/prometheus/prometheus/cmd/promtool', 'v0.316.0',
    '-X github.com/prometheus/common/version.Version=0.316.0'),
} satisfies Record<string, GoBinaries>;

export type ToolName = keyof typeof TOOLS;

export function toolPath(name: ToolName): string {
  return join(cacheRoot(), 'bin', TOOLS[name].key, name);
}

export async function ensureAllTools(): Promise<void> {
  for (const spec of Object.values(TOOLS)) await ensureGoBinaries(spec);
}

/** `npm run tools`: every binary the tests use, the local cluster's included, built once. */
if (process.argv[1]?.endsWith('tools.js')) {
  const { ensureClusterBinaries } = await import('../cluster/binaries.js');
  const started = Date.now();
  await ensureAllTools();
  const cluster = await ensureClusterBinaries();
  for (const name of Object.keys(TOOLS) as ToolName[]) process.stdout.write(`${name}=${toolPath(name)}\n`);
  for (const [name, path] of Object.entries(cluster)) process.stdout.write(`${name}=${path}\n`);
  process.stderr.write(`Binaries ready in ${Math.round((Date.now() - started) / 1000)} s\n`);
}

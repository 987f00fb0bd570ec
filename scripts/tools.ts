import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Real clients the tests use, built from the Go module proxy on first use and cached outside the
 * repository, keyed by version. GPTOSS_TOOLS_DIR moves the cache.
 */
export const TOOLS = {
  grpcurl: { module: 'github.com/fullstorydev/grpcurl/cmd/grpcurl', version: 'v1.9.4', ldflags: '-X main.version=v1.9.4' },
  'grpc-health-probe': { module: 'github.com/grpc-ecosystem/grpc-health-probe', version: 'v0.4.63', ldflags: '' },
  promtool: { module: 'github.com/prometheus/prometheus/cmd/promtool', version: 'v0.316.0', ldflags: '-X github.com/prometheus/common/version.Version=0.316.0' },
} as const;

export type ToolName = keyof typeof TOOLS;

export function toolsDir(): string {
  return process.env.GPTOSS_TOOLS_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'gptoss', 'tools');
}

export function toolPath(name: ToolName): string {
  return join(toolsDir(), `${name}-${TOOLS[name].version}`, name);
}

/** Builds the tool if its cached binary is missing; returns its path. */
export function ensureTool(name: ToolName, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): string {
  const target = toolPath(name);
  if (existsSync(target)) return target;
  const { module, version, ldflags } = TOOLS[name];
  const staging = `${target}.building-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  log(`Building ${name} ${version} from the Go module proxy (first run only; cached in ${toolsDir()})...`);
  const started = Date.now();
  const result = spawnSync('go', ['install', ...(ldflags ? [`-ldflags=${ldflags}`] : []), `${module}@${version}`], {
    env: { ...process.env, GOBIN: staging, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`building ${name} ${version} failed (go install exited ${result.status ?? result.signal})`);
  }
  mkdirSync(join(target, '..'), { recursive: true });
  renameSync(join(staging, name), target);
  rmSync(staging, { recursive: true, force: true });
  log(`Built ${name} ${version} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return target;
}

export function ensureAllTools(): Record<ToolName, string> {
  return Object.fromEntries((Object.keys(TOOLS) as ToolName[]).map((name) => [name, ensureTool(name)])) as Record<ToolName, string>;
}

if (process.argv[1]?.endsWith('tools.js')) {
  for (const [name, path] of Object.entries(ensureAllTools())) process.stdout.write(`${name}=${path}\n`);
}

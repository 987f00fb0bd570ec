import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, ensureGoBinaries, goInstall, wrapperModule, type GoBinaries } from './goBuild.js';
import { ensureHarmonyOracle } from './harmonyOracle.js';
import { ensureKedaCrd } from './kedaCrd.js';

const PROMTOOL_GO = goInstall(
  'promtool-v0.316.0',
  'promtool',
  'github.com/prometheus/prometheus/cmd/promtool',
  'v0.316.0',
  '-X github.com/prometheus/common/version.Version=0.316.0',
);

/**
 * promtool from Debian's prometheus package, unpacked (not installed: no service, no dependencies).
 * Building it from the Go module proxy takes about seven minutes of a cold CI run on two cores; the
 * package takes seconds. Where apt is not available, it is built from source instead.
 */
const promtool: GoBinaries = existsSync('/usr/bin/apt-get')
  ? {
      key: 'promtool-debian',
      binaries: ['promtool'],
      async build(out, work) {
        const run = (cmd: string, args: string[], quiet = false) =>
          execFileSync(cmd, args, { cwd: work, stdio: ['ignore', 'ignore', quiet ? 'ignore' : 'inherit'] });
        const download = (quiet: boolean) =>
          run('apt-get', ['download', '-qq', '-o', 'APT::Sandbox::User=root', 'prometheus'], quiet);
        try {
          download(true);
        } catch {
          run('apt-get', ['update', '-qq']); // a fresh machine has no package lists yet
          download(false);
        }
        const deb = readdirSync(work).find((f) => /^prometheus_.*\.deb$/.test(f));
        if (!deb) throw new Error('apt-get download prometheus left no .deb');
        const tree = mkdtempSync(join(work, 'tree-'));
        run('dpkg-deb', ['-x', deb, tree]);
        renameSync(join(tree, 'usr', 'bin', 'promtool'), join(out, 'promtool'));
        rmSync(tree, { recursive: true, force: true });
        rmSync(join(work, deb), { force: true });
      },
    }
  : PROMTOOL_GO;

const BUILDKIT = 'v0.34.2';

/**
 * `docker build --check` without a Docker engine: BuildKit's own Dockerfile linter
 * (dockerfile2llb.DockerfileLint, the rules `docker build --check` reports) over the files named on
 * the command line; it prints one line per warning and exits 1 when there is any. BuildKit ships no
 * such command, hence this small main.
 */
const dockerfileCheck = wrapperModule({
  key: `dockerfile-check-buildkit-${BUILDKIT}`,
  binaries: ['dockerfile-check'],
  goMod: () =>
    [
      'module gptoss.local/dockerfile-check',
      '',
      'go 1.24.0',
      '',
      `require github.com/moby/buildkit ${BUILDKIT}`,
      '',
    ].join('\n'),
  files: {
    'main.go': `package main

import (
\t"context"
\t"fmt"
\t"os"

\t"github.com/moby/buildkit/client/llb"
\t"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
)

func main() {
\tfailed := false
\tfor _, file := range os.Args[1:] {
\t\tdt, err := os.ReadFile(file)
\t\tif err != nil {
\t\t\tfmt.Fprintln(os.Stderr, err)
\t\t\tos.Exit(2)
\t\t}
\t\tsourceMap := llb.NewSourceMap(nil, file, "Dockerfile", dt)
\t\tsourceMap.Definition = &llb.Definition{}
\t\tres, err := dockerfile2llb.DockerfileLint(context.Background(), dt, dockerfile2llb.ConvertOpt{SourceMap: sourceMap})
\t\tif err != nil {
\t\t\tfmt.Printf("%s: %v\\n", file, err)
\t\t\tfailed = true
\t\t\tcontinue
\t\t}
\t\tfor _, w := range res.Warnings {
\t\t\tline := 0
\t\t\tif len(w.Location.Ranges) > 0 {
\t\t\t\tline = int(w.Location.Ranges[0].Start.Line)
\t\t\t}
\t\t\tfmt.Printf("%s:%d: %s: %s\\n", file, line, w.RuleName, w.Detail)
\t\t\tfailed = true
\t\t}
\t}
\tif failed {
\t\tos.Exit(1)
\t}
}
`,
  },
  packages: ['.'],
  ldflags: '-s -w',
});

/** Real clients the tests use, built from the Go module proxy on first use (see goBuild.ts). */
const TOOLS = {
  grpcurl: goInstall(
    'grpcurl-v1.9.4',
    'grpcurl',
    'github.com/fullstorydev/grpcurl/cmd/grpcurl',
    'v1.9.4',
    '-X main.version=v1.9.4',
  ),
  'grpc-health-probe': goInstall(
    'grpc-health-probe-v0.4.63',
    'grpc-health-probe',
    'github.com/grpc-ecosystem/grpc-health-probe',
    'v0.4.63',
  ),
  promtool,
  'dockerfile-check': dockerfileCheck,
} satisfies Record<string, GoBinaries>;

export type ToolName = keyof typeof TOOLS;

export function toolPath(name: ToolName): string {
  return join(cacheRoot(), 'bin', TOOLS[name].key, name);
}

/**
 * The Go-built clients, the harmony oracle (OpenAI's renderer, ./harmonyOracle.ts) the bed lane compares with,
 * and KEDA's ScaledObject CRD (./kedaCrd.ts) the KEDA example is validated against.
 */
export async function ensureAllTools(): Promise<void> {
  for (const spec of Object.values(TOOLS)) await ensureGoBinaries(spec);
  await ensureHarmonyOracle();
  await ensureKedaCrd();
}

/** `npm run tools`: every binary the tests use, the local cluster's included, built once. */
if (process.argv[1]?.endsWith('tools.js')) {
  const { ensureClusterBinaries } = await import('./clusterBinaries.js');
  const started = Date.now();
  await ensureAllTools();
  const cluster = await ensureClusterBinaries();
  for (const name of Object.keys(TOOLS) as ToolName[]) process.stdout.write(`${name}=${toolPath(name)}\n`);
  process.stdout.write(`harmony-oracle=${(await ensureHarmonyOracle()).python}\n`);
  process.stdout.write(`keda-crd=${await ensureKedaCrd()}\n`);
  for (const [name, path] of Object.entries(cluster)) process.stdout.write(`${name}=${path}\n`);
  process.stderr.write(`Binaries ready in ${Math.round((Date.now() - started) / 1000)} s\n`);
}

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureGoBinaries, goInstall, wrapperModule } from './goBuild.js';

/** One Kubernetes minor for every component; etcd is the 3.6 line kube-apiserver 1.34 is built against. */
export const VERSIONS = {
  kubernetes: 'v1.34.4',
  etcd: 'v3.6.16',
  kwok: 'v0.8.0',
  helm: 'v3.22.0',
} as const;

export const BINARIES = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
  'etcd',
  'kwok',
  'helm',
] as const;
export type Binary = (typeof BINARIES)[number];

const minor = (v: string) => v.split('.')[1]!;

/**
 * `go install k8s.io/kubernetes/cmd/...@v` is refused: kubernetes' go.mod points its ~31 staging
 * modules (k8s.io/api, ...) at local folders. A wrapper module requires kubernetes and replaces each
 * staging module with its published v0.Y.Z, then one `go build` compiles the four commands, sharing
 * every common package. Version ldflags as upstream sets them, so `kubectl version` and Helm's
 * kubeVersion checks see v1.Y.Z rather than v0.0.0-master.
 */
const kubernetes = (() => {
  const v = VERSIONS.kubernetes;
  const versionFlags = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((p) => [
    `-X ${p}.gitVersion=${v}`,
    `-X ${p}.gitMajor=1`,
    `-X ${p}.gitMinor=${minor(v)}`,
    `-X ${p}.gitTreeState=clean`,
    `-X ${p}.buildDate=1970-01-01T00:00:00Z`,
  ]);
  const commands = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'];
  return wrapperModule({
    key: `kubernetes-${v}`,
    binaries: commands,
    goMod: (work) => {
      const info = JSON.parse(
        execFileSync('go', ['mod', 'download', '-json', `k8s.io/kubernetes@${v}`], { cwd: work, encoding: 'utf8' }),
      ) as { GoMod: string };
      const staging = [...readFileSync(info.GoMod, 'utf8').matchAll(/^\s+(k8s\.io\/[\w-]+) => \.\/staging/gm)].map(
        (m) => m[1]!,
      );
      if (staging.length < 20)
        throw new Error(`found only ${staging.length} staging modules in kubernetes ${v}'s go.mod`);
      const stagingVersion = `v0.${v.slice(3)}`;
      return [
        'module gptoss.local/kubernetes',
        '',
        'go 1.24.0',
        '',
        `require k8s.io/kubernetes ${v}`,
        '',
        'replace (',
        ...staging.map((m) => `\t${m} => ${m} ${stagingVersion}`),
        ')',
        '',
      ].join('\n');
    },
    files: {
      'tools.go': [
        '//go:build tools',
        '',
        'package tools',
        '',
        'import (',
        ...commands.map((c) => `\t_ "k8s.io/kubernetes/cmd/${c}"`),
        ')',
        '',
      ].join('\n'),
    },
    packages: commands.map((c) => `k8s.io/kubernetes/cmd/${c}`),
    // as upstream builds its servers: static, no test hooks
    tags: 'selinux,notest',
    ldflags: ['-s', '-w', ...versionFlags].join(' '),
  });
})();

/** etcd's server module also uses replace directives; a wrapper main calls etcdmain.Main. */
const etcd = wrapperModule({
  key: `etcd-${VERSIONS.etcd}`,
  binaries: ['etcd'],
  goMod: () =>
    ['module gptoss.local/etcd', '', 'go 1.24.0', '', `require go.etcd.io/etcd/server/v3 ${VERSIONS.etcd}`, ''].join(
      '\n',
    ),
  files: {
    'main.go':
      'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\n' +
      'func main() { etcdmain.Main(os.Args) }\n',
  },
  packages: ['.'],
  ldflags: '-s -w',
});

const kwok = goInstall(
  `kwok-${VERSIONS.kwok}`,
  'kwok',
  'sigs.k8s.io/kwok/cmd/kwok',
  VERSIONS.kwok,
  `-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${VERSIONS.kwok}`,
);

const helm = goInstall(
  `helm-${VERSIONS.helm}`,
  'helm',
  'helm.sh/helm/v3/cmd/helm',
  VERSIONS.helm,
  [
    '-s -w',
    `-X helm.sh/helm/v3/internal/version.version=${VERSIONS.helm}`,
    '-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1',
    `-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=${minor(VERSIONS.kubernetes)}`,
  ].join(' '),
);

export const BUILDS = { kubernetes, etcd, kwok, helm };

/**
 * Where each binary is. GPTOSS_K8S_BIN (or envtest's KUBEBUILDER_ASSETS) names a folder that already
 * holds them all; otherwise they are built on first use and cached by version.
 */
export async function ensureClusterBinaries(): Promise<Record<Binary, string>> {
  const given = process.env.GPTOSS_K8S_BIN ?? process.env.KUBEBUILDER_ASSETS;
  if (given) {
    const missing = BINARIES.filter((b) => !existsSync(join(given, b)));
    if (missing.length) throw new Error(`GPTOSS_K8S_BIN=${given} lacks ${missing.join(', ')}`);
    return Object.fromEntries(BINARIES.map((b) => [b, join(given, b)])) as Record<Binary, string>;
  }
  const paths: Partial<Record<Binary, string>> = {};
  for (const spec of Object.values(BUILDS)) {
    const dir = await ensureGoBinaries(spec);
    for (const b of spec.binaries) paths[b as Binary] = join(dir, b);
  }
  return paths as Record<Binary, string>;
}

/** kwok's own Stage documents (node-initialize, heartbeats, pod-ready, ...), from its module. */
export function kwokStagesDir(): string {
  const info = JSON.parse(
    execFileSync('go', ['mod', 'download', '-json', `sigs.k8s.io/kwok@${VERSIONS.kwok}`], { encoding: 'utf8' }),
  ) as { Dir: string };
  return join(info.Dir, 'kustomize', 'stage');
}

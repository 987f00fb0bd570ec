import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { cacheRoot } from '../scripts/goBuild.js';
import { PACKAGE_ROOT } from '../contract/paths.js';
import { ensureClusterBinaries, kwokStagesDir, type Binary } from '../scripts/clusterBinaries.js';
import { ensurePki, type Pki } from './pki.js';
import { freePort, runs, startDaemon, stopDaemon, waitFor } from './processes.js';
import { ensureDevStorageClass } from './storage.js';

/*
 * A real control plane on one machine, no Docker: etcd, kube-apiserver (RBAC on),
 * kube-controller-manager and kube-scheduler as local processes on 127.0.0.1, and kwok playing a
 * pool of fake GPU nodes. Each cluster name has its own state folder; `down` stops exactly the
 * processes `up` started (checked by pid and binary) and removes that folder.
 */

export const DEFAULT_NODES_FILE = join(PACKAGE_ROOT, 'cluster', 'nodes.yaml');
const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'] as const;
export type Component = (typeof COMPONENTS)[number];

export interface UpOptions {
  name: string;
  /** Node pool to create (default cluster/nodes.yaml). */
  nodesFile?: string;
  /** Starts the API server with this audit policy, logging to <state>/audit.log. */
  auditPolicy?: string;
  log?: (line: string) => void;
}

export interface ClusterState {
  name: string;
  dir: string;
  kubeconfig: string;
  server: string;
  auditLog: string | null;
  /** Each component's process, and the arguments it was started with (restart starts it again with them). */
  processes: Record<Component, { pid: number; binary: string; args?: string[] }>;
  binaries: Record<Binary, string>;
}

export const stateDir = (name: string) => join(cacheRoot(), 'clusters', name);
const stateFile = (name: string) => join(stateDir(name), 'state.json');

export function readState(name: string): ClusterState | null {
  try {
    return JSON.parse(readFileSync(stateFile(name), 'utf8')) as ClusterState;
  } catch {
    return null;
  }
}

function httpsGet(url: string, pki: Pki): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ca: readFileSync(pki.caCert),
        cert: readFileSync(pki.adminCert),
        key: readFileSync(pki.adminKey),
        timeout: 5000,
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** waitFor, with the end of the component's log in the error when it times out. */
async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, logFile?: string) {
  try {
    await waitFor(check, timeoutMs, what, 200);
  } catch (error) {
    if (logFile && existsSync(logFile) && error instanceof Error) {
      error.message += `\n${readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n')}`;
    }
    throw error;
  }
}

/** True when every process of the state still runs and the API server answers /readyz. */
export async function isHealthy(state: ClusterState): Promise<boolean> {
  if (!COMPONENTS.every((c) => runs(state.processes[c].pid, state.processes[c].binary))) return false;
  const pki = ensurePki(join(state.dir, 'pki'));
  return httpsGet(`${state.server}/readyz`, pki).then(
    (r) => r.status === 200,
    () => false,
  );
}

function kubeconfig(server: string, pki: Pki): string {
  const b64 = (path: string) => readFileSync(path).toString('base64');
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'gptoss',
      clusters: [{ name: 'gptoss', cluster: { server, 'certificate-authority-data': b64(pki.caCert) } }],
      users: [
        {
          name: 'admin',
          user: { 'client-certificate-data': b64(pki.adminCert), 'client-key-data': b64(pki.adminKey) },
        },
      ],
      contexts: [{ name: 'gptoss', context: { cluster: 'gptoss', user: 'admin' } }],
    },
    null,
    2,
  );
}

/** kwok's stages: node initialisation and lease heartbeats, pods ready, completed and deleted. */
function kwokConfig(dir: string): string {
  const stages = kwokStagesDir();
  const wanted = [
    'node/fast/node-initialize.yaml',
    'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
    'pod/fast/pod-ready.yaml',
    'pod/fast/pod-complete.yaml',
    'pod/fast/pod-delete.yaml',
  ];
  const docs = wanted.map((w) => {
    const path = join(stages, w);
    if (!existsSync(path)) throw new Error(`kwok stage ${w} not found under ${stages}`);
    return readFileSync(path, 'utf8').trim();
  });
  const file = join(dir, 'kwok.yaml');
  writeFileSync(file, `${docs.join('\n---\n')}\n`);
  return file;
}

export async function up(options: UpOptions): Promise<ClusterState> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const existing = readState(options.name);
  if (existing && (await isHealthy(existing))) {
    ensureDevStorageClass(existing.binaries.kubectl, existing.kubeconfig, existing.dir);
    // a rerun may ask for more nodes than the cluster was made with (bench:operator sizes its pool by the run)
    if (options.nodesFile) {
      await applyNodes(kubectlOn(existing.binaries.kubectl, existing.kubeconfig), options.nodesFile, existing.dir);
    }
    log(`Reused cluster ${options.name}`);
    return existing;
  }
  if (existing) await down(options.name, log);

  const binaries = await ensureClusterBinaries();
  const dir = stateDir(options.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const pki = ensurePki(join(dir, 'pki'));
  const logFile = (c: Component) => componentLog(dir, c);
  const started = Date.now();
  const [etcdClient, etcdPeer, apiPort, kcmPort, schedPort, kwokPort] = await Promise.all(
    Array.from({ length: 6 }, freePort),
  );
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfig(server, pki), { mode: 0o600 });
  const auditLog = options.auditPolicy ? join(dir, 'audit.log') : null;

  const processes = {} as ClusterState['processes'];
  const state: ClusterState = {
    name: options.name,
    dir,
    kubeconfig: kubeconfigPath,
    server,
    auditLog,
    processes,
    binaries,
  };
  const start = (c: Component, binary: string, args: string[]) => {
    processes[c] = { pid: startDaemon(binary, args, logFile(c)), binary, args };
    writeFileSync(stateFile(options.name), JSON.stringify(state, null, 2));
  };

  try {
    start('etcd', binaries.etcd, [
      '--name=default',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
      '--listen-metrics-urls=',
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    start('kube-apiserver', binaries['kube-apiserver'], [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      '--advertise-address=127.0.0.1',
      '--endpoint-reconciler-type=none',
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.caCert}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      '--authorization-mode=RBAC',
      '--allow-privileged=true',
      ...(options.auditPolicy
        ? [`--audit-policy-file=${options.auditPolicy}`, `--audit-log-path=${auditLog}`, '--audit-log-format=json']
        : []),
    ]);
    await waitUntil(
      'kube-apiserver /readyz',
      async () => (await httpsGet(`${server}/readyz`, pki)).status === 200,
      120_000,
      logFile('kube-apiserver'),
    );
    const componentFlags = [
      `--kubeconfig=${kubeconfigPath}`,
      `--authentication-kubeconfig=${kubeconfigPath}`,
      `--authorization-kubeconfig=${kubeconfigPath}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
    ];
    start('kube-controller-manager', binaries['kube-controller-manager'], [
      ...componentFlags,
      `--secure-port=${kcmPort}`,
      '--controllers=*',
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
    ]);
    start('kube-scheduler', binaries['kube-scheduler'], [...componentFlags, `--secure-port=${schedPort}`]);
    start('kwok', binaries.kwok, [
      `--kubeconfig=${kubeconfigPath}`,
      `--config=${kwokConfig(dir)}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-label-selector=type=kwok',
      `--server-address=127.0.0.1:${kwokPort}`,
      '--cidr=10.244.0.0/16',
      '--node-ip=127.0.0.1',
      // node Leases, as kubelets renew them: without, the heartbeat stage (every 10-20 min) is the only
      // sign of life and the node lifecycle controller marks nodes and their pods NotReady in between
      '--node-lease-duration-seconds=40',
    ]);
    const kubectl = kubectlOn(binaries.kubectl, kubeconfigPath);
    await waitUntil(
      'the default service account',
      () => kubectl('get', 'serviceaccount', 'default', '-n', 'default', '-o', 'name').includes('default'),
      60_000,
      logFile('kube-controller-manager'),
    );
    await applyNodes(kubectl, options.nodesFile ?? DEFAULT_NODES_FILE, dir);
    ensureDevStorageClass(binaries.kubectl, kubeconfigPath, dir);
    log(`Started cluster ${options.name} in ${((Date.now() - started) / 1000).toFixed(1)} s (${server})`);
    return state;
  } catch (error) {
    await down(options.name, log).catch(() => undefined);
    throw new Error(`starting cluster ${options.name}`, { cause: error });
  }
}

const componentLog = (dir: string, c: Component) => join(dir, 'logs', `${c}.log`);

type Kubectl = (...args: string[]) => string;

const kubectlOn =
  (binary: string, kubeconfig: string): Kubectl =>
  (...args) =>
    execFileSync(binary, [`--kubeconfig=${kubeconfig}`, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });

/**
 * Applies a nodes file and waits until its nodes are Ready (kwok marks its nodes so within seconds); other nodes (a
 * stopped dev agent's, NotReady) do not count.
 */
async function applyNodes(kubectl: Kubectl, nodesFile: string, dir: string) {
  kubectl('apply', '-f', nodesFile);
  const expected = kubectl('get', '-f', nodesFile, '-o', 'name').trim().split('\n').length;
  // recursive descent: a file of one node is answered as that node, of several as a List
  const readiness = 'jsonpath={..status.conditions[?(@.type=="Ready")].status}';
  await waitUntil(
    `${expected} nodes Ready`,
    () =>
      kubectl('get', '-f', nodesFile, '-o', readiness)
        .split(/\s+/)
        .filter((s) => s === 'True').length === expected,
    60_000,
    componentLog(dir, 'kwok'),
  );
}

/**
 * Stops one component (SIGTERM, as a kubelet would) and starts it again with the same arguments,
 * ports and data (etcd keeps its data directory); resolves once the cluster is healthy again: every
 * process runs and the API server's /readyz, which checks etcd, answers 200. For fault tests.
 */
export async function restart(name: string, component: Component): Promise<ClusterState> {
  const state = readState(name);
  if (!state) throw new Error(`restarting ${component}: cluster ${name} is not running`);
  const { pid, binary, args } = state.processes[component];
  if (!args) throw new Error(`restarting ${component}: cluster ${name} was started without its arguments recorded`);
  await stopDaemon(pid, binary);
  state.processes[component] = { pid: startDaemon(binary, args, componentLog(state.dir, component)), binary, args };
  writeFileSync(stateFile(name), JSON.stringify(state, null, 2));
  await waitUntil(
    `cluster ${name} to be healthy after restarting ${component}`,
    () => isHealthy(state),
    120_000,
    componentLog(state.dir, component),
  );
  return state;
}

export async function down(
  name: string,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<void> {
  const state = readState(name);
  if (state) {
    // reverse start order: nodes and controllers before the API server, etcd last
    for (const c of [...COMPONENTS].reverse()) {
      const p = state.processes[c];
      if (p) await stopDaemon(p.pid, p.binary);
    }
  }
  rmSync(stateDir(name), { recursive: true, force: true });
  log(`Stopped cluster ${name}`);
}

export async function status(name: string): Promise<string> {
  const state = readState(name);
  if (!state) return `cluster ${name}: not running`;
  const lines = [`cluster ${name}: ${(await isHealthy(state)) ? 'healthy' : 'unhealthy'} (${state.server})`];
  for (const c of COMPONENTS) {
    const p = state.processes[c];
    lines.push(`  ${c.padEnd(24)} ${p ? `pid ${p.pid} ${runs(p.pid, p.binary) ? 'running' : 'gone'}` : 'not started'}`);
  }
  lines.push(`KUBECONFIG=${state.kubeconfig}`);
  return lines.join('\n');
}

export function clusterNames(): string[] {
  const root = join(cacheRoot(), 'clusters');
  return existsSync(root) ? readdirSync(root) : [];
}

import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { assembleImage, IMAGE_NODE_VERSION, imagePackageJson } from '../../scripts/images.js';
import { CRD_FILE } from '../../scripts/genCrd.js';
import { podSpec, render } from '../helpers/chart.js';
import { startProcess, type StartedProcess } from '../helpers/cli.js';
import { ensureCrd, useNamespace } from '../helpers/cluster.js';
import { toolPath } from '../../scripts/tools.js';

/*
 * The gateway image's tree (scripts/images.ts, what images/gateway.Dockerfile copies), assembled
 * and run read-only as the image's user 65532 on the images' Node.js, with the chart's command line,
 * against the real control plane (tests/images/images.bed.test.ts does the same for the operator and
 * the runtime).
 */
const USER = 65532;
let root = '';
let node = '';
const tree = () => join(root, 'gateway');
const asImageUser = (args: string[]) =>
  ['setpriv', [`--reuid=${USER}`, `--regid=${USER}`, '--clear-groups', '--no-new-privs', '--', node, ...args]] as const;
const env = () => ({ PATH: '/usr/bin:/bin', HOME: join(root, 'home'), TMPDIR: join(root, 'home') });

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gptoss-gateway-image-'));
  chmodSync(root, 0o755);
  await assembleImage('gateway', tree());
  execFileSync('chmod', ['-R', 'a-w', tree()]);
  // the images' Node.js, where the image user can run it
  const npxNode = execFileSync('npx', ['-y', `node@${IMAGE_NODE_VERSION}`, '-p', 'process.execPath'], {
    encoding: 'utf8',
  }).trim();
  mkdirSync(join(root, 'bin'));
  node = join(root, 'bin', 'node');
  try {
    linkSync(npxNode, node);
  } catch {
    copyFileSync(npxNode, node);
  }
  chmodSync(node, 0o755);
  mkdirSync(join(root, 'home'), { mode: 0o555 });
}, 300_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('the gateway image', () => {
  const ns = useNamespace('gw-image');
  let gateway: StartedProcess | null = null;
  afterAll(() => {
    gateway?.child.kill('SIGKILL');
  });

  it('holds the gateway, the contract and its protos, and no inference engine', () => {
    expect(readdirSync(join(tree(), 'dist')).sort()).toEqual(['cli', 'contract', 'gateway']);
    expect(existsSync(join(tree(), 'contract', 'proto', 'gptoss', 'runtime', 'v1', 'runtime.proto'))).toBe(true);
    expect(existsSync(join(tree(), 'node_modules', 'node-llama-cpp'))).toBe(false);
    expect(Object.keys(imagePackageJson('gateway').dependencies)).not.toContain('node-llama-cpp');
    const [command, args] = asImageUser([join(tree(), 'dist', 'cli', 'gptoss.js'), 'serve', '--model', '/m.gguf']);
    const serve = spawnSync(command, [...args], { encoding: 'utf8', env: env() });
    expect(serve.status).toBe(1);
    expect(serve.stderr).toMatch(
      /^gptoss serve: not part of this image: Cannot find module '.*\/dist\/runtime\/config\.js'\n$/,
    );
  });

  it("runs read-only as user 65532 with the chart's command line, and is ready once synced", async () => {
    ensureCrd(CRD_FILE);
    const kubeconfig = join(root, 'kubeconfig');
    copyFileSync(inject('kubeconfig'), kubeconfig);
    chownSync(kubeconfig, USER, USER);
    const { objects } = await render({ namespace: ns.name, values: { gateway: { enabled: true } } });
    const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name.endsWith('-gateway'))!;
    const chartArgs = podSpec(deployment).containers[0]!.args.map((a) => a.replace('$(POD_NAMESPACE)', ns.name));
    const local = ['--listen-address=127.0.0.1', '--http-port=0', '--grpc-port=0', '--ops-port=0'];
    // the chart's gateway watches every namespace; here, only the test's (its Role would be the chart's own)
    const [command, args] = asImageUser([
      join(tree(), 'dist', 'cli', 'gptoss.js'),
      ...chartArgs,
      ...local,
      `--namespaces=${ns.name}`,
    ]);
    gateway = await startProcess(
      command,
      [...args],
      (out) => /OPS=\S+/.test(out),
      { ...env(), KUBECONFIG: kubeconfig },
      60_000,
    );
    const ops = /OPS=(\S+)/.exec(gateway.stdout())![1]!;
    expect((await fetch(`${ops}/readyz`, { signal: AbortSignal.timeout(30_000) })).status).toBe(200);
    // the protos it serves load from the tree: reflection lists the service
    const grpc = /GRPC=(\S+)/.exec(gateway.stdout())![1]!;
    // not spawnSync: the worker must go on reading the gateway's output, or a full pipe stalls the gateway
    const list = await promisify(execFile)(toolPath('grpcurl'), ['-plaintext', '-max-time', '30', grpc, 'list']);
    expect(list.stdout).toContain('gptoss.runtime.v1.Runtime');
    // right after grpcurl hung up: grpc-js's graceful shutdown once never answered here (contract/grpc/shutdown.ts)
    gateway.child.kill('SIGTERM');
    const started = gateway;
    const stuck = new Promise<string>((resolve) =>
      setTimeout(() => resolve(`still running 60 s after SIGTERM: ${started.stderr()}`), 60_000).unref(),
    );
    expect(await Promise.race([gateway.exited, stuck])).toBe(0);
    gateway = null;
  }, 180_000);
});

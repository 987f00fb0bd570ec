import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PACKAGE_ROOT } from '../../contract/paths.js';
import { CRD_FILE } from '../../scripts/genCrd.js';
import { toolPath } from '../../scripts/tools.js';
import {
  assembleImage,
  IMAGE_NODE_VERSION,
  imageEntrypoint,
  IMAGES,
  imagePackageJson,
  type ImageName,
} from '../../scripts/images.js';
import { dashboardQueries, metricNamesUsed, operatorCommand, render, sampleNames } from '../helpers/chart.js';
import { serveAddresses, startProcess, type StartedProcess } from '../helpers/cli.js';
import { ensureCrd, kubectl, useNamespace, waitFor } from '../helpers/cluster.js';
import { modelPath } from '../helpers/models.js';

/*
 * No Docker engine here: the images' contents are proven by assembling the very trees the
 * Dockerfiles copy (scripts/images.ts, the one list), then running them read-only, as the images'
 * non-root user 65532, on the images' Node.js: the operator against the real control plane, the
 * runtime serving a tiny model.
 */
const USER = 65532;
const asImageUser = (command: string, args: string[]) =>
  [
    'setpriv',
    [`--reuid=${USER}`, `--regid=${USER}`, '--clear-groups', '--no-new-privs', '--', command, ...args],
  ] as const;

let root = '';
let node = '';
const tree = (image: string) => join(root, image);
// nothing else to write to: home and temporary files point at a folder the image user cannot write
const readOnlyHome = () => join(root, 'home');
const env = () => ({ PATH: '/usr/bin:/bin', HOME: readOnlyHome(), TMPDIR: readOnlyHome() });
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));

beforeAll(async () => {
  // readable by the image user: /tmp, not the caller's home
  root = mkdtempSync(join(tmpdir(), 'gptoss-images-'));
  chmodSync(root, 0o755);
  for (const image of Object.keys(IMAGES) as Array<keyof typeof IMAGES>) await assembleImage(image, tree(image));
  // the images' Node.js, from the npm registry's node package
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
  mkdirSync(readOnlyHome(), { mode: 0o555 });
  mkdirSync(join(root, 'models'), { mode: 0o755 });
  copyFileSync(modelPath('tiny'), join(root, 'models', 'tiny.gguf'));
  chmodSync(join(root, 'models', 'tiny.gguf'), 0o444);
  // what the image user may write: nothing under the trees (a read-only root file system in the pods)
  execFileSync('chmod', ['-R', 'a-w', tree('operator'), tree('runtime')]);
}, 300_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('image contents', () => {
  // the runtime image holds only the CUDA and CPU binaries it needs
  it('the operator image holds no inference engine and no native binary', () => {
    const operatorFiles = filesUnder(tree('operator'));
    expect(operatorFiles.filter((f) => /\.(node|so)(\.|$)/.test(f))).toEqual([]);
    expect(existsSync(join(tree('operator'), 'node_modules', 'node-llama-cpp'))).toBe(false);
    expect(existsSync(join(tree('operator'), 'node_modules', '@node-llama-cpp'))).toBe(false);
    expect(Object.keys(imagePackageJson('operator').dependencies)).not.toContain('node-llama-cpp');
    // nor the runtime's HTTP framework (the probes and metrics are plain node:http)
    expect(existsSync(join(tree('operator'), 'node_modules', 'express'))).toBe(false);
    // each image holds its own component and the contract they share, nothing of the other; the operator is one
    // file, the bundle of its command, with client-node in node_modules for the kubeconfigs that need the library
    expect(readdirSync(join(tree('operator'), 'dist'))).toEqual(['cli']);
    expect(readdirSync(join(tree('operator'), 'dist', 'cli'))).toEqual(['gptoss.js']);
    expect(Object.keys(imagePackageJson('operator').dependencies)).toEqual(['@kubernetes/client-node']);
    expect(existsSync(join(tree('operator'), 'node_modules', 'zod'))).toBe(false);
    expect(readdirSync(join(tree('runtime'), 'dist')).sort()).toEqual(['cli', 'contract', 'runtime']);

    expect(readdirSync(join(tree('runtime'), 'node_modules', '@node-llama-cpp')).sort()).toEqual([
      'linux-x64',
      'linux-x64-cuda',
    ]);
    const cudaBackend = join(
      tree('runtime'),
      'node_modules',
      '@node-llama-cpp',
      'linux-x64-cuda',
      'bins',
      'linux-x64-cuda',
      'libggml-cuda.so',
    );
    // the CUDA major the binaries link against is the runtime image's base
    const cudaMajor = /libcudart\.so\.(\d+)/.exec(execFileSync('ldd', [cudaBackend], { encoding: 'utf8' }))?.[1];
    const dockerfile = readFileSync(join(PACKAGE_ROOT, 'images', 'runtime.Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(new RegExp(`^ARG CUDA_IMAGE=nvidia/cuda:${cudaMajor}\\.\\d+\\.\\d+-runtime-`, 'm'));
    for (const image of Object.keys(IMAGES)) {
      expect(filesUnder(tree(image)).filter((f) => f.startsWith('dist/') && f.endsWith('.map'))).toEqual([]);
    }
  });

  it('each Dockerfile assembles its tree with this list, on the same Node.js, as user 65532', () => {
    for (const image of Object.keys(IMAGES)) {
      const dockerfile = readFileSync(join(PACKAGE_ROOT, 'images', `${image}.Dockerfile`), 'utf8');
      expect(dockerfile).toContain(`RUN npm run build && node dist/scripts/images.js assemble ${image} /image`);
      expect(dockerfile).toContain('COPY --from=build /image /app');
      expect(dockerfile).toMatch(new RegExp(`^ARG NODE_VERSION=${IMAGE_NODE_VERSION.replaceAll('.', '\\.')}$`, 'm'));
      expect(dockerfile).toMatch(/^USER 65532:65532$/m);
      expect(dockerfile).toContain(`\nENTRYPOINT ${imageEntrypoint(image as ImageName)}\n`);
    }
    expect(execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()).toBe(`v${IMAGE_NODE_VERSION}`);
  });

  it("both Dockerfiles pass BuildKit's checks (what docker build --check reports), which do catch a broken one", () => {
    const dockerfiles = Object.keys(IMAGES).map((image) => join(PACKAGE_ROOT, 'images', `${image}.Dockerfile`));
    const check = (files: string[]) => spawnSync(toolPath('dockerfile-check'), files, { encoding: 'utf8' });
    const ours = check(dockerfiles);
    expect(ours.stdout).toBe('');
    expect(ours.status).toBe(0);
    const broken = join(root, 'broken.Dockerfile');
    writeFileSync(
      broken,
      readFileSync(join(PACKAGE_ROOT, 'images', 'runtime.Dockerfile'), 'utf8').replace(
        'FROM ${CUDA_IMAGE}',
        'FROM ${CUDA_BASE}',
      ),
    );
    expect(check([broken]).stdout).toContain("UndefinedArgInFrom: FROM argument 'CUDA_BASE' is not declared");
  });

  it('a command whose component the image leaves out fails with one line, not a stack', () => {
    const r = spawnSync(
      node,
      [join(tree('operator'), 'dist', 'cli', 'gptoss.js'), 'serve', '--model', '/models/m.gguf'],
      { encoding: 'utf8', env: env() },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^gptoss serve: not part of this image: Cannot find module '.*\/dist\/cli\/serve\.js'\n$/);
    const help = spawnSync(node, [join(tree('operator'), 'dist', 'cli', 'gptoss.js'), 'operator', '--help'], {
      encoding: 'utf8',
      env: env(),
    });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--namespace <ns>');
  });

  it("on the images' Node.js an ES import of node:http loads undici (about 14 MiB); contract/nodeHttp does not", () => {
    const loadsUndici = (code: string) =>
      spawnSync(
        node,
        [
          '--input-type=module',
          '-e',
          `${code}\nprocess.stdout.write(String(process.moduleLoadList.join().includes('undici')))`,
        ],
        { encoding: 'utf8', env: env() },
      ).stdout;
    expect(loadsUndici("import 'node:http';")).toBe('true');
    const nodeHttp = pathToFileURL(join(PACKAGE_ROOT, 'dist', 'contract', 'nodeHttp.js')).href;
    expect(loadsUndici(`import { http, https } from '${nodeHttp}'; http.createServer; https.request;`)).toBe('false');
  });

  it('the image user cannot write to either tree', () => {
    for (const image of Object.keys(IMAGES)) {
      const [command, args] = asImageUser('/usr/bin/touch', [join(tree(image), 'dist', 'written')]);
      const r = spawnSync(command, args, { encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('Permission denied');
    }
  });
});

describe('the trees run, read-only, as user 65532', () => {
  const ns = useNamespace('image');
  beforeAll(() => ensureCrd(CRD_FILE));
  const running: StartedProcess[] = [];
  afterAll(() => {
    for (const p of running) p.child.kill('SIGKILL');
  });

  it("the operator tree reconciles a model on the real control plane, with the chart's command line", async () => {
    const work = join(root, 'operator-run');
    mkdirSync(work);
    const kubeconfig = join(work, 'kubeconfig');
    copyFileSync(inject('kubeconfig'), kubeconfig);
    chownSync(kubeconfig, USER, USER);
    const { objects } = await render({
      namespace: ns.name,
      values: { watchNamespaces: [ns.name], policy: { hostPathPrefixes: ['/models'] } },
    });
    const { args } = operatorCommand(objects, ns.name, work);
    const [command, wrapped] = asImageUser(node, [
      ...IMAGES.operator.nodeFlags,
      join(tree('operator'), 'dist', 'cli', 'gptoss.js'),
      ...args,
    ]);
    const operator = await startProcess(command, [...wrapped], (out) => /HTTP=\S+/.test(out), {
      ...env(),
      KUBECONFIG: kubeconfig,
    });
    running.push(operator);

    kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'gptoss.io/v1alpha1',
        kind: 'GptOssModel',
        metadata: { name: 'chat', namespace: ns.name },
        spec: { variant: 'gpt-oss-20b', source: { hostPath: { path: '/models/gpt-oss-20b.gguf' } } },
      }),
    );
    const ready = () =>
      (
        JSON.parse(kubectl(['get', 'gom', 'chat', '-n', ns.name, '-o', 'json'])) as {
          status?: { conditions?: Array<{ type: string; status: string }> };
        }
      ).status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    await waitFor(ready, 60_000, `the model to be Ready: ${operator.stderr()}`);
    // the bundle's prom-client is its metric classes alone (scripts/bundle/promClientCore.mjs): they count
    const metrics = await (await fetch(`${/HTTP=(\S+)/.exec(operator.stdout())![1]}/metrics`)).text();
    expect(metrics).toMatch(/^gptoss_operator_reconciles_total\{result="success"\} [1-9]/m);
    expect(metrics).toMatch(/^gptoss_operator_reconcile_duration_seconds_count [1-9]/m);
    operator.child.kill('SIGTERM');
    expect(await operator.exited).toBe(0);
  });

  it('the runtime tree serves a tiny model over the OpenAI API, and exports what the dashboard reads', async () => {
    const model = join(root, 'models', 'tiny.gguf');
    const [command, args] = asImageUser(node, [
      join(tree('runtime'), 'dist', 'cli', 'gptoss.js'),
      'serve',
      '--model',
      model,
      '--gpu',
      'cpu',
      '--grpc-port',
      '0',
      '--http-port',
      '0',
      '--threads',
      '1',
      '--parallel',
      '2',
      '--context-size',
      '512',
    ]);
    const runtime = await startProcess(command, [...args], (out) => serveAddresses(out) !== null, env());
    running.push(runtime);
    const { http } = serveAddresses(runtime.stdout())!;

    const openai = new OpenAI({ baseURL: `${http}/v1`, apiKey: 'unused', maxRetries: 0 });
    const completion = await openai.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'Hello' }],
      max_tokens: 8,
    });
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
    // and one refused, so the rejection counter has a sample too
    const refused = await fetch(`${http}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"messages":[]}',
    });
    expect(refused.status).toBe(400);

    const exported = sampleNames(await (await fetch(`${http}/metrics`)).text());
    const used = metricNamesUsed(dashboardQueries().map((q) => q.expr));
    expect([...used].filter((name) => name.startsWith('gptoss_runtime_') && !exported.has(name))).toEqual([]);
    runtime.child.kill('SIGTERM');
    expect(await runtime.exited).toBe(0);
  });
});

import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, inject } from 'vitest';
import { KubeClient } from '../../contract/kube/client.js';
import { kubeConfigTarget } from '../../contract/kube/target.js';
import { waitFor } from './wait.js';

export { waitFor };

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
    kubectl: string;
  }
}

/** The test cluster's kubeconfig and kubectl, provided by the global set-up. */
export function clusterAccess() {
  const kubeconfig = inject('kubeconfig');
  const kubectlPath = inject('kubectl');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  /** What the operator talks to the API server with. */
  const client = new KubeClient(kubeConfigTarget(kc));
  return { kubeconfig, kubectlPath, kc, client };
}

/** kubectl against any cluster: `run` gives stdout or throws with stderr; `result` may fail. */
export function kubectlFor(kubeconfig: string, kubectlPath: string) {
  const args = (rest: string[]) => [`--kubeconfig=${kubeconfig}`, ...rest];
  return {
    run: (rest: string[], input?: string): string =>
      execFileSync(kubectlPath, args(rest), { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] }),
    result: (rest: string[], input?: string) => {
      const r = spawnSync(kubectlPath, args(rest), { encoding: 'utf8', input });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
  };
}

/** kubectl against the test cluster: stdout, or throws with stderr. */
export function kubectl(args: string[], input?: string): string {
  const { kubeconfig, kubectlPath } = clusterAccess();
  return kubectlFor(kubeconfig, kubectlPath).run(args, input);
}

/** kubectl that may fail: status, stdout and stderr. */
export function kubectlResult(args: string[], input?: string) {
  const { kubeconfig, kubectlPath } = clusterAccess();
  return kubectlFor(kubeconfig, kubectlPath).result(args, input);
}

/** A namespace of its own for a test file, created before its tests and deleted after. */
export function useNamespace(prefix: string): { name: string } {
  const ns = { name: `${prefix}-${randomBytes(3).toString('hex')}` };
  beforeAll(async () => {
    const core = clusterAccess().kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: ns.name, labels: { 'gptoss.io/test': prefix } } } });
    // pods need the namespace's default ServiceAccount, which the controller manager creates
    await waitFor(
      async () =>
        core.readNamespacedServiceAccount({ namespace: ns.name, name: 'default' }).then(
          () => true,
          () => false,
        ),
      30_000,
      'the default ServiceAccount',
    );
  });
  afterAll(async () => {
    const core = clusterAccess().kc.makeApiClient(CoreV1Api);
    await core.deleteNamespace({ name: ns.name }).catch(() => undefined);
  });
  return ns;
}

/**
 * Waits for CRDs (`crd/<name>` or `-f <file>`) to be Established. kubectl 1.34 fails at once rather than waiting
 * while a CRD just created has no conditions yet ("accessor error: <nil>"): that answer is asked again.
 */
export function waitEstablished(target: string[]): void {
  for (let attempt = 1; ; attempt++) {
    const r = kubectlResult(['wait', '--for=condition=Established', ...target, '--timeout=30s']);
    if (r.status === 0) return;
    if (attempt === 50 || !r.stderr.includes('.status.conditions accessor error'))
      throw new Error(`kubectl wait --for=condition=Established ${target.join(' ')}: ${r.stderr}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
}

/** The GptOssModel CRD, applied as the tests' own field manager and established. */
export function ensureCrd(crdFile: string): void {
  kubectl(['apply', '--server-side', '--field-manager=gptoss-tests', '-f', crdFile]);
  waitEstablished(['crd/gptossmodels.gptoss.io']);
}

/** The Events about one object with this reason, as kubectl lists them (type and message). */
export function eventsAbout(namespace: string, name: string, reason: string): Array<{ type: string; message: string }> {
  const selector = `involvedObject.name=${name},reason=${reason}`;
  const list = kubectl(['get', 'events', '-n', namespace, '--field-selector', selector, '-o', 'json']);
  return (JSON.parse(list) as { items: Array<{ type: string; message: string }> }).items;
}

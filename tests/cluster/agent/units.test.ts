import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadAgentConfig } from '../../../cluster/agent/config.js';
import {
  expand,
  imageRepository,
  isNotRunnable,
  isRunnableImage,
  localProcess,
  type ContainerContext,
} from '../../../cluster/agent/containerSpec.js';
import { PodIpAllocator } from '../../../cluster/agent/podIps.js';
import { podPhase, podStatus, type ContainerRecord, type PodSnapshot } from '../../../cluster/agent/podStatus.js';
import { ProbeLoop, type CheckResult } from '../../../cluster/agent/probes.js';

const pod: V1Pod = {
  metadata: { name: 'web-0', namespace: 'serving', uid: 'u-1', labels: { app: 'web' } },
  spec: { nodeName: 'gptoss-dev-0', containers: [] },
};
const context: ContainerContext = {
  pod,
  podIP: '127.1.2.3',
  hostIP: '127.0.0.1',
  volumeDirs: new Map([
    ['weights', '/state/pvcs/serving/weights'],
    ['tmp', '/state/pods/u-1/volumes/tmp'],
    ['cache', '/state/cache'],
  ]),
  runnableImages: ['gptoss/runtime', 'gptoss/operator'],
  gptoss: ['/usr/bin/node', '/repo/dist/cli/gptoss.js'],
  baseEnv: { PATH: '/bin' },
};
const container = (c: Partial<V1Container>): V1Container => ({
  name: 'runtime',
  image: 'ghcr.io/gptoss/runtime:0.1.0',
  ...c,
});

describe('$(VAR) expansion (pure, kubelet rules)', () => {
  const vars: Record<string, string> = { A: 'x', POD_IP: '127.1.2.3' };
  it.each([
    ['$(A)', 'x'],
    ['--listen-address=$(POD_IP)', '--listen-address=127.1.2.3'],
    ['$(MISSING) stays', '$(MISSING) stays'],
    ['$$(A) is escaped', '$(A) is escaped'],
    ['$$ is one dollar', '$ is one dollar'],
    ['unterminated $(A', 'unterminated $(A'],
    ['$A is not a reference', '$A is not a reference'],
    ['$(A)$(A)', 'xx'],
  ])('%s', (input, expected) => {
    expect(expand(input, (name) => vars[name])).toBe(expected);
  });
});

describe('image → command (pure)', () => {
  it.each([
    ['ghcr.io/gptoss/runtime:0.1.0', 'ghcr.io/gptoss/runtime', true],
    ['gptoss/runtime', 'gptoss/runtime', true],
    ['localhost:5000/gptoss/operator@sha256:abc', 'localhost:5000/gptoss/operator', true],
    ['localhost:5000/gptoss/runtime:dev', 'localhost:5000/gptoss/runtime', true],
    ['docker.io/library/busybox:1.36', 'docker.io/library/busybox', false],
    ['example.com/notgptoss/runtime:1', 'example.com/notgptoss/runtime', false],
  ])('%s', (image, repository, runnable) => {
    expect(imageRepository(image)).toBe(repository);
    expect(isRunnableImage(image, context.runnableImages)).toBe(runnable);
  });

  it('runs gptoss with args, command gptoss the same way, and refuses other images and commands with a reason', () => {
    expect(localProcess(container({ args: ['serve', '--model', 'm'] }), context)).toMatchObject({
      argv: ['/usr/bin/node', '/repo/dist/cli/gptoss.js', 'serve', '--model', 'm'],
    });
    expect(
      localProcess(container({ command: ['/usr/local/bin/gptoss', 'serve'], args: ['--parallel', '2'] }), context),
    ).toMatchObject({ argv: ['/usr/bin/node', '/repo/dist/cli/gptoss.js', 'serve', '--parallel', '2'] });
    expect(localProcess(container({ image: 'busybox' }), context)).toMatchObject({
      reason: 'ImageNotRunnableByDevAgent',
      message: expect.stringContaining('busybox'),
    });
    expect(localProcess(container({ command: ['sh', '-c', 'sleep 1'] }), context)).toMatchObject({
      reason: 'CommandNotRunnableByDevAgent',
    });
  });
});

describe('environment and volume paths (pure)', () => {
  it('resolves fieldRefs, expands $(VAR) in env and args, and rewrites mount paths in both', () => {
    const resolved = localProcess(
      container({
        args: [
          'serve',
          '--listen-address',
          '$(POD_IP)',
          '--model',
          '/models/gpt-oss.gguf',
          '--tmp',
          '/tmp',
          '--other',
          '/modelsx/y',
          '--cache',
          '/models/cache/z',
          '--adapter',
          'tone=/models/cache/lora.gguf:0.5',
          '--file',
          'https://example.com/x=/models/a',
        ],
        env: [
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
          { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: 'URL', value: 'http://$(POD_IP):8080/$(LATER)' },
          { name: 'LATER', value: 'later' },
          { name: 'WEIGHTS', value: '/models/gpt-oss.gguf' },
        ],
        volumeMounts: [
          { name: 'weights', mountPath: '/models', readOnly: true },
          { name: 'cache', mountPath: '/models/cache/' },
          { name: 'tmp', mountPath: '/tmp', subPath: 'sub' },
        ],
      }),
      context,
    );
    if (isNotRunnable(resolved)) throw new Error(resolved.message);
    expect(resolved.argv.slice(2)).toEqual([
      'serve',
      '--listen-address',
      '127.1.2.3',
      '--model',
      '/state/pvcs/serving/weights/gpt-oss.gguf',
      '--tmp',
      '/state/pods/u-1/volumes/tmp/sub',
      '--other',
      '/modelsx/y',
      '--cache',
      '/state/cache/z',
      // NAME=PATH: the path after the name, as `gptoss serve --adapter` takes it
      '--adapter',
      'tone=/state/cache/lora.gguf:0.5',
      // not a name before "=": left alone
      '--file',
      'https://example.com/x=/models/a',
    ]);
    expect(resolved.env).toEqual({
      PATH: '/bin',
      HOSTNAME: 'web-0',
      POD_IP: '127.1.2.3',
      POD: 'web-0',
      NS: 'serving',
      NODE: 'gptoss-dev-0',
      HOST: '127.0.0.1',
      APP: 'web',
      // a variable defined later is not visible yet, as in kubelet
      URL: 'http://127.1.2.3:8080/$(LATER)',
      LATER: 'later',
      WEIGHTS: '/state/pvcs/serving/weights/gpt-oss.gguf',
    });
  });

  it('refuses env it cannot resolve with CreateContainerConfigError', () => {
    expect(
      localProcess(container({ env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }), context),
    ).toMatchObject({ reason: 'CreateContainerConfigError', message: expect.stringContaining('env S') });
    expect(localProcess(container({ envFrom: [{ configMapRef: { name: 'c' } }] }), context)).toMatchObject({
      reason: 'CreateContainerConfigError',
    });
  });
});

const record = (r: Partial<ContainerRecord> & Pick<ContainerRecord, 'state'>): ContainerRecord => ({
  name: 'c',
  image: 'gptoss/runtime',
  imageID: 'devagent://x',
  restartCount: 0,
  lastTerminated: null,
  ready: false,
  started: false,
  ...r,
});
const t0 = new Date('2026-01-01T00:00:00Z');
const running = { kind: 'running' as const, startedAt: t0, containerID: 'devagent://1' };
const exited = (exitCode: number) => ({
  kind: 'terminated' as const,
  exitCode,
  signal: null,
  reason: exitCode ? 'Error' : 'Completed',
  startedAt: t0,
  finishedAt: t0,
  containerID: 'devagent://1',
});
const snapshot = (init: ContainerRecord[], main: ContainerRecord[]): PodSnapshot => ({
  podIP: '127.1.0.9',
  hostIP: '127.0.0.1',
  startTime: t0,
  init,
  main,
});

describe('pod phase (pure, kubelet getPhase)', () => {
  it.each([
    [
      'init running',
      [record({ state: running })],
      [record({ state: { kind: 'waiting', reason: 'PodInitializing' } })],
      'Always',
      'Pending',
    ],
    [
      'init failed, Never',
      [record({ state: exited(1) })],
      [record({ state: { kind: 'waiting', reason: 'PodInitializing' } })],
      'Never',
      'Failed',
    ],
    [
      'init failed, retried',
      [record({ state: exited(1) })],
      [record({ state: { kind: 'waiting', reason: 'PodInitializing' } })],
      'Always',
      'Pending',
    ],
    ['main running', [record({ state: exited(0) })], [record({ state: running })], 'Always', 'Running'],
    [
      'main in back-off',
      [],
      [record({ state: { kind: 'waiting', reason: 'CrashLoopBackOff' }, lastTerminated: exited(1) })],
      'Always',
      'Running',
    ],
    [
      'not runnable',
      [],
      [record({ state: { kind: 'waiting', reason: 'ImageNotRunnableByDevAgent' } })],
      'Always',
      'Pending',
    ],
    [
      'all succeeded, OnFailure',
      [],
      [record({ state: exited(0) }), record({ state: exited(0) })],
      'OnFailure',
      'Succeeded',
    ],
    ['one failed, Never', [], [record({ state: exited(0) }), record({ state: exited(2) })], 'Never', 'Failed'],
    ['one failed, OnFailure', [], [record({ state: exited(2) })], 'OnFailure', 'Running'],
  ])('%s → %s', (_name, init, main, restartPolicy, phase) => {
    expect(podPhase(snapshot(init, main), restartPolicy)).toBe(phase);
  });

  it("keeps condition transition times that did not change, and the scheduler's PodScheduled", () => {
    const scheduled = { type: 'PodScheduled', status: 'True', lastTransitionTime: new Date('2025-12-31T00:00:00Z') };
    const before: V1Pod = {
      ...pod,
      status: {
        conditions: [
          scheduled,
          { type: 'Initialized', status: 'True', lastTransitionTime: new Date('2025-12-31T01:00:00Z') },
        ],
      },
    };
    const status = podStatus(
      before,
      snapshot([], [record({ name: 'runtime', state: running, ready: false, started: true })]),
      t0,
    ) as { conditions: Array<Record<string, unknown>> };
    expect(status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'Initialized', status: 'True', lastTransitionTime: '2025-12-31T01:00:00Z' }),
        expect.objectContaining({
          type: 'Ready',
          status: 'False',
          reason: 'ContainersNotReady',
          message: 'containers with unready status: [runtime]',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        }),
        expect.objectContaining({ type: 'PodScheduled', status: 'True', lastTransitionTime: '2025-12-31T00:00:00Z' }),
      ]),
    );
  });
});

describe('PodIpAllocator (pure, fake sockets in use)', () => {
  it('hands out distinct addresses of the subnet, skips those in use, and reuses a preferred free one', () => {
    const allocator = new PodIpAllocator('127.9.9.0/30', () => new Set(['127.9.9.2']));
    const first = allocator.allocate();
    // .0 and .255 endings are skipped and .2 is in use: .1 and .3 are left, picked from a random start
    const second = allocator.allocate(first);
    expect([first, second].sort()).toEqual(['127.9.9.1', '127.9.9.3']);
    expect(() => allocator.allocate()).toThrow(/no free pod IP left in 127.9.9.0\/30/);
    allocator.release(first);
    expect(allocator.allocate(first)).toBe(first);
    expect(() => allocator.allocate('127.9.9.2')).toThrow(/no free pod IP/);
  });
});

describe('agent config (pure)', () => {
  it('defaults and validates', () => {
    const config = loadAgentConfig({ nodeName: 'n1', stateDir: '/s' });
    expect(config).toMatchObject({
      nodeName: 'n1',
      stateDir: '/s',
      podSubnet: '127.1.0.0/16',
      gpu: { product: 'NVIDIA-H100-80GB-HBM3', memoryMiB: 81559, count: 8 },
    });
    expect(() => loadAgentConfig({ podSubnet: '10.0.0.0/8' })).toThrow(
      'agent config podSubnet must be a CIDR inside 127.0.0.0/8',
    );
    expect(() => loadAgentConfig({ nodeName: 'Bad_Name' })).toThrow('agent config nodeName must be lower-case');
    expect(() => loadAgentConfig({ gpu: { count: -1 } })).toThrow('agent config gpu.count');
    expect(() => loadAgentConfig({ leaseRenewSeconds: 40, leaseDurationSeconds: 40 })).toThrow(
      'agent config leaseRenewSeconds must be shorter than leaseDurationSeconds',
    );
  });
});

describe('ProbeLoop thresholds (pure, fake check and fake timers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits initialDelaySeconds; turns after failureThreshold failures, back after successThreshold', async () => {
    vi.useFakeTimers();
    const answers = [true, false, false, true, false, false, false, true, true];
    let calls = 0;
    const check = async (): Promise<CheckResult> => ({ ok: answers[calls++] ?? true, message: `check ${calls}` });
    const results: string[] = [];
    const failed: string[] = [];
    const loop = new ProbeLoop(
      { initialDelaySeconds: 5, periodSeconds: 1, failureThreshold: 3, successThreshold: 2 },
      check,
      'failure',
      (result) => results.push(`${calls}:${result}`),
      (message) => failed.push(message),
    );
    loop.start();
    await vi.advanceTimersByTimeAsync(4_900);
    expect(calls).toBe(0);
    await vi.advanceTimersByTimeAsync(9_000);
    loop.stop();
    // success needs two in a row (checks 8 and 9); the failures at 2-3 and 5-7 do not flip an already failing result
    expect(results).toEqual(['9:success']);
    expect(failed).toHaveLength(5);

    const liveness = new ProbeLoop(
      { periodSeconds: 1, failureThreshold: 3 },
      async () => ({ ok: false, message: 'down' }),
      'success',
      (result) => results.push(`liveness:${result}`),
    );
    liveness.start();
    await vi.advanceTimersByTimeAsync(1_500); // checks at 0 and 1 s
    expect(results).not.toContain('liveness:failure');
    await vi.advanceTimersByTimeAsync(1_000);
    liveness.stop();
    expect(results).toContain('liveness:failure');
  });
});

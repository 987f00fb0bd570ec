import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { DEV_AGENT_TAINT } from '../../../cluster/agent/config.js';
import { pvcDir } from '../../../cluster/agent/volumes.js';
import { runs } from '../../../cluster/processes.js';
import {
  agentDeployment,
  core,
  listPods,
  pidOf,
  podEvents,
  readyPods,
  runtimeContainer,
  useAgent,
} from '../../helpers/agent.js';
import { kubectl, useNamespace, waitFor } from '../../helpers/cluster.js';
import { MODELS_DIR } from '../../helpers/models.js';

const GPTOSS_IMAGE = 'ghcr.io/gptoss/runtime:0.1.0';
const synthArgs = (out: string) => ['synth-model', '--arch', 'gpt-oss', '--preset', 'tiny', '--out', out];

/**
 * Init containers, volumes, pods the agent cannot run, crash loops and stopping, with the agent
 * in-process (startAgent); every wait here is asynchronous so the agent keeps running meanwhile.
 */
describe('pod lifecycle on the dev agent (real control plane)', () => {
  const ns = useNamespace('agent-life');
  const handle = useAgent('agent-life');
  const bare = (name: string, spec: Record<string, unknown>) =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns.name, labels: { app: name } },
      spec: {
        nodeSelector: { 'kubernetes.io/hostname': handle.nodeName },
        tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }, DEV_AGENT_TAINT],
        terminationGracePeriodSeconds: 5,
        ...spec,
      },
    });
  const pod = async (name: string) => core().readNamespacedPod({ namespace: ns.name, name });

  // mount paths are rewritten to the pod's folders
  it('runs an init container to completion first; the main one serves what it wrote to an emptyDir', async () => {
    kubectl(
      ['apply', '-f', '-'],
      agentDeployment('synth', ns.name, handle.nodeName, {
        initContainers: [
          {
            name: 'synth',
            image: GPTOSS_IMAGE,
            command: ['gptoss'],
            args: synthArgs('/work/model.gguf'),
            volumeMounts: [{ name: 'work', mountPath: '/work' }],
          },
        ],
        containers: [
          runtimeContainer({ path: '/work/model.gguf' }, { volumeMounts: [{ name: 'work', mountPath: '/work' }] }),
        ],
        volumes: [{ name: 'work', emptyDir: {} }],
      }),
    );
    const [ready] = await readyPods(ns.name, 'synth', 1, 90_000);
    const { uid, name } = ready!.metadata!;
    const init = ready!.status!.initContainerStatuses![0]!;
    const main = ready!.status!.containerStatuses![0]!;
    expect(init).toMatchObject({
      name: 'synth',
      ready: true,
      restartCount: 0,
      state: { terminated: { exitCode: 0, reason: 'Completed' } },
    });
    expect(new Date(main.state!.running!.startedAt!).getTime()).toBeGreaterThanOrEqual(
      new Date(init.state!.terminated!.finishedAt!).getTime(),
    );
    expect(ready!.status?.conditions).toContainEqual(expect.objectContaining({ type: 'Initialized', status: 'True' }));

    const emptyDir = join(handle.stateDir, 'pods', uid!, 'volumes', 'work');
    expect(readdirSync(emptyDir)).toEqual(['model.gguf']);
    const models = (await (await fetch(`http://${ready!.status!.podIP}:8080/v1/models`)).json()) as {
      data: Array<{ id: string }>;
    };
    expect(models.data.map((m) => m.id)).toEqual(['model']);
    // each container's output in its own log file, one per instance
    const logs = join(handle.stateDir, 'logs', `${ns.name}_${name}_${uid}`);
    expect(readFileSync(join(logs, 'synth', '0.log'), 'utf8')).toContain(join(emptyDir, 'model.gguf'));
    expect(existsSync(join(logs, 'runtime', '0.log'))).toBe(true);

    // the emptyDir goes with the pod; the logs stay for reading afterwards
    await core().deleteNamespacedPod({ namespace: ns.name, name: name! });
    await waitFor(
      async () => !(await listPods(ns.name, 'synth')).some((p) => p.metadata?.uid === uid),
      30_000,
      'the pod gone',
      200,
    );
    // the agent removes the folder once its watch hears the object is gone, a moment after the API server says so
    await waitFor(() => !existsSync(join(handle.stateDir, 'pods', uid!)), 10_000, 'the emptyDir removed', 100);
    expect(existsSync(join(logs, 'synth', '0.log'))).toBe(true);
  }, 120_000);

  it("writes a PVC into the agent's folder for that claim; a pod that completed reports Succeeded", async () => {
    const pv = `${ns.name}-data`;
    kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'v1',
            kind: 'PersistentVolume',
            metadata: { name: pv, labels: { 'gptoss.io/test': 'agent-life' } },
            spec: {
              capacity: { storage: '1Gi' },
              accessModes: ['ReadWriteOnce'],
              storageClassName: 'manual',
              hostPath: { path: '/unused' },
              claimRef: { namespace: ns.name, name: 'data' },
            },
          },
          {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            metadata: { name: 'data', namespace: ns.name },
            spec: {
              accessModes: ['ReadWriteOnce'],
              storageClassName: 'manual',
              volumeName: pv,
              resources: { requests: { storage: '1Gi' } },
            },
          },
        ],
      }),
    );
    // bound first, so the scheduler need not come back to the pod later
    await waitFor(
      async () =>
        (await core().readNamespacedPersistentVolumeClaim({ namespace: ns.name, name: 'data' })).status?.phase ===
        'Bound',
      30_000,
      'the claim bound',
      200,
    );
    kubectl(
      ['apply', '-f', '-'],
      bare('write-pvc', {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'synth',
            image: GPTOSS_IMAGE,
            args: synthArgs('/data/m.gguf'),
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          },
        ],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
      }),
    );
    await waitFor(
      async () => (await pod('write-pvc')).status?.phase === 'Succeeded',
      60_000,
      'the pod to succeed',
      200,
    );
    const done = await pod('write-pvc');
    expect(done.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(readdirSync(pvcDir(handle.stateDir, ns.name, 'data'))).toEqual(['m.gguf']);
    await core().deleteNamespacedPod({ namespace: ns.name, name: 'write-pvc' });
    await core().deletePersistentVolume({ name: pv });
  }, 90_000);

  // such pods are deleted at once
  it('reports images, probes and volumes it cannot run as waiting reasons and Warning events', async () => {
    kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          JSON.parse(
            bare('busybox', {
              containers: [{ name: 'shell', image: 'docker.io/library/busybox:1.36', command: ['sleep', '3600'] }],
            }),
          ),
          JSON.parse(
            bare('exec-probe', {
              containers: [
                {
                  name: 'runtime',
                  image: GPTOSS_IMAGE,
                  args: ['serve'],
                  readinessProbe: { exec: { command: ['true'] } },
                },
              ],
            }),
          ),
          JSON.parse(
            bare('secret-volume', {
              containers: [
                {
                  name: 'runtime',
                  image: GPTOSS_IMAGE,
                  args: ['serve'],
                  volumeMounts: [{ name: 's', mountPath: '/s' }],
                },
              ],
              volumes: [{ name: 's', secret: { secretName: 'nope' } }],
            }),
          ),
          JSON.parse(
            bare('sidecar', {
              initContainers: [{ name: 'side', image: GPTOSS_IMAGE, args: ['serve'], restartPolicy: 'Always' }],
              containers: [{ name: 'runtime', image: GPTOSS_IMAGE, args: ['serve'] }],
            }),
          ),
        ],
      }),
    );
    const expected: Record<string, [string, RegExp]> = {
      busybox: ['ImageNotRunnableByDevAgent', /image "docker.io\/library\/busybox:1.36" is not one the dev agent runs/],
      'exec-probe': ['ProbeNotSupportedByDevAgent', /exec probes are not supported by the dev agent/],
      'secret-volume': ['VolumeNotSupportedByDevAgent', /volume s: secret volumes are not supported by the dev agent/],
      sidecar: [
        'SidecarNotSupportedByDevAgent',
        /init container side: sidecar init containers \(restartPolicy: Always\) are not supported/,
      ],
    };
    for (const [name, [reason, message]] of Object.entries(expected)) {
      let current: V1Pod | undefined;
      const refused = () =>
        [...(current?.status?.initContainerStatuses ?? []), ...(current?.status?.containerStatuses ?? [])].find(
          (s) => s.state?.waiting?.reason === reason,
        );
      await waitFor(
        async () => {
          current = await pod(name);
          return refused() !== undefined;
        },
        30_000,
        `${name} waiting with ${reason}`,
        200,
      );
      expect(current!.status?.phase).toBe('Pending');
      expect(refused()?.state?.waiting?.message).toMatch(message);
      const events = await podEvents(ns.name, name);
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'Warning', reason: 'Failed', message: expect.stringContaining(reason) }),
      );
    }
    // nothing ran, so nothing to wait for: the pods go as soon as they are deleted
    await Promise.all(Object.keys(expected).map((name) => core().deleteNamespacedPod({ namespace: ns.name, name })));
    const selector = `app in (${Object.keys(expected).join(',')})`;
    await waitFor(
      async () => (await core().listNamespacedPod({ namespace: ns.name, labelSelector: selector })).items.length === 0,
      10_000,
      'the refused pods gone',
      200,
    );
  }, 60_000);

  it('backs off a crashing container (CrashLoopBackOff between tries) with its restartCount going up', async () => {
    kubectl(
      ['apply', '-f', '-'],
      bare('crash', {
        containers: [runtimeContainer({ path: '/models/missing.gguf' })],
        volumes: [{ name: 'models', emptyDir: {} }],
      }),
    );
    let seenBackOff = false;
    await waitFor(
      async () => {
        const status = (await pod('crash')).status?.containerStatuses?.[0];
        seenBackOff ||= status?.state?.waiting?.reason === 'CrashLoopBackOff';
        return seenBackOff && (status?.restartCount ?? 0) >= 2;
      },
      60_000,
      'two restarts and a back-off',
      100,
    );
    const status = (await pod('crash')).status!.containerStatuses![0]!;
    expect(status.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(status.ready).toBe(false);
    expect((await podEvents(ns.name, 'crash')).map((e) => e.reason)).toContain('BackOff');
    await core().deleteNamespacedPod({ namespace: ns.name, name: 'crash' });
  }, 90_000);

  it('restarts a container whose liveness probe fails', async () => {
    kubectl(
      ['apply', '-f', '-'],
      bare('unlive', {
        containers: [
          runtimeContainer('tiny', {
            livenessProbe: { httpGet: { path: '/no-such-path', port: 'http' }, periodSeconds: 1, failureThreshold: 2 },
          }),
        ],
        volumes: [{ name: 'models', hostPath: { path: MODELS_DIR } }],
      }),
    );
    await waitFor(
      async () => ((await pod('unlive')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
      60_000,
      'a restart',
      200,
    );
    const events = await podEvents(ns.name, 'unlive');
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'Warning',
        reason: 'Unhealthy',
        message: expect.stringMatching(/^Liveness probe failed: HTTP probe of .*\/no-such-path returned 404/),
      }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({
        reason: 'Killing',
        message: 'Container runtime failed liveness probe, will be restarted',
      }),
    );
    // stopped with SIGTERM, which gptoss serve answers by draining and exiting
    expect((await pod('unlive')).status?.containerStatuses?.[0]?.lastState?.terminated).toMatchObject({
      containerID: expect.stringMatching(/^devagent:\/\/\d+$/),
      finishedAt: expect.any(Date),
    });
    await core().deleteNamespacedPod({ namespace: ns.name, name: 'unlive' });
  }, 90_000);

  it('stops every process it started when it stops, and deletes its node', async () => {
    // the Deployment's replacement for the pod deleted above
    const [running] = await readyPods(ns.name, 'synth', 1, 60_000);
    const pid = pidOf(running!.status?.containerStatuses?.[0]?.containerID);
    expect(handle.agent!.pids(ns.name, running!.metadata!.name!)).toEqual([pid]);
    expect(runs(pid, process.execPath)).toBe(true);
    await handle.stop();
    expect(runs(pid, process.execPath)).toBe(false);
    expect(readdirSync(join(handle.stateDir, 'pids'))).toEqual([]);
    await expect(core().readNode({ name: handle.nodeName })).rejects.toMatchObject({ code: 404 });
  }, 60_000);
});

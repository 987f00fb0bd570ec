import { spawnSync } from 'node:child_process';
import { Watch, type V1Pod } from '@kubernetes/client-node';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { RUNTIME_GRPC_PORT, RUNTIME_GRPC_SERVICE as RUNTIME_SERVICE, hostPort } from '../../../contract/names.js';
import { runs } from '../../../cluster/processes.js';
import { toolPath } from '../../../scripts/tools.js';
import {
  agentDeployment,
  core,
  isReady,
  listPods,
  pidOf,
  podEvents,
  readyPods,
  runtimeContainer,
  useAgentProcess,
} from '../../helpers/agent.js';
import { clusterAccess, kubectl, useNamespace, waitFor } from '../../helpers/cluster.js';
import { TEST_MODELS } from '../../helpers/models.js';
import { listeningSockets } from '../../helpers/sockets.js';

const grpcurl = (...args: string[]) =>
  spawnSync(toolPath('grpcurl'), ['-plaintext', ...args], { encoding: 'utf8', timeout: 30_000 });
const healthProbe = (address: string, service: string) =>
  spawnSync(toolPath('grpc-health-probe'), [`-addr=${address}`, `-service=${service}`], {
    encoding: 'utf8',
    timeout: 30_000,
  });
const modelName = TEST_MODELS.tiny.file.replace(/\.gguf$/, '');

/** `gptoss serve` pods scheduled by the real scheduler onto the agent's node and run as local processes. */
describe('runtime pods on the dev agent (real control plane, real gptoss serve)', () => {
  const ns = useNamespace('agent-pods');
  const handle = useAgentProcess('agent-pods');
  let pods: V1Pod[] = [];

  it('runs two replicas on one port at IPs of their own, Ready once the gRPC probe passes', async () => {
    // every version of the pods the API server stores, to see what was reported before Ready
    const seen: Array<{ name: string; running: boolean; ready: boolean }> = [];
    const watch = await new Watch(clusterAccess().kc).watch(
      `/api/v1/namespaces/${ns.name}/pods`,
      {},
      (_type, pod: V1Pod) => {
        seen.push({
          name: pod.metadata!.name!,
          running: !!pod.status?.containerStatuses?.[0]?.state?.running,
          ready: isReady(pod),
        });
      },
      () => undefined,
    );
    kubectl(
      ['apply', '-f', '-'],
      agentDeployment('chat', ns.name, handle.nodeName, { containers: [runtimeContainer('tiny')] }, 2),
    );
    pods = await readyPods(ns.name, 'chat', 2);
    // the list may see Ready before the watch delivers that version: wait for it before closing the watch
    await waitFor(
      () => pods.every((p) => seen.some((s) => s.name === p.metadata!.name && s.ready)),
      10_000,
      'the watch to deliver the Ready versions',
    );
    watch.abort();

    const ips = pods.map((p) => p.status!.podIP!);
    expect(new Set(ips).size).toBe(2);
    for (const pod of pods) {
      const ip = pod.status!.podIP!;
      expect(pod.spec?.nodeName).toBe(handle.nodeName);
      expect(ip).toMatch(/^127\.1\.\d+\.\d+$/);
      expect(pod.status).toMatchObject({ phase: 'Running', hostIP: '127.0.0.1', podIPs: [{ ip }] });
      expect(pod.status?.containerStatuses?.[0]).toMatchObject({
        name: 'runtime',
        ready: true,
        started: true,
        restartCount: 0,
        image: 'ghcr.io/gptoss/runtime:0.1.0',
      });
      // reported running but not Ready first: Ready came from the probe, not from the process starting
      const versions = seen.filter((s) => s.name === pod.metadata!.name);
      expect(versions.findIndex((s) => s.running && !s.ready)).toBeGreaterThanOrEqual(0);
      expect(versions.findIndex((s) => s.running && !s.ready)).toBeLessThan(versions.findIndex((s) => s.ready));

      const health = healthProbe(hostPort(ip, RUNTIME_GRPC_PORT), RUNTIME_SERVICE);
      expect(health.status).toBe(0);
      expect(health.stdout + health.stderr).toMatch(/status: SERVING/);
      const info = grpcurl(hostPort(ip, RUNTIME_GRPC_PORT), `${RUNTIME_SERVICE}/GetModelInfo`);
      expect(info.status, info.stderr).toBe(0);
      expect(JSON.parse(info.stdout)).toMatchObject({ served_name: modelName });
      const openai = new OpenAI({ baseURL: `http://${ip}:8080/v1`, apiKey: 'unused', maxRetries: 0 });
      expect((await openai.models.list()).data.map((m) => m.id)).toEqual([modelName]);
      const completion = await openai.completions.create({ model: modelName, prompt: 'Hello', max_tokens: 3 });
      expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
      // both servers on the pod IP only, the same ports in both pods
      const pid = pidOf(pod.status?.containerStatuses?.[0]?.containerID);
      expect(listeningSockets(pid).sort()).toEqual([`${ip}:50051`, `${ip}:8080`]);
    }
  }, 120_000);

  it('keeps a running pod unready while its readiness probe fails, with Unhealthy events', async () => {
    kubectl(
      ['apply', '-f', '-'],
      agentDeployment('unready', ns.name, handle.nodeName, {
        containers: [
          runtimeContainer('tiny', {
            readinessProbe: { grpc: { port: 50051, service: 'no.such.Service' }, periodSeconds: 1 },
          }),
        ],
      }),
    );
    let pod: V1Pod | undefined;
    await waitFor(
      async () => {
        pod = (await listPods(ns.name, 'unready'))[0];
        const failures = pod
          ? (await podEvents(ns.name, pod.metadata!.name!)).filter(
              (e) => e.reason === 'Unhealthy' && e.message?.startsWith('Readiness probe failed'),
            )
          : [];
        return failures.length >= 3;
      },
      60_000,
      'three failed readiness probes',
    );
    pod = (await listPods(ns.name, 'unready'))[0]!;
    expect(pod.status?.containerStatuses?.[0]).toMatchObject({
      ready: false,
      started: true,
      state: { running: expect.anything() },
    });
    expect(pod.status?.conditions).toContainEqual(
      expect.objectContaining({ type: 'Ready', status: 'False', reason: 'ContainersNotReady' }),
    );
    // the server itself is up: only the probe's service is unknown to it
    const health = healthProbe(hostPort(pod.status!.podIP!, RUNTIME_GRPC_PORT), RUNTIME_SERVICE);
    expect(health.stdout + health.stderr).toMatch(/status: SERVING/);
    kubectl(['delete', 'deployment', 'unready', '-n', ns.name, '--wait=false']);
  }, 90_000);

  it('restarts a killed runtime in place: restartCount 1, the same IP, Ready and serving again', async () => {
    const pod = pods[0]!;
    const name = pod.metadata!.name!;
    const pid = pidOf(pod.status?.containerStatuses?.[0]?.containerID);
    process.kill(pid, 'SIGKILL');
    let now: V1Pod | undefined;
    await waitFor(
      async () => {
        now = (await listPods(ns.name, 'chat')).find((p) => p.metadata?.name === name);
        return now?.status?.containerStatuses?.[0]?.restartCount === 1 && isReady(now);
      },
      60_000,
      'the restarted container Ready',
      200,
    );
    const status = now!.status!.containerStatuses![0]!;
    expect(status.lastState?.terminated).toMatchObject({
      exitCode: 137,
      reason: 'Error',
      containerID: `devagent://${pid}`,
    });
    expect(pidOf(status.containerID)).not.toBe(pid);
    expect(runs(pid, process.execPath)).toBe(false);
    expect(now!.status?.podIP).toBe(pod.status?.podIP);
    expect((await fetch(`http://${now!.status!.podIP}:8080/healthz`)).status).toBe(200);
  }, 90_000);

  it("stops a deleted pod's processes within its grace period, then removes the pod object", async () => {
    const pod = pods[1]!;
    const name = pod.metadata!.name!;
    const pid = pidOf(pod.status?.containerStatuses?.[0]?.containerID);
    expect(runs(pid, process.execPath)).toBe(true);
    // kubectl waits until the object is gone, which the agent does once the processes stopped
    kubectl(['delete', 'pod', name, '-n', ns.name, '--timeout=30s']);
    expect(runs(pid, process.execPath)).toBe(false);
    expect((await podEvents(ns.name, name)).map((e) => e.reason)).toContain('Killing');
  }, 60_000);

  it('stops every pod process and deletes its node when the agent process gets SIGTERM, exiting 0', async () => {
    // the Deployment has replaced the deleted pod
    const running = await readyPods(ns.name, 'chat', 2);
    const pids = running.map((p) => pidOf(p.status?.containerStatuses?.[0]?.containerID));
    expect(pids.every((pid) => runs(pid, process.execPath))).toBe(true);
    expect(await handle.stop()).toBe(0);
    expect(pids.filter((pid) => runs(pid, process.execPath))).toEqual([]);
    await expect(core().readNode({ name: handle.nodeName })).rejects.toMatchObject({ code: 404 });
  }, 90_000);
});

import { CoreV1Api } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_STORAGE_CLASS } from '../../cluster/storage.js';
import { SCRIPTED_ANSWER } from '../../runtime/synth/harmonyScript.js';
import { clusterAccess, kubectl, kubectlResult, waitFor } from '../helpers/cluster.js';
import { startFileServer, type FileServer } from '../helpers/fileServer.js';
import { modelPath } from '../helpers/models.js';
import { condition, converged, readModel } from '../helpers/operator.js';
import { applyModel, e2eModel, podClients, readyRuntimePods, useStack } from '../helpers/stack.js';

/**
 * The shared weight cache end to end: a url model with `cache` gets one ReadWriteMany claim (the local cluster's
 * gptoss-shared class, a folder every dev-agent node sees), one download Job that fills it, and runtime pods that wait
 * for it and mount it read-only; the test's file server counts what was downloaded.
 */
describe('end to end: weights downloaded once per model into a shared cache', () => {
  const stack = useStack('e2e-cache');
  const { ns, agent } = stack;
  let server: FileServer;
  const body = readFileSync(modelPath('scripted'));
  const sha256 = createHash('sha256').update(body).digest('hex');
  const core = () => clusterAccess().kc.makeApiClient(CoreV1Api);
  beforeAll(async () => {
    server = await startFileServer({ 'gpt-oss-demo.gguf': body });
  });
  afterAll(async () => {
    await server?.close();
  });
  const cachedModel = (name: string, fileSha256: string, replicas: number) =>
    e2eModel(ns.name, name, agent.nodeName, 'scripted', {
      replicas,
      source: {
        url: {
          files: [{ url: server.url('gpt-oss-demo.gguf'), sha256: fileSha256 }],
          cache: { storageClassName: DEV_STORAGE_CLASS, size: '20Gi' },
        },
      },
    });

  it('scaled to three replicas, one download: every pod serves the files the Job verified', async () => {
    applyModel(cachedModel('shared', sha256, 1));
    await waitFor(() => converged(ns.name, 'shared', 1), 120_000, `1 replica Ready: ${stack.operator.logs()}`, 500);
    kubectl(['scale', 'gom', 'shared', '-n', ns.name, '--replicas=3']);
    await waitFor(() => converged(ns.name, 'shared', 3), 120_000, `3 replicas Ready: ${stack.operator.logs()}`, 500);
    expect(server.gets('gpt-oss-demo.gguf')).toHaveLength(1);
    const status = readModel(ns.name, 'shared').status as { weightCache?: Record<string, unknown> };
    expect(status.weightCache).toMatchObject({ claimName: 'shared-weights', complete: true });
    const claim = await core().readNamespacedPersistentVolumeClaim({ namespace: ns.name, name: 'shared-weights' });
    expect(claim.spec?.accessModes).toEqual(['ReadWriteMany']);
    expect(claim.status?.phase).toBe('Bound');

    const pods = await readyRuntimePods(ns.name, 'shared');
    expect(pods).toHaveLength(3);
    for (const pod of pods) {
      const volume = pod.spec?.volumes?.find((v) => v.name === 'weights');
      expect(volume?.persistentVolumeClaim).toEqual({ claimName: 'shared-weights', readOnly: true });
    }
    const completion = await podClients(pods[2]!).openai.chat.completions.create({
      model: 'shared',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(completion.choices[0]!.message.content).toBe(SCRIPTED_ANSWER);

    // the claim goes with the model (no cache.retain)
    kubectl(['delete', 'gom', 'shared', '-n', ns.name, '--wait=false']);
    await waitFor(
      async () => !(await core().listNamespacedPersistentVolumeClaim({ namespace: ns.name })).items.length,
      120_000,
      'the claim to be deleted with its model',
    );
  }, 240_000);

  it('a checksum mismatch fails the Job: the pods wait, and the status says why', async () => {
    applyModel(cachedModel('mismatch', 'e'.repeat(64), 1));
    await waitFor(
      () => condition(readModel(ns.name, 'mismatch'), 'Degraded')?.reason === 'WeightsDownloadFailed',
      120_000,
      `Degraded WeightsDownloadFailed: ${stack.operator.logs()}`,
      500,
    );
    const model = readModel(ns.name, 'mismatch');
    expect(condition(model, 'Degraded')?.message).toMatch(
      /^download Job mismatch-weights-[0-9a-f]{10} failed: pod mismatch-weights-.*sha256.*; runtime pods wait for the cache/,
    );
    expect(condition(model, 'Progressing')?.reason).toBe('WeightsDownloadFailed');
    expect(condition(model, 'Ready')?.status).toBe('False');
    const pods = (
      await core().listNamespacedPod({ namespace: ns.name, labelSelector: 'app.kubernetes.io/name=gptoss-runtime' })
    ).items.filter((p) => p.metadata?.labels?.['gptoss.io/model'] === 'mismatch');
    expect(pods).toHaveLength(1);
    const waiting = pods[0]!.status?.initContainerStatuses?.find((c) => c.name === 'await-weights');
    expect(waiting?.state?.running, JSON.stringify(pods[0]!.status)).toBeDefined();

    // deleting the failed Job tries again: the operator makes it anew
    const jobName = (model.status as { weightCache: { jobName: string } }).weightCache.jobName;
    const uidOf = () => kubectl(['get', 'job', jobName, '-n', ns.name, '-o', 'jsonpath={.metadata.uid}']);
    const failedUid = uidOf();
    kubectl(['delete', 'job', jobName, '-n', ns.name, '--wait=true']);
    await waitFor(
      () => {
        const r = kubectlResult(['get', 'job', jobName, '-n', ns.name, '-o', 'jsonpath={.metadata.uid}']);
        return r.status === 0 && r.stdout !== '' && r.stdout !== failedUid;
      },
      60_000,
      `a new Job ${jobName}: ${stack.operator.logs()}`,
    );
  }, 240_000);
});

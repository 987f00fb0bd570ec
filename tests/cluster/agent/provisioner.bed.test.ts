import { existsSync, lstatSync, readFileSync } from 'node:fs';
import {
  CoreV1Api,
  StorageV1Api,
  type V1Container,
  type V1PersistentVolumeClaim,
  type V1Pod,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { DEV_AGENT_TAINT } from '../../../cluster/agent/config.js';
import { pvcDir } from '../../../cluster/agent/volumes.js';
import { DEV_PROVISIONER, DEV_STORAGE_CLASS } from '../../../cluster/storage.js';
import { readyPods, runtimeContainer, useAgent } from '../../helpers/agent.js';
import { clusterAccess, useNamespace, waitFor } from '../../helpers/cluster.js';

const GPTOSS_IMAGE = 'ghcr.io/gptoss/runtime:0.1.0';
const MODEL_FILE = 'gpt-oss-tiny.gguf';

/**
 * The gptoss-shared class end to end: the class `up` created, a claim provisioned by the dev
 * agents and bound by the real PV controller, two pods on two agent nodes sharing its folder (one
 * writes a model, the other serves it), and the volume and folder deleted with the claim. The
 * agents run in-process: every wait here is asynchronous.
 */
describe('dynamic ReadWriteMany claims of the dev storage class (real control plane, two dev agents)', () => {
  const ns = useNamespace('agent-prov');
  // pod IPs from subnets of their own: two agents of one process must not hand out the same address
  const writerNode = useAgent('agent-prov-w', { podSubnet: '127.61.0.0/16' });
  const readerNode = useAgent('agent-prov-r', { podSubnet: '127.62.0.0/16' });
  const core = () => clusterAccess().kc.makeApiClient(CoreV1Api);
  const storage = () => clusterAccess().kc.makeApiClient(StorageV1Api);
  const readClaim = (name: string) => core().readNamespacedPersistentVolumeClaim({ namespace: ns.name, name });
  const gone = (read: () => Promise<unknown>) => async () =>
    read().then(
      () => false,
      (error: { code?: number }) => error.code === 404,
    );
  const sharedClaim = (name: string, spec: Partial<NonNullable<V1PersistentVolumeClaim['spec']>> = {}) =>
    core().createNamespacedPersistentVolumeClaim({
      namespace: ns.name,
      body: {
        metadata: { name },
        spec: {
          storageClassName: DEV_STORAGE_CLASS,
          accessModes: ['ReadWriteMany'],
          resources: { requests: { storage: '2Gi' } },
          ...spec,
        },
      },
    });
  const pod = (name: string, nodeName: string, spec: Partial<NonNullable<V1Pod['spec']>>) =>
    core().createNamespacedPod({
      namespace: ns.name,
      body: {
        metadata: { name, labels: { app: name } },
        spec: {
          nodeSelector: { 'kubernetes.io/hostname': nodeName },
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }, DEV_AGENT_TAINT],
          terminationGracePeriodSeconds: 5,
          volumes: [{ name: 'models', persistentVolumeClaim: { claimName: 'weights' } }],
          containers: [],
          ...spec,
        },
      },
    });

  it('exists as `up` made it: our provisioner, Immediate, Delete, a folder root', async () => {
    const sc = await storage().readStorageClass({ name: DEV_STORAGE_CLASS });
    expect(sc).toMatchObject({ provisioner: DEV_PROVISIONER, volumeBindingMode: 'Immediate', reclaimPolicy: 'Delete' });
    expect(sc.parameters?.root).toMatch(/\/clusters\/[^/]+\/volumes$/);
    expect(sc.metadata?.annotations?.['kubernetes.io/description']).toMatch(/shared by every fake node/);
  });

  it('binds a ReadWriteMany claim to a volume of its own; pods on two nodes share its folder', async () => {
    const root = (await storage().readStorageClass({ name: DEV_STORAGE_CLASS })).parameters!.root!;
    const created = await sharedClaim('weights');
    await waitFor(async () => (await readClaim('weights')).status?.phase === 'Bound', 30_000, 'the claim bound', 200);
    const claim = await readClaim('weights');
    const uid = created.metadata!.uid!;
    expect(claim.spec?.volumeName).toBe(`pvc-${uid}`);
    expect(claim.status).toMatchObject({ accessModes: ['ReadWriteMany'], capacity: { storage: '2Gi' } });
    // the PV controller's own annotation, left as it set it
    expect(claim.metadata?.annotations?.['volume.kubernetes.io/storage-provisioner']).toBe(DEV_PROVISIONER);
    const volume = await core().readPersistentVolume({ name: `pvc-${uid}` });
    const folder = pvcDir(root, ns.name, 'weights');
    expect(volume.metadata?.annotations?.['pv.kubernetes.io/provisioned-by']).toBe(DEV_PROVISIONER);
    expect(volume.spec).toMatchObject({
      capacity: { storage: '2Gi' },
      accessModes: ['ReadWriteMany'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: DEV_STORAGE_CLASS,
      claimRef: { namespace: ns.name, name: 'weights', uid },
      hostPath: { path: folder },
    });
    expect(existsSync(folder)).toBe(true);

    await pod('writer', writerNode.nodeName, {
      restartPolicy: 'Never',
      containers: [
        {
          name: 'synth',
          image: GPTOSS_IMAGE,
          args: ['synth-model', '--arch', 'gpt-oss', '--preset', 'tiny', '--out', `/models/${MODEL_FILE}`],
          volumeMounts: [{ name: 'models', mountPath: '/models' }],
        },
      ],
    });
    await waitFor(
      async () =>
        (await core().readNamespacedPod({ namespace: ns.name, name: 'writer' })).status?.phase === 'Succeeded',
      90_000,
      'the writer to finish',
      200,
    );
    await pod('reader', readerNode.nodeName, {
      containers: [
        runtimeContainer(
          { path: `/models/${MODEL_FILE}` },
          { volumeMounts: [{ name: 'models', mountPath: '/models', readOnly: true }] },
        ) as unknown as V1Container,
      ],
    });
    // Ready only once `gptoss serve` loaded the model the other node's pod wrote
    const [reader] = await readyPods(ns.name, 'reader', 1, 90_000);
    expect(reader!.spec?.nodeName).toBe(readerNode.nodeName);

    const written = readFileSync(`${folder}/${MODEL_FILE}`);
    for (const agent of [writerNode, readerNode]) {
      const own = pvcDir(agent.stateDir, ns.name, 'weights');
      expect(lstatSync(own).isSymbolicLink()).toBe(true);
      expect(readFileSync(`${own}/${MODEL_FILE}`).equals(written)).toBe(true);
    }
  }, 240_000);

  it('deletes the volume, its folder and the links with the claim', async () => {
    const root = (await storage().readStorageClass({ name: DEV_STORAGE_CLASS })).parameters!.root!;
    const volumeName = (await readClaim('weights')).spec!.volumeName!;
    for (const name of ['writer', 'reader'])
      await core().deleteNamespacedPod({ namespace: ns.name, name, gracePeriodSeconds: 1 });
    await waitFor(
      async () => (await core().listNamespacedPod({ namespace: ns.name })).items.length === 0,
      60_000,
      'the pods gone',
      200,
    );
    await core().deleteNamespacedPersistentVolumeClaim({ namespace: ns.name, name: 'weights' });
    await waitFor(
      gone(() => core().readPersistentVolume({ name: volumeName })),
      30_000,
      'the volume deleted',
      200,
    );
    expect(existsSync(pvcDir(root, ns.name, 'weights'))).toBe(false);
    for (const agent of [writerNode, readerNode])
      await waitFor(
        () => !existsSync(pvcDir(agent.stateDir, ns.name, 'weights')),
        10_000,
        `the link of ${agent.nodeName} removed`,
        100,
      );
  }, 120_000);

  it('refuses a Block claim with a Warning Event and leaves it Pending', async () => {
    await sharedClaim('block', { volumeMode: 'Block' });
    await waitFor(
      async () =>
        (
          await core().listNamespacedEvent({ namespace: ns.name, fieldSelector: 'involvedObject.name=block' })
        ).items.some((e) => e.reason === 'ProvisioningFailed' && e.type === 'Warning' && /Block/.test(e.message ?? '')),
      30_000,
      'the ProvisioningFailed Event',
      200,
    );
    expect((await readClaim('block')).status?.phase).toBe('Pending');
    const volumes = (await core().listPersistentVolume()).items;
    expect(volumes.filter((v) => v.spec?.claimRef?.namespace === ns.name && v.spec.claimRef.name === 'block')).toEqual(
      [],
    );
  });
});

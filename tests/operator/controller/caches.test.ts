import type { V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { dropManagedFields, keepPlacementFields } from '../../../operator/controller/caches.js';
import { nodeInfo } from '../../../operator/controller/reads.js';
import { nodeSignal } from '../../../operator/controller/wakeSignals.js';

/** A GPU node as a kubelet and node feature discovery leave it, less long lists. */
const gpuNode = (): V1Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: {
    name: 'gpu-1',
    uid: 'u-1',
    resourceVersion: '42',
    labels: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3', 'nvidia.com/gpu.count': '8' },
    annotations: { 'nfd.node.kubernetes.io/feature-labels': 'cpu-cpuid.AVX512F,pci-10de.present' },
    managedFields: [{ manager: 'kubelet', operation: 'Update' }],
  },
  spec: { taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }], providerID: 'aws:///x' },
  status: {
    allocatable: { cpu: '64', memory: '512Gi', 'nvidia.com/gpu': '8' },
    capacity: { cpu: '64', memory: '512Gi', 'nvidia.com/gpu': '8' },
    conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date('2026-12-02T08:00:00Z') }],
    images: [{ names: ['nvcr.io/nvidia/k8s-device-plugin:v0.17.0'], sizeBytes: 123 }],
    addresses: [{ type: 'InternalIP', address: '10.0.0.1' }],
  },
});

describe('the caches’ transforms', () => {
  it('keeps of a node what placement and its wake signal read, and nothing else', () => {
    const node = gpuNode();
    const kept = keepPlacementFields(gpuNode());
    expect(kept).toEqual({
      metadata: { name: 'gpu-1', uid: 'u-1', resourceVersion: '42', labels: node.metadata!.labels },
      status: { allocatable: node.status!.allocatable },
    });
    expect(nodeInfo(kept)).toEqual(nodeInfo(node));
    expect(nodeSignal(kept)).toBe(nodeSignal(node));
  });

  it('keeps a node without labels or allocatable as placement reads it (none)', () => {
    const kept = keepPlacementFields({ metadata: { name: 'bare', resourceVersion: '1' } });
    expect(nodeInfo(kept)).toEqual({ name: 'bare', labels: {}, allocatable: {} });
    expect(kept.metadata?.resourceVersion).toBe('1');
  });

  it('drops managedFields of any other object and keeps the rest', () => {
    const node = gpuNode();
    const trimmed = dropManagedFields(gpuNode());
    expect(trimmed.metadata?.managedFields).toBeUndefined();
    expect({ ...trimmed, metadata: { ...trimmed.metadata, managedFields: node.metadata!.managedFields } }).toEqual(
      node,
    );
  });
});

import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { ModelWaker } from '../types.js';
import { GPTOSSMODELS } from '../discovery/informers.js';

/** The gateway's name in managedFields: the scale it wrote is its own. */
const FIELD_MANAGER = 'gptoss-gateway';

const statusOf = (error: unknown) => (error as { code?: number }).code;

/**
 * Wakes a model at zero through its scale subresource, as HPA or KEDA would: reads the scale and, if
 * it is still 0, writes 1 against the resourceVersion read, so a concurrent change (the autoscaler,
 * kubectl scale) wins and is never overwritten. The gateway's RBAC is get and update on
 * gptossmodels/scale, nothing more of the model.
 */
export class ScaleSubresourceWaker implements ModelWaker {
  private readonly custom: CustomObjectsApi;

  constructor(kc: KubeConfig) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  async wake(namespace: string, name: string): Promise<void> {
    const target = { ...GPTOSSMODELS, namespace, name };
    try {
      const scale = (await this.custom.getNamespacedCustomObjectScale(target)) as {
        metadata?: { resourceVersion?: string };
        spec?: { replicas?: number };
      };
      if ((scale.spec?.replicas ?? 0) > 0) return;
      await this.custom.replaceNamespacedCustomObjectScale({
        ...target,
        fieldManager: FIELD_MANAGER,
        body: {
          apiVersion: 'autoscaling/v1',
          kind: 'Scale',
          metadata: { name, namespace, resourceVersion: scale.metadata?.resourceVersion },
          spec: { replicas: 1 },
        },
      });
    } catch (cause) {
      // someone scaled it meanwhile: it is not at zero (or is again, and the next look wakes it)
      if (statusOf(cause) === 409) return;
      throw new Error(`scaling GptOssModel ${namespace}/${name} from 0 to 1 replica`, { cause });
    }
  }
}

import type {
  KubernetesListObject,
  KubernetesObject,
  V1Deployment,
  V1Job,
  V1Node,
  V1PersistentVolumeClaim,
  V1Pod,
  V1StorageClass,
} from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { GROUP, PLURAL, VERSION, type GptOssModel, type GptOssModelStatus } from '../api/v1alpha1/gptOssModel.js';
import { FETCH_PORT, MODEL_LABEL, WEIGHTS_APP_LABELS } from '../../contract/names.js';
import { selectorText, type ChildRef, type StorageClassInfo } from '../planner/children.js';
import type { NodeInfo } from '../planner/gpuClasses.js';
import type { ObservedDeployment, ObservedPods } from '../planner/status.js';
import { ApiException, type KubeClient } from '../../contract/kube/client.js';
import { ResourcePaths } from '../../contract/kube/resourcePaths.js';
import {
  nodeInfo,
  observedDeployment,
  observePods,
  ownedChild,
  storageClassInfo,
  type FoundWeightCache,
  type WorldReads,
} from './reads.js';

/** Server-side apply's content type. */
export const APPLY_PATCH = 'application/apply-patch+yaml';

/** The one field manager every write of the operator uses. */
export const FIELD_MANAGER = 'gptoss-operator';

const modelPath = (namespace: string, name: string) =>
  `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}/${name}`;
const childKey = (c: { kind: string; namespace: string; name: string }) => `${c.kind}/${c.namespace}/${c.name}`;
const isNotFound = (error: unknown) => error instanceof ApiException && error.code === 404;
/** A delete's uid precondition failed: the name is now another object's. */
const isConflict = (error: unknown) => error instanceof ApiException && error.code === 409;

/**
 * The API server's message when it refused a child for what the child is (422 Invalid, 400 Bad Request): retrying
 * the same object cannot help. Null for any other failure (unreachable, conflict, forbidden), which is retried.
 */
export function refusedChild(error: unknown): string | null {
  const cause = error instanceof Error ? error.cause : undefined;
  if (!(cause instanceof ApiException) || (cause.code !== 422 && cause.code !== 400)) return null;
  const body: unknown = cause.body;
  try {
    const status = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: unknown } | undefined;
    if (typeof status?.message === 'string') return status.message;
  } catch {
    // not a Status: the code is all there is
  }
  return `HTTP ${cause.code}`;
}

/**
 * The thin layer that talks to the API server: reads, server-side apply of children, status
 * through /status. Errors are wrapped with what was being done. Its reads go straight to the API
 * server (one-shot use and tests); the operator process reads through its informers' caches.
 */
export class Executor implements WorldReads {
  /** What this process last applied, by child: kind/namespace/name -> hash of the applied object. */
  private readonly applied = new Map<string, string>();
  /** Children known to be absent (deleted or never there). */
  private readonly absent = new Set<string>();
  /** Children's paths, by discovery. */
  private readonly paths: ResourcePaths;

  constructor(private readonly client: KubeClient) {
    this.paths = new ResourcePaths(client);
  }

  async readModel(namespace: string, name: string): Promise<GptOssModel | null> {
    try {
      return await this.client.request<GptOssModel>('GET', modelPath(namespace, name));
    } catch (cause) {
      if (isNotFound(cause)) return null;
      throw new Error(`reading GptOssModel ${namespace}/${name}`, { cause });
    }
  }

  async listNodes(): Promise<NodeInfo[]> {
    try {
      return (await this.list<V1Node>('/api/v1/nodes')).map(nodeInfo);
    } catch (cause) {
      throw new Error('listing nodes', { cause });
    }
  }

  /**
   * Server-side apply; false when this process already applied exactly this object and nothing
   * said it changed since (see forget): a steady reconcile then costs the API server no writes.
   */
  async apply(object: Record<string, unknown>): Promise<boolean> {
    const meta = object.metadata as { name: string; namespace?: string };
    const key = childKey({ kind: String(object.kind), namespace: meta.namespace ?? '', name: meta.name });
    const hash = createHash('sha256').update(JSON.stringify(object)).digest('hex');
    if (this.applied.get(key) === hash) return false;
    try {
      const path = await this.paths.of(object);
      const query = `?fieldManager=${FIELD_MANAGER}&force=true`;
      await this.client.request('PATCH', `${path}${query}`, { body: object, contentType: APPLY_PATCH, answer: false });
    } catch (cause) {
      this.applied.delete(key);
      throw new Error(`applying ${String(object.kind)} ${meta.namespace}/${meta.name}`, { cause });
    }
    this.applied.set(key, hash);
    this.absent.delete(key);
    return true;
  }

  /**
   * Deletes a child the plan no longer has (with a uid, only that object); true when something was deleted. An object
   * of another uid under the name is left for the next reconcile to judge.
   */
  async deleteIfPresent(ref: ChildRef): Promise<boolean> {
    const key = childKey(ref);
    if (this.absent.has(key)) return false;
    try {
      // in the background: a Job's own default would orphan its pods, which would go on downloading
      const path = await this.childPath(ref);
      const body = ref.uid ? { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: ref.uid } } : undefined;
      await this.client.request('DELETE', `${path}?propagationPolicy=Background`, { body, answer: false });
    } catch (cause) {
      if (ref.uid && isConflict(cause)) return false;
      if (!isNotFound(cause)) throw new Error(`deleting ${ref.kind} ${ref.namespace}/${ref.name}`, { cause });
      this.absent.add(key);
      return false;
    }
    this.absent.add(key);
    this.applied.delete(key);
    return true;
  }

  /**
   * Something may have changed a child behind our back (a watch saw its spec change or its
   * deletion): apply it again next time. Without an argument, everything (the periodic resync
   * repairs drift in children that are not watched, such as Services).
   */
  forget(child?: { kind: string; namespace: string; name: string }): void {
    if (!child) {
      this.applied.clear();
      this.absent.clear();
      return;
    }
    this.applied.delete(childKey(child));
    this.absent.delete(childKey(child));
  }

  async observeDeployment(namespace: string, name: string): Promise<ObservedDeployment | null> {
    try {
      const path = `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`;
      return observedDeployment(await this.client.request<V1Deployment>('GET', path));
    } catch (cause) {
      if (isNotFound(cause)) return null;
      throw new Error(`reading Deployment ${namespace}/${name}`, { cause });
    }
  }

  async observePods(namespace: string, labels: Record<string, string>): Promise<ObservedPods> {
    let pods;
    try {
      pods = await this.list<V1Pod>(`/api/v1/namespaces/${namespace}/pods`, selectorText(labels));
    } catch (cause) {
      throw new Error(`listing runtime pods in ${namespace}`, { cause });
    }
    return observePods(pods, FETCH_PORT);
  }

  async listStorageClasses(): Promise<StorageClassInfo[]> {
    try {
      return (await this.list<V1StorageClass>('/apis/storage.k8s.io/v1/storageclasses')).map(storageClassInfo);
    } catch (cause) {
      throw new Error('listing StorageClasses', { cause });
    }
  }

  async findWeightCache(namespace: string, model: string): Promise<FoundWeightCache> {
    const labelSelector = selectorText({ ...WEIGHTS_APP_LABELS, [MODEL_LABEL]: model });
    try {
      const [claims, jobs, pods] = await Promise.all([
        this.list<V1PersistentVolumeClaim>(`/api/v1/namespaces/${namespace}/persistentvolumeclaims`, labelSelector),
        this.list<V1Job>(`/apis/batch/v1/namespaces/${namespace}/jobs`, labelSelector),
        this.list<V1Pod>(`/api/v1/namespaces/${namespace}/pods`, labelSelector),
      ]);
      return { claims, jobs, pods };
    } catch (cause) {
      throw new Error(`listing the weight cache of ${namespace}/${model}`, { cause });
    }
  }

  async findOwnedChild(ref: ChildRef, owner: string | undefined): Promise<ChildRef | null> {
    try {
      return ownedChild(ref, await this.client.request<KubernetesObject>('GET', await this.childPath(ref)), owner);
    } catch (cause) {
      if (isNotFound(cause)) return null;
      throw new Error(`reading ${ref.kind} ${ref.namespace}/${ref.name}`, { cause });
    }
  }

  private childPath(ref: ChildRef): Promise<string> {
    const { apiVersion, kind, namespace, name } = ref;
    return this.paths.of({ apiVersion, kind, metadata: { namespace, name } });
  }

  /** An Event on the model (kubectl describe gom shows it). */
  async recordEvent(
    model: GptOssModel,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    now: Date,
  ): Promise<void> {
    const { namespace, name, uid } = model.metadata;
    try {
      const body = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: {
          namespace,
          name: `${name}.${now.getTime().toString(16)}${Math.floor(Math.random() * 0xfff).toString(16)}`,
        },
        involvedObject: { apiVersion: model.apiVersion, kind: model.kind, name, namespace, uid },
        type,
        reason,
        message: message.slice(0, 1000),
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        source: { component: FIELD_MANAGER },
        reportingComponent: FIELD_MANAGER,
        reportingInstance: FIELD_MANAGER,
      };
      await this.client.request('POST', `/api/v1/namespaces/${namespace}/events`, { body, answer: false });
    } catch (cause) {
      throw new Error(`recording event ${reason} for GptOssModel ${namespace}/${name}`, { cause });
    }
  }

  /**
   * spec.replicas of a model through its scale subresource, with the resourceVersion to write against; null when the
   * model is gone.
   */
  async readScale(namespace: string, name: string): Promise<{ replicas: number; resourceVersion: string } | null> {
    try {
      const scale = await this.client.request<{
        metadata?: { resourceVersion?: string };
        spec?: { replicas?: number };
      }>('GET', `${modelPath(namespace, name)}/scale`);
      return { replicas: scale.spec?.replicas ?? 0, resourceVersion: scale.metadata?.resourceVersion ?? '' };
    } catch (cause) {
      if (isNotFound(cause)) return null;
      throw new Error(`reading the scale of GptOssModel ${namespace}/${name}`, { cause });
    }
  }

  /**
   * Sets spec.replicas through the scale subresource (as HPA does), against the resourceVersion it
   * was read at: a concurrent change (kubectl scale) makes this fail with a conflict instead of
   * being overwritten.
   */
  async writeScale(namespace: string, name: string, replicas: number, resourceVersion: string): Promise<void> {
    try {
      await this.client.request('PUT', `${modelPath(namespace, name)}/scale?fieldManager=${FIELD_MANAGER}`, {
        body: {
          apiVersion: 'autoscaling/v1',
          kind: 'Scale',
          metadata: { name, namespace, resourceVersion },
          spec: { replicas },
        },
        answer: false,
      });
    } catch (cause) {
      throw new Error(`scaling GptOssModel ${namespace}/${name} to ${replicas} replicas`, { cause });
    }
  }

  /** Writes the model's status; resolves with the model as the API server answered (its new resourceVersion). */
  async writeStatus(model: GptOssModel, status: GptOssModelStatus): Promise<GptOssModel> {
    const { namespace, name } = model.metadata;
    try {
      const path = `${modelPath(namespace ?? '', name)}/status?fieldManager=${FIELD_MANAGER}&force=true`;
      return await this.client.request<GptOssModel>('PATCH', path, {
        body: { apiVersion: model.apiVersion, kind: model.kind, metadata: { name, namespace }, status },
        contentType: APPLY_PATCH,
      });
    } catch (cause) {
      throw new Error(`writing the status of GptOssModel ${namespace}/${name}`, { cause });
    }
  }

  /** A list's items, selected by label when a selector is given. */
  private async list<T>(path: string, labelSelector?: string): Promise<T[]> {
    const query = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
    return (await this.client.request<KubernetesListObject<T & object>>('GET', `${path}${query}`)).items;
  }
}

import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { InformerSupervisor } from '../../contract/kube/informerSupervisor.js';
import type { Logger } from '../../contract/log.js';
import type { GatewayConfig } from '../config.js';
import type { ModelDirectory, ServedModel } from '../types.js';
import { discoveryInformers, type DiscoveryInformers } from './informers.js';
import { groupReplicas, modelKey, servedModels, skippedAdapters } from './served.js';

export interface RunningModelDirectory extends ModelDirectory {
  /** Stops the watches; the directory keeps what it last knew. */
  stop(): Promise<void>;
}

interface Snapshot {
  models: readonly ServedModel[];
  byId: ReadonlyMap<string, ServedModel>;
  /** By model id, what of spec.adapters is not served (as text): warned about when it changes, not per rebuild. */
  skippedAdapters: ReadonlyMap<string, string>;
}

/**
 * The ModelDirectory kept current by informers: every event marks the snapshot stale and rebuilds
 * it on the next turn of the event loop (a burst of events, one rebuild), or at once when it is read
 * stale, so a read never returns what the caches no longer say. A change of a model's Ready
 * replicas or adapters is logged, and a malformed entry of spec.adapters warned about once.
 */
class WatchedModelDirectory implements ModelDirectory {
  private snapshot: Snapshot = { models: [], byId: new Map(), skippedAdapters: new Map() };
  private stale = true;
  private rebuildQueued = false;

  constructor(
    private readonly informers: DiscoveryInformers,
    private readonly log: Logger,
  ) {
    for (const cache of [informers.models, informers.replicas])
      for (const verb of ['add', 'update', 'delete'] as const) cache.on(verb, () => this.changed());
  }

  list(): readonly ServedModel[] {
    return this.current().models;
  }

  get(namespace: string, name: string): ServedModel | undefined {
    return this.current().byId.get(modelKey(namespace, name));
  }

  private changed(): void {
    this.stale = true;
    if (this.rebuildQueued) return;
    this.rebuildQueued = true;
    setImmediate(() => {
      this.rebuildQueued = false;
      this.current();
    });
  }

  private current(): Snapshot {
    if (!this.stale) return this.snapshot;
    this.stale = false;
    const replicas = groupReplicas(this.informers.readReplicas(this.informers.replicas.list()));
    const objects = this.informers.models.list();
    const models = servedModels(objects, replicas);
    const previous = this.snapshot;
    this.snapshot = {
      models,
      byId: new Map(models.map((m) => [modelKey(m.namespace, m.name), m])),
      skippedAdapters: this.warnSkippedAdapters(objects, previous.skippedAdapters),
    };
    this.logChanges(previous.byId);
    return this.snapshot;
  }

  private logChanges(previous: ReadonlyMap<string, ServedModel>): void {
    const pods = (m: ServedModel) => m.replicas.map((r) => r.pod).join(',');
    const adapters = (m: ServedModel) => m.adapters ?? [];
    for (const [id, model] of this.snapshot.byId) {
      const before = previous.get(id);
      const fields = { kind: 'GptOssModel', namespace: model.namespace, name: model.name };
      if (!before)
        this.log.info({ ...fields, readyReplicas: model.replicas.length, adapters: adapters(model) }, 'Added model');
      else if (pods(before) !== pods(model))
        this.log.info({ ...fields, readyReplicas: model.replicas.length }, 'Updated replicas');
      if (before && adapters(before).join() !== adapters(model).join())
        this.log.info({ ...fields, adapters: adapters(model) }, 'Updated adapters');
    }
    for (const [id, model] of previous)
      if (!this.snapshot.byId.has(id))
        this.log.info({ kind: 'GptOssModel', namespace: model.namespace, name: model.name }, 'Removed model');
  }

  /** Warns of the unserved spec.adapters entries of models whose entries changed; returns what is skipped now. */
  private warnSkippedAdapters(objects: Iterable<KubernetesObject>, before: ReadonlyMap<string, string>) {
    const { now, warnings } = skippedAdapters(objects, before);
    for (const { namespace, name, field, reason } of warnings)
      this.log.warn({ kind: 'GptOssModel', namespace, name, field, reason }, 'Skipped invalid adapter');
    return now;
  }
}

/**
 * Starts discovery: informers on the GptOssModels and the replica source of the watched namespaces,
 * each supervised (restarted with back-off on errors, at once when it has heard nothing for
 * `informerStallSeconds`). Resolves once every cache holds its first list.
 */
export async function startModelDirectory(parts: {
  kc: KubeConfig;
  config: Pick<GatewayConfig, 'namespaces' | 'replicaSource' | 'informerStallSeconds'>;
  log: Logger;
  /** Called with the resource's name each time one of its informers is restarted (a metric). */
  onRestart?: (informer: string) => void;
}): Promise<RunningModelDirectory> {
  const { kc, config, log } = parts;
  const informers = discoveryInformers(kc, config.namespaces, config.replicaSource);
  const directory = new WatchedModelDirectory(informers, log);
  const supervisors = informers.all().map(
    ([name, informer]) =>
      new InformerSupervisor({
        informer,
        name,
        log,
        options: { stallMs: config.informerStallSeconds * 1000, backoffBaseMs: 500, backoffMaxMs: 30_000 },
        onRestart: () => parts.onRestart?.(name),
      }),
  );
  try {
    await Promise.all(supervisors.map((s) => s.start()));
  } catch (error) {
    await Promise.allSettled(supervisors.map((s) => s.stop()));
    throw new Error(`watching GptOssModels and ${config.replicaSource}`, { cause: error });
  }
  log.info(
    { models: directory.list().length, namespaces: config.namespaces, replicaSource: config.replicaSource },
    'Synced model directory',
  );
  return {
    list: () => directory.list(),
    get: (namespace, name) => directory.get(namespace, name),
    async stop() {
      await Promise.all(supervisors.map((s) => s.stop()));
    },
  };
}

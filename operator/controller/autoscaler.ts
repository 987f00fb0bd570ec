import type { KubernetesObject, ObjectCache, V1Pod } from '@kubernetes/client-node';
import { describeError } from '../../contract/errors.js';
import type { Logger } from '../../contract/log.js';
import { GROUP, KIND, VERSION, type AutoscalingStatus, type GptOssModel } from '../api/v1alpha1/gptOssModel.js';
import type { OperatorConfig } from '../config.js';
import { autoscalingPolicy, autoscalingStatus, decideReplicas, type AutoscalerMemory } from '../planner/autoscale.js';
import { labelsFor } from '../planner/children.js';
import { hasLabels } from './cacheReads.js';
import type { Executor } from './executor.js';
import { readGatewayDemand, type GatewayDemand } from './gatewayDemand.js';
import { runtimeAddress, sampleUtilization } from './utilization.js';
import { realScheduler, type Scheduler } from './workQueue.js';

export interface AutoscalerOptions {
  settings: OperatorConfig['autoscaler'];
  /** The informers' caches: models to scale, and their pods (readiness, IPs). */
  models: Pick<ObjectCache<GptOssModel & KubernetesObject>, 'list'>;
  pods: Pick<ObjectCache<V1Pod>, 'list'>;
  api: Pick<Executor, 'readScale' | 'writeScale' | 'recordEvent'>;
  /** Reconcile this model (namespace/name): its status.autoscaling changed. */
  enqueue: (key: string) => void;
  log: Logger;
  /** Namespaces this operator reconciles. */
  watched?: (namespace: string) => boolean;
  /** Where a pod serves /metrics (host:port); tests point pods at fake metrics endpoints. */
  podAddress?: (pod: V1Pod) => string | undefined;
  now?: () => Date;
  scheduler?: Scheduler;
}

/**
 * The builtin autoscaler's loop, run by the leader: every interval, for each model with
 * autoscaling.mode builtin, read spec.replicas fresh from the scale subresource, scrape
 * gptoss_runtime_utilization from its ready pods and, once per pass, the requests the gateways
 * hold for each model (settings.gateways), decide (operator/planner/autoscale.ts), write
 * the scale subresource when the replicas change (with an Event), and remember the decision.
 * It never writes status: the reconcile is status's one writer and asks `status()` for the last
 * decision, so the autoscaler enqueues the model when that changes. The memory (recommendation
 * history, last scale-up) lives in this process only: a new leader starts afresh, scaling up at
 * once but down only after watching a full window itself.
 */
export class Autoscaler {
  private readonly state = new Map<string, { memory: AutoscalerMemory; status: AutoscalingStatus }>();
  private readonly scheduler: Scheduler;
  private readonly now: () => Date;
  private timer: unknown;
  private running: Promise<void> | null = null;
  private started = false;

  constructor(private readonly options: AutoscalerOptions) {
    this.scheduler = options.scheduler ?? realScheduler;
    this.now = options.now ?? (() => new Date());
  }

  /** Decides at once, then every interval after the previous pass ended, until stop(). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.timer !== undefined) this.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass over the models (joins the pass in progress, if any). Never rejects. */
  tick(): Promise<void> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** The last decision for a model, for its status; undefined before the first. */
  status(namespace: string, name: string): AutoscalingStatus | undefined {
    return this.state.get(`${namespace}/${name}`)?.status;
  }

  private schedule(ms: number): void {
    this.timer = this.scheduler.setTimeout(() => {
      this.timer = undefined;
      void this.tick().then(() => {
        if (this.started) this.schedule(this.options.settings.intervalSeconds * 1000);
      });
    }, ms);
  }

  private async pass(): Promise<void> {
    const now = this.now();
    const watched = this.options.watched ?? (() => true);
    const models = this.options.models
      .list()
      .filter((m) => watched(m.metadata.namespace ?? '') && m.spec?.autoscaling?.mode === 'builtin');
    const keys = new Set(models.map((m) => `${m.metadata.namespace}/${m.metadata.name}`));
    // a model that went or left builtin mode: forget it (its status.autoscaling goes with the next reconcile)
    for (const key of this.state.keys()) if (!keys.has(key)) this.state.delete(key);
    const demand = models.length > 0 ? await this.gatewayDemand() : undefined;
    await Promise.all(
      models.map((model) =>
        this.decide(model, now, demand).catch((error: unknown) => {
          this.options.log.error(
            {
              kind: KIND,
              namespace: model.metadata.namespace,
              name: model.metadata.name,
              err: describeError(error),
            },
            'Failed to autoscale model',
          );
        }),
      ),
    );
  }

  /** What the gateways hold, when any is configured; one that cannot be read is logged and counts as none. */
  private async gatewayDemand(): Promise<GatewayDemand | undefined> {
    const { gateways, scrapeTimeoutMs } = this.options.settings;
    if (gateways.length === 0) return undefined;
    const demand = await readGatewayDemand(gateways, scrapeTimeoutMs);
    for (const { address, problem } of demand.unread)
      this.options.log.warn({ endpoint: `${address}/metrics`, problem }, 'Failed to read held requests of a gateway');
    return demand;
  }

  private async decide(model: GptOssModel, now: Date, demand: GatewayDemand | undefined): Promise<void> {
    const { api, settings, log } = this.options;
    const namespace = model.metadata.namespace!;
    const { name } = model.metadata;
    const key = `${namespace}/${name}`;
    const scale = await api.readScale(namespace, name);
    if (!scale) {
      this.state.delete(key);
      return;
    }
    const pods = this.options.pods.list(namespace).filter(hasLabels(labelsFor(model)));
    const address = this.options.podAddress ?? runtimeAddress;
    const { samples, unscraped } = await sampleUtilization(pods, address, settings.scrapeTimeoutMs);
    for (const { pod, problem } of unscraped)
      log.warn(
        { kind: 'Pod', namespace, name: pod.metadata?.name, model: name, endpoint: '/metrics', problem },
        'Failed to read runtime utilization',
      );
    const before = this.state.get(key);
    const decision = decideReplicas({
      policy: autoscalingPolicy(model.spec.autoscaling),
      tolerance: settings.tolerance,
      replicas: scale.replicas,
      samples,
      held: demand && { requests: demand.held.get(key) ?? 0, slotsPerReplica: model.spec.parallelSlots },
      memory: before?.memory,
      now: now.getTime(),
    });
    if (decision.desiredReplicas !== scale.replicas) {
      // a conflict (someone scaled since the read) throws: nothing is remembered, the next pass reads afresh
      await api.writeScale(namespace, name, decision.desiredReplicas, scale.resourceVersion);
      log.info(
        {
          kind: KIND,
          namespace,
          name,
          from: scale.replicas,
          to: decision.desiredReplicas,
          reason: decision.reason,
          utilization: decision.utilization,
        },
        'Scaled model',
      );
      // best-effort, as every Event: the status records the decision anyway
      await api
        .recordEvent(
          { ...model, apiVersion: `${GROUP}/${VERSION}`, kind: KIND },
          'Normal',
          decision.reason,
          decision.message,
          now,
        )
        .catch((error: unknown) =>
          log.warn({ kind: KIND, namespace, name, err: String(error) }, 'Failed to record the scaling event'),
        );
    }
    const status = autoscalingStatus(before?.status, decision, scale.replicas, now.getTime());
    this.state.set(key, { memory: decision.memory, status });
    if (status !== before?.status) this.options.enqueue(key);
  }
}

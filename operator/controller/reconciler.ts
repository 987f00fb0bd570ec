import type { AutoscalingStatus, GptOssModel, GptOssModelStatus } from '../api/v1alpha1/gptOssModel.js';
import type * as Schema from '../api/v1alpha1/schema.js';
import { isProblem, REASONS } from '../api/v1alpha1/reasons.js';
import {
  labelsFor,
  planChildren,
  selectorText,
  type ChildrenConfig,
  type WeightCachePlan,
} from '../planner/children.js';
import { FETCH_PORT } from '../../contract/names.js';
import { classesOfPool } from '../planner/gpuClasses.js';
import { planPlacement, type Placement, type PlacementSettings } from '../planner/placement.js';
import { policyRefusal, type TenantPolicy } from '../planner/policy.js';
import { planStatus, statusChanged } from '../planner/status.js';
import type { EventSink } from './eventQueue.js';
import { refusedChild, type Executor } from './executor.js';
import { readWeightCache, type WorldReads } from './reads.js';

export interface ReconcileSettings extends ChildrenConfig, PlacementSettings {
  /** What tenants' models may ask for; a model outside it gets no new children. */
  policy: TenantPolicy;
}

export interface ModelKey {
  namespace: string;
  name: string;
}

export interface ReconcileOutcome {
  /** What the reconcile did, for logs and tests. */
  applied: string[];
  statusWritten: boolean;
  status: GptOssModelStatus | null;
  desiredReplicas: number;
  /** Reconcile again after this long even if no watch fires. */
  requeueAfterMs?: number;
}

export interface ReconcilerDeps {
  /** Every write goes through it (and, without `reads`, every read: straight from the API server). */
  executor: Executor;
  /** The operator process reads through its informers' caches. */
  reads?: WorldReads;
  settings: ReconcileSettings;
  now: () => Date;
  /** The builtin autoscaler's last decision for a model (it keeps it in memory; status has one writer: this). */
  autoscaling?: (key: ModelKey) => AutoscalingStatus | undefined;
  /** Where Events go (the operator process: an EventQueue); without one, each is sent before the reconcile returns. */
  events?: EventSink;
}

const DOWNLOAD_POLL_MS = 2000;
/** A condition's message (and its Event's) stays readable: the API server's messages can list many fields. */
const MAX_MESSAGE = 1000;
const clip = (message: string) => (message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message);

/**
 * Level-based: from a key, re-read the world, plan (pure), apply the children, then write status
 * only when it changed, with an Event for every condition that changed. A model that no longer
 * exists needs nothing: its children go by garbage collection. A model that cannot be placed gets
 * no new Deployment; one already serving keeps it.
 */
export class ModelReconciler {
  private readonly reads: WorldReads;
  private readonly events: EventSink;
  /** GPU classes computed once per node list and selector, not on every reconcile. */
  private readonly classesOf: ReturnType<typeof classesOfPool>;
  /** The API's schemas, loaded with the first model: an operator with none idles without them (docs/operator.md). */
  private schema?: Promise<typeof Schema>;

  constructor(private readonly deps: ReconcilerDeps) {
    this.reads = deps.reads ?? deps.executor;
    this.events = deps.events ?? {
      record: (e) => deps.executor.recordEvent(e.model, e.type, e.reason, e.message, e.at),
    };
    this.classesOf = classesOfPool(deps.settings.catalogue);
  }

  async reconcile(key: ModelKey): Promise<ReconcileOutcome> {
    const { settings, now } = this.deps;
    const model = await this.reads.readModel(key.namespace, key.name);
    if (!model) return { applied: [], statusWritten: false, status: null, desiredReplicas: 0 };
    const { gptOssModelSpec } = await (this.schema ??= import('../api/v1alpha1/schema.js'));
    // the API server defaulted the spec; parsing again types it and catches a CRD older than us
    model.spec = gptOssModelSpec.parse(model.spec);
    const classes = this.classesOf(await this.reads.listNodes(), model.spec.gpu?.nodeSelector);
    const placement = planPlacement(model.spec, classes, settings, model.status?.placement);
    // the admin's policy first: a refused model gets no children, whatever else it asks
    const refusal = policyRefusal(model.spec, settings.policy);
    const { applied, problem, cache } = refusal
      ? { applied: [], problem: refusal, cache: undefined }
      : await this.applyChildren(model, placement);
    const weightCache = await this.weightCache(model, cache, applied);
    const labels = labelsFor(model);
    const observed = {
      deployment: await this.reads.observeDeployment(key.namespace, key.name),
      ...(await this.reads.observePods(key.namespace, labels)),
      selector: selectorText(labels),
      ...(weightCache ? { weightCache } : {}),
    };
    const status = planStatus(model, placement, problem, observed, now(), this.deps.autoscaling?.(key));
    const changed = statusChanged(model.status, status);
    if (changed) {
      const written = await this.deps.executor.writeStatus(model, status);
      this.reads.wroteStatus?.(model, written);
      await this.recordConditionChanges(model, status);
    }
    return {
      applied,
      statusWritten: changed,
      status,
      desiredReplicas: model.spec.replicas,
      // nothing in the API server changes while a download advances: look again soon
      ...(observed.download || weightCache?.download ? { requeueAfterMs: DOWNLOAD_POLL_MS } : {}),
    };
  }

  /**
   * Applies what the plan wants and deletes what it no longer does. A source that cannot be served, or a child the API
   * server refuses (every child is still tried), is the problem to report, not an error to retry.
   */
  private async applyChildren(model: GptOssModel, placement: Placement) {
    const applied: string[] = [];
    if (!placement.placed) return { applied, problem: null };
    // only a cached source depends on the StorageClasses
    const storageClasses = model.spec.source.url?.cache ? await this.reads.listStorageClasses() : [];
    const planned = planChildren(model, placement, this.deps.settings, { storageClasses });
    if (!planned.ok) return { applied, problem: planned };
    const { executor } = this.deps;
    const owned = await Promise.all(planned.prune.map((ref) => this.reads.findOwnedChild(ref, model.metadata.uid)));
    const prune = owned.filter((ref) => ref !== null);
    // every write at once: no child needs another to exist first (the API server takes a Service before its
    // Deployment, a Job before its claim), so a reconcile waits for its slowest write, not for their sum
    const outcomes = await Promise.all([
      ...planned.objects.map(async (object) => {
        const child = `${String(object.kind)}/${(object.metadata as { name: string }).name}`;
        try {
          return { child: (await executor.apply(object)) ? child : null };
        } catch (error) {
          const refusal = refusedChild(error);
          return refusal === null ? { error } : { child: null, refusal: `${child}: ${refusal}` };
        }
      }),
      ...prune.map(async (ref) => {
        try {
          return { child: (await executor.deleteIfPresent(ref)) ? `-${ref.kind}/${ref.name}` : null };
        } catch (error) {
          return { error };
        }
      }),
    ]);
    const failed = outcomes.find((o) => 'error' in o);
    if (failed) throw failed.error;
    applied.push(...outcomes.flatMap((o) => ('child' in o && o.child ? [o.child] : [])));
    const refusals = outcomes.flatMap((o) => ('refusal' in o && o.refusal ? [o.refusal] : []));
    const problem = refusals.length
      ? { reason: REASONS.childRejected, message: clip(`the API server refused ${refusals.join('; ')}`) }
      : null;
    return { applied, problem, cache: planned.cache };
  }

  /**
   * The weight cache's state, when the plan has one, after deleting what is left of an earlier one (a Job of other
   * files, a claim the source no longer names). Read from the caches: a model without a cache costs nothing here.
   */
  private async weightCache(model: GptOssModel, cache: WeightCachePlan | undefined, applied: string[]) {
    const { namespace = '', name, uid } = model.metadata;
    const found = await this.reads.findWeightCache(namespace, name);
    if (!cache && !found.claims.length && !found.jobs.length) return undefined;
    // progress that cannot be read is said in the status message (download.unreadable)
    const reading = await readWeightCache({ namespace, name, uid }, cache, found, FETCH_PORT);
    for (const ref of reading.stale) {
      if (await this.deps.executor.deleteIfPresent(ref)) applied.push(`-${ref.kind}/${ref.name}`);
    }
    return reading.observed;
  }

  /** An Event for every condition that changed status: decisions (Normal) and problems (Warning). */
  private async recordConditionChanges(model: GptOssModel, status: GptOssModelStatus): Promise<void> {
    const before = new Map((model.status?.conditions ?? []).map((c) => [c.type, c.status]));
    for (const c of status.conditions ?? []) {
      if (before.get(c.type) === c.status) continue;
      await this.events.record({
        model,
        type: isProblem(c.type, c.status) ? 'Warning' : 'Normal',
        reason: c.reason,
        message: c.message,
        at: this.deps.now(),
      });
    }
  }
}

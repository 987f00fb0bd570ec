import type { KubeClient } from '../../contract/kube/client.js';
import { describeError } from '../../contract/errors.js';
import type { Logger } from '../../contract/log.js';
import { KIND } from '../api/v1alpha1/gptOssModel.js';
import { renewDeadlineMs, tenantPolicy, type OperatorConfig } from '../config.js';
import { fetchAllowances } from '../planner/policy.js';
import { Autoscaler } from './autoscaler.js';
import { OperatorCaches } from './caches.js';
import { CacheReads } from './cacheReads.js';
import { EventQueue } from './eventQueue.js';
import { Executor } from './executor.js';
import { InformerSupervisor } from '../../contract/kube/informerSupervisor.js';
import { LeaderElector } from './leaderElection.js';
import { ModelReads } from './modelReads.js';
import { operatorMetrics } from './operatorMetrics.js';
import { startOpsServer } from '../../contract/opsServer.js';
import { ModelReconciler } from './reconciler.js';
import { declareWatches, enqueueAll } from './watches.js';
import { WorkQueue } from './workQueue.js';

/**
 * The operator process, as controller-runtime's manager: caches (informers, supervised) feed a
 * work queue of model keys through the watches; while this process holds the Lease, workers
 * reconcile them and the builtin autoscaler runs; probes and metrics on their own server.
 */
export interface RunningOperator {
  url: string;
  stop(): Promise<void>;
}

type Metrics = ReturnType<typeof operatorMetrics>;

/** How long a stopping operator gives its queued Events to reach the API server (the rest are dropped, said). */
const EVENT_FLUSH_MS = 5000;

export async function startOperator(
  client: KubeClient,
  config: OperatorConfig,
  log: Logger,
  /** Called when leadership is lost: the process exits to come back as a fresh candidate (controller-runtime). */
  onLostLeadership: () => void = () => undefined,
): Promise<RunningOperator> {
  const executor = new Executor(client);
  const queue = new WorkQueue();
  const metrics = operatorMetrics(
    () => queue.length,
    () => events.depth,
  );
  const events = new EventQueue({
    send: (e) => executor.recordEvent(e.model, e.type, e.reason, e.message, e.at),
    log,
    onDrop: (cause) => metrics.eventsDropped.inc({ cause }),
  });
  const caches = new OperatorCaches(client, config.namespaces);
  const models = new ModelReads(caches.models);
  const watched = (ns: string | undefined) => config.namespaces.length === 0 || config.namespaces.includes(ns ?? '');
  const targets = {
    enqueue: (key: string) => queue.add(key),
    forgetChild: executor.forget.bind(executor),
    watched,
    modelNews: models.observed.bind(models),
  };
  declareWatches(caches, targets);

  const supervisors = supervise(caches, config, log, metrics);
  let synced = false;
  const ops = await startOpsServer({
    host: config.listenAddress,
    port: config.port,
    registry: metrics.registry,
    ready: () => synced,
  });
  await Promise.all(supervisors.map((s) => s.start()));
  synced = true;

  const autoscaler = new Autoscaler({
    settings: config.autoscaler,
    models: caches.models,
    pods: caches.pods,
    api: executor,
    enqueue: targets.enqueue,
    log,
    watched,
  });
  const policy = tenantPolicy(config);
  const reconciler = new ModelReconciler({
    executor,
    reads: new CacheReads(models, caches.nodes, caches.deployments, caches.pods, log, caches),
    settings: { ...config, policy, fetchAllowances: fetchAllowances(policy) },
    now: () => new Date(),
    autoscaling: ({ namespace, name }) => autoscaler.status(namespace, name),
    events,
  });
  // the level-based safety net: everything is applied again, children nobody watches included
  const resync = setInterval(() => {
    executor.forget();
    enqueueAll(caches, targets);
  }, config.resyncSeconds * 1000);

  let workers: Promise<void> | null = null;
  /** Set by stop(): a Lease lost while shutting down is no failure, the process exits 0 anyway. */
  let stopping = false;
  const elector = elect(client, config, log, metrics, {
    onStartedLeading: () => {
      enqueueAll(caches, targets);
      workers = queue.run(config.workers, instrumented(reconciler, metrics, log), (key, error) => {
        metrics.reconciles.inc({ result: 'error' });
        log.error({ key, err: describeError(error) }, 'Failed to reconcile model');
      });
      autoscaler.start();
    },
    // before another candidate can take the Lease: no worker or autoscaler pass starts after this
    onStoppedLeading: () => {
      queue.shutDown();
      void autoscaler.stop();
      if (stopping) return;
      events.abandon('leadership was lost');
      onLostLeadership();
    },
  });

  return {
    url: ops.url,
    async stop() {
      stopping = true;
      clearInterval(resync);
      await autoscaler.stop();
      queue.shutDown();
      await workers;
      await events.close(EVENT_FLUSH_MS);
      await elector.stop(true);
      await Promise.all(supervisors.map((s) => s.stop()));
      await ops.close();
      log.info({}, 'Stopped operator');
    },
  };
}

/** A supervisor per informer: restarted with back-off on errors and when it has heard nothing for too long. */
function supervise(
  caches: OperatorCaches,
  config: OperatorConfig,
  log: Logger,
  metrics: Metrics,
): InformerSupervisor[] {
  return caches.informers().map(
    ([name, informer]) =>
      new InformerSupervisor({
        informer,
        name,
        log,
        options: { stallMs: config.informerStallSeconds * 1000, backoffBaseMs: 500, backoffMaxMs: 60_000 },
        onRestart: () => metrics.informerRestarts.inc({ informer: name }),
      }),
  );
}

/** What a worker runs for a key: one reconcile, timed and counted, the model's series updated. */
function instrumented(reconciler: ModelReconciler, metrics: Metrics, log: Logger) {
  return async (key: string) => {
    const [namespace, name] = key.split('/') as [string, string];
    const end = metrics.duration.startTimer();
    try {
      const outcome = await reconciler.reconcile({ namespace, name });
      metrics.reconciles.inc({ result: 'success' });
      metrics.setModel(namespace, name, outcome.status, outcome.desiredReplicas);
      if (outcome.statusWritten)
        log.info({ kind: KIND, namespace, name, applied: outcome.applied }, 'Reconciled model');
      return outcome.requeueAfterMs === undefined ? undefined : { requeueAfterMs: outcome.requeueAfterMs };
    } finally {
      end();
    }
  };
}

/** Leader election on the configured Lease; the leader gauge and logs follow it. */
function elect(
  client: KubeClient,
  config: OperatorConfig,
  log: Logger,
  metrics: Metrics,
  on: { onStartedLeading: () => void; onStoppedLeading: () => void },
): LeaderElector {
  const elector = new LeaderElector(client, {
    namespace: config.leaseNamespace,
    name: config.leaseName,
    identity: config.identity,
    leaseDurationSeconds: config.leaseDurationSeconds,
    renewDeadlineMs: renewDeadlineMs(config),
    retryPeriodMs: config.retryPeriodMs,
  });
  const lease = `${config.leaseNamespace}/${config.leaseName}`;
  elector.start({
    onStartedLeading: () => {
      metrics.leader.set(1);
      log.info({ identity: config.identity, lease }, 'Acquired leadership');
      on.onStartedLeading();
    },
    onStoppedLeading: (why) => {
      metrics.leader.set(0);
      log.error({ identity: config.identity, lease, reason: why }, 'Lost leadership');
      on.onStoppedLeading();
    },
    onError: (error, leading) =>
      log.warn(
        { identity: config.identity, lease, err: describeError(error) },
        leading ? 'Failed to renew the Lease' : 'Failed to acquire the Lease',
      ),
  });
  return elector;
}

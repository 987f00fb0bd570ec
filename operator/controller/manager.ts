import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AppsV1Api, CustomObjectsApi, KubeConfig, makeInformer, type Informer, type KubernetesListObject, type KubernetesObject, type V1Deployment,
} from '@kubernetes/client-node';
import express from 'express';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '../../runtime/log.js';
import { GROUP, PLURAL, VERSION, type GptOssModel } from '../api/v1alpha1/gptOssModel.js';
import type { OperatorConfig } from '../config.js';
import { DEFAULT_CATALOGUE } from '../planner/gpuClasses.js';
import { Executor } from './executor.js';
import { LeaderElector } from './leaderElection.js';
import { reconcileModel } from './reconcile.js';
import { WorkQueue } from './workQueue.js';

/**
 * The operator process: informers on GptOssModels and the Deployments it owns feed a work queue of
 * keys; while this process holds the Lease, workers reconcile them. Metrics and probes on its own
 * HTTP server.
 */
export interface RunningOperator {
  url: string;
  stop(): Promise<void>;
}

const keyOf = (o: KubernetesObject) => `${o.metadata?.namespace}/${o.metadata?.name}`;
const INFORMER_RESTART_MS = 2000;

export async function startOperator(
  kc: KubeConfig,
  config: OperatorConfig,
  log: Logger,
  /** Called when leadership is lost; the process should exit so it restarts as a fresh candidate, as controller-runtime does. */
  onLostLeadership: () => void = () => undefined,
): Promise<RunningOperator> {
  const registry = new Registry();
  const reconciles = new Counter({ name: 'gptoss_operator_reconciles_total', help: 'Reconciles, by result.', labelNames: ['result'], registers: [registry] });
  const duration = new Histogram({ name: 'gptoss_operator_reconcile_duration_seconds', help: 'Reconcile duration.', registers: [registry],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });
  const queue = new WorkQueue();
  new Gauge({ name: 'gptoss_operator_queue_depth', help: 'Keys waiting in the work queue.', registers: [registry], collect() { this.set(queue.length); } });
  const leader = new Gauge({ name: 'gptoss_operator_leader', help: '1 while this process holds the Lease.', registers: [registry] });
  // per model, for alerts and dashboards (bounded by the number of models)
  const modelCondition = new Gauge({ name: 'gptoss_operator_model_condition', help: '1 when the model\'s condition of this type is True, else 0.',
    labelNames: ['namespace', 'model', 'type'], registers: [registry] });
  const modelReplicas = new Gauge({ name: 'gptoss_operator_model_replicas', help: 'Desired and ready runtime replicas of a model.',
    labelNames: ['namespace', 'model', 'kind'], registers: [registry] });

  const custom = kc.makeApiClient(CustomObjectsApi);
  const apps = kc.makeApiClient(AppsV1Api);
  const watched = (ns: string) => config.namespaces.length === 0 || config.namespaces.includes(ns);
  const models = makeInformer<GptOssModel & KubernetesObject>(kc, `/apis/${GROUP}/${VERSION}/${PLURAL}`,
    () => custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL }) as Promise<KubernetesListObject<GptOssModel & KubernetesObject>>);
  const deployments = makeInformer<V1Deployment>(kc, '/apis/apps/v1/deployments',
    () => apps.listDeploymentForAllNamespaces({ labelSelector: 'app.kubernetes.io/name=gptoss-runtime' }), 'app.kubernetes.io/name=gptoss-runtime');
  const enqueue = (o: KubernetesObject) => { if (watched(o.metadata?.namespace ?? '')) queue.add(keyOf(o)); };
  for (const verb of ['add', 'update', 'delete'] as const) {
    models.on(verb, enqueue);
    deployments.on(verb, (d) => {
      const model = d.metadata?.labels?.['gptoss.io/model'];
      if (model && watched(d.metadata?.namespace ?? '')) queue.add(`${d.metadata?.namespace}/${model}`);
    });
  }
  // an informer stops on errors other than 410: restart it ourselves
  const restartOnError = (informer: Informer<KubernetesObject>, name: string) => informer.on('error', (error: unknown) => {
    log.warn({ informer: name, err: String(error) }, 'Restarted informer after an error');
    setTimeout(() => void informer.start().catch(() => undefined), INFORMER_RESTART_MS);
  });
  restartOnError(models as Informer<KubernetesObject>, 'gptossmodels');
  restartOnError(deployments as Informer<KubernetesObject>, 'deployments');

  const app = express();
  let ready = false;
  app.get('/healthz', (_req, res) => { res.json({ status: 'ok' }); });
  app.get('/readyz', (_req, res) => { res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'starting' }); });
  app.get('/metrics', (_req, res, next) => {
    registry.metrics().then((text) => res.type(registry.contentType).send(text), next);
  });
  const server: Server = app.listen(config.port, config.listenAddress);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  await Promise.all([models.start(), deployments.start()]);
  ready = true;
  const executor = new Executor(kc);
  const reconcileConfig = { runtimeImage: config.runtimeImage, loadMiBPerSecond: config.loadMiBPerSecond, catalogue: DEFAULT_CATALOGUE };
  let workers: Promise<void> | null = null;
  const resync = setInterval(() => { for (const m of models.list()) enqueue(m); }, config.resyncSeconds * 1000);

  const elector = new LeaderElector(kc, {
    namespace: config.leaseNamespace, name: config.leaseName, identity: config.identity,
    leaseDurationSeconds: config.leaseDurationSeconds, retryPeriodMs: config.retryPeriodMs,
  });
  elector.start({
    onStartedLeading: () => {
      leader.set(1);
      log.info({ identity: config.identity, lease: config.leaseName }, 'Acquired leadership');
      for (const m of models.list()) enqueue(m);
      workers = queue.run(config.workers, async (key) => {
        const [namespace, name] = key.split('/') as [string, string];
        const end = duration.startTimer();
        try {
          const outcome = await reconcileModel({ namespace, name }, executor, reconcileConfig, () => new Date());
          reconciles.inc({ result: 'success' });
          if (outcome.status) {
            for (const c of outcome.status.conditions ?? []) modelCondition.set({ namespace, model: name, type: c.type }, c.status === 'True' ? 1 : 0);
            modelReplicas.set({ namespace, model: name, kind: 'desired' }, outcome.desiredReplicas);
            modelReplicas.set({ namespace, model: name, kind: 'ready' }, outcome.status.readyReplicas ?? 0);
          } else {
            // the model is gone: drop its series
            for (const type of ['Ready', 'Placed', 'Progressing', 'Degraded']) modelCondition.remove({ namespace, model: name, type });
            for (const kind of ['desired', 'ready']) modelReplicas.remove({ namespace, model: name, kind });
          }
          if (outcome.statusWritten) log.info({ kind: 'GptOssModel', namespace, name, applied: outcome.applied }, 'Reconciled model');
        } finally {
          end();
        }
      }, (key, error) => {
        reconciles.inc({ result: 'error' });
        log.error({ key, err: String(error), cause: String((error as Error).cause ?? '') }, 'Failed to reconcile model');
      });
    },
    onStoppedLeading: () => {
      leader.set(0);
      log.error({ identity: config.identity }, 'Lost leadership');
      queue.shutDown();
      onLostLeadership();
    },
    onError: (error) => log.warn({ err: String(error) }, 'Failed to renew the Lease'),
  });

  return {
    url: `http://${config.listenAddress}:${port}`,
    async stop() {
      clearInterval(resync);
      queue.shutDown();
      await workers;
      await elector.stop(true);
      await Promise.all([models.stop(), deployments.stop()]);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      log.info({}, 'Stopped operator');
    },
  };
}

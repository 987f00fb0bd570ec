import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, makeInformer,
  type Informer, type KubernetesListObject, type KubernetesObject, type V1Deployment, type V1Node, type V1Pod,
} from '@kubernetes/client-node';
import express from 'express';
import type { Logger } from '../../runtime/log.js';
import { GROUP, PLURAL, VERSION, type GptOssModel } from '../api/v1alpha1/gptOssModel.js';
import type { OperatorConfig } from '../config.js';
import { Autoscaler } from './autoscaler.js';
import { CacheReads } from './cacheReads.js';
import { Executor, type ExecutorHooks } from './executor.js';
import { InformerSupervisor } from './informerSupervisor.js';
import { ScopedInformer } from './scopedInformer.js';
import { reuseConnections } from './keepAlive.js';
import { LeaderElector } from './leaderElection.js';
import { operatorMetrics } from './operatorMetrics.js';
import { reconcileModel } from './reconcile.js';
import { WorkQueue } from './workQueue.js';

/**
 * The operator process: informers on GptOssModels, the runtime Deployments and pods it owns, and
 * nodes feed a work queue of model keys; while this process holds the Lease, workers reconcile
 * them, reading from the informers' caches. Metrics and probes on its own HTTP server.
 */
export interface RunningOperator {
  url: string;
  stop(): Promise<void>;
}

const RUNTIME_SELECTOR = 'app.kubernetes.io/name=gptoss-runtime';
const MODEL_LABEL = 'gptoss.io/model';
const keyOf = (o: KubernetesObject) => `${o.metadata?.namespace}/${o.metadata?.name}`;
/** What placement reads of a node: a change to anything else (heartbeats, conditions) is no news. */
const nodeFingerprint = (n: V1Node) => JSON.stringify([n.metadata?.labels ?? {}, n.status?.allocatable ?? {}]);

export async function startOperator(
  kc: KubeConfig,
  config: OperatorConfig,
  log: Logger,
  /** Called when leadership is lost; the process should exit so it restarts as a fresh candidate, as controller-runtime does. */
  onLostLeadership: () => void = () => undefined,
  hooks: ExecutorHooks = {},
): Promise<RunningOperator> {
  reuseConnections(kc);
  const executor = new Executor(kc, hooks);
  const queue = new WorkQueue();
  const metrics = operatorMetrics(() => queue.length);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const watched = (ns: string | undefined) => config.namespaces.length === 0 || config.namespaces.includes(ns ?? '');

  const scoped = <T extends KubernetesObject>(path: (ns?: string) => string, list: (ns?: string) => Promise<KubernetesListObject<T>>, selector?: string) =>
    new ScopedInformer<T>(kc, config.namespaces, path, list, selector);
  const models = scoped<GptOssModel & KubernetesObject>(
    (ns) => `/apis/${GROUP}/${VERSION}${ns ? `/namespaces/${ns}` : ''}/${PLURAL}`,
    (ns) => (ns ? custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL })
      : custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })) as Promise<KubernetesListObject<GptOssModel & KubernetesObject>>);
  const deployments = scoped<V1Deployment>(
    (ns) => `/apis/apps/v1${ns ? `/namespaces/${ns}` : ''}/deployments`,
    (ns) => (ns ? apps.listNamespacedDeployment({ namespace: ns, labelSelector: RUNTIME_SELECTOR }) : apps.listDeploymentForAllNamespaces({ labelSelector: RUNTIME_SELECTOR })),
    RUNTIME_SELECTOR);
  const pods = scoped<V1Pod>(
    (ns) => `/api/v1${ns ? `/namespaces/${ns}` : ''}/pods`,
    (ns) => (ns ? core.listNamespacedPod({ namespace: ns, labelSelector: RUNTIME_SELECTOR }) : core.listPodForAllNamespaces({ labelSelector: RUNTIME_SELECTOR })),
    RUNTIME_SELECTOR);
  const nodes = makeInformer<V1Node>(kc, '/api/v1/nodes', () => core.listNode());

  const enqueueModel = (o: KubernetesObject) => { if (watched(o.metadata?.namespace)) queue.add(keyOf(o)); };
  const enqueueOwner = (o: KubernetesObject) => {
    const model = o.metadata?.labels?.[MODEL_LABEL];
    if (model && watched(o.metadata?.namespace)) queue.add(`${o.metadata?.namespace}/${model}`);
  };
  // nodes matter to every model (placement, fitting nodes), but only when their GPUs change
  const fingerprints = new Map<string, string>();
  const nodeChanged = (n: V1Node, gone = false) => {
    const name = n.metadata?.name ?? '';
    const before = fingerprints.get(name);
    if (gone) fingerprints.delete(name); else fingerprints.set(name, nodeFingerprint(n));
    if (gone || before !== fingerprints.get(name)) for (const m of models.list()) enqueueModel(m);
  };
  // a Deployment whose spec changed (generation) or that went: apply it again, whoever did it
  const generations = new Map<string, number>();
  const deploymentChanged = (d: V1Deployment, gone = false) => {
    const key = keyOf(d);
    const generation = d.metadata?.generation ?? 0;
    if (gone || (generations.has(key) && generations.get(key) !== generation)) executor.forget({ kind: 'Deployment', namespace: d.metadata!.namespace!, name: d.metadata!.name! });
    if (gone) generations.delete(key); else generations.set(key, generation);
    enqueueOwner(d);
  };
  for (const verb of ['add', 'update', 'delete'] as const) {
    models.on(verb, enqueueModel);
    pods.on(verb, enqueueOwner);
  }
  deployments.on('add', (d) => deploymentChanged(d));
  deployments.on('update', (d) => deploymentChanged(d));
  deployments.on('delete', (d) => deploymentChanged(d, true));
  nodes.on('add', (n) => nodeChanged(n));
  nodes.on('update', (n) => nodeChanged(n));
  nodes.on('delete', (n) => nodeChanged(n, true));

  const supervised: Array<[string, Informer<KubernetesObject>]> = [
    ...models.informers.map((i) => ['gptossmodels', i] as const),
    ...deployments.informers.map((i) => ['deployments', i] as const),
    ...pods.informers.map((i) => ['pods', i] as const),
    ['nodes', nodes],
  ].map(([name, informer]) => [name as string, informer as unknown as Informer<KubernetesObject>]);
  const supervisors = supervised.map(([name, informer]) => new InformerSupervisor({
    informer, name, log,
    options: { stallMs: config.informerStallSeconds * 1000, backoffBaseMs: 500, backoffMaxMs: 60_000 },
    onRestart: () => metrics.informerRestarts.inc({ informer: name }),
  }));

  const app = express();
  let ready = false;
  app.get('/healthz', (_req, res) => { res.json({ status: 'ok' }); });
  app.get('/readyz', (_req, res) => { res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'starting' }); });
  app.get('/metrics', (_req, res, next) => {
    metrics.registry.metrics().then((text) => res.type(metrics.registry.contentType).send(text), next);
  });
  const server: Server = app.listen(config.port, config.listenAddress);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  await Promise.all(supervisors.map((s) => s.start()));
  ready = true;
  const reads = new CacheReads(executor, nodes, deployments, pods);
  let workers: Promise<void> | null = null;
  const autoscaler = new Autoscaler({ settings: config.autoscaler, models, pods, api: executor, enqueue: (key) => queue.add(key), log, watched });
  // the level-based safety net: everything is applied again, children nobody watches included
  const resync = setInterval(() => {
    executor.forget();
    for (const m of models.list()) enqueueModel(m);
  }, config.resyncSeconds * 1000);

  const reconcileKey = async (key: string) => {
    const [namespace, name] = key.split('/') as [string, string];
    const end = metrics.duration.startTimer();
    try {
      const outcome = await reconcileModel({ namespace, name }, executor, config, () => new Date(), reads, (ns, n) => autoscaler.status(ns, n));
      metrics.reconciles.inc({ result: 'success' });
      metrics.setModel(namespace, name, outcome.status, outcome.desiredReplicas);
      if (outcome.statusWritten) log.info({ kind: 'GptOssModel', namespace, name, applied: outcome.applied }, 'Reconciled model');
      return outcome.requeueAfterMs === undefined ? undefined : { requeueAfterMs: outcome.requeueAfterMs };
    } finally {
      end();
    }
  };

  const elector = new LeaderElector(kc, {
    namespace: config.leaseNamespace, name: config.leaseName, identity: config.identity,
    leaseDurationSeconds: config.leaseDurationSeconds, retryPeriodMs: config.retryPeriodMs,
  });
  elector.start({
    onStartedLeading: () => {
      metrics.leader.set(1);
      log.info({ identity: config.identity, lease: config.leaseName }, 'Acquired leadership');
      for (const m of models.list()) enqueueModel(m);
      workers = queue.run(config.workers, reconcileKey, (key, error) => {
        metrics.reconciles.inc({ result: 'error' });
        log.error({ key, err: String(error), cause: String((error as Error).cause ?? '') }, 'Failed to reconcile model');
      });
      autoscaler.start();
    },
    onStoppedLeading: () => {
      metrics.leader.set(0);
      log.error({ identity: config.identity }, 'Lost leadership');
      queue.shutDown();
      void autoscaler.stop();
      onLostLeadership();
    },
    onError: (error) => log.warn({ err: String(error) }, 'Failed to renew the Lease'),
  });

  return {
    url: `http://${config.listenAddress}:${port}`,
    async stop() {
      clearInterval(resync);
      await autoscaler.stop();
      queue.shutDown();
      await workers;
      await elector.stop(true);
      await Promise.all(supervisors.map((s) => s.stop()));
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      log.info({}, 'Stopped operator');
    },
  };
}

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { GptOssModelStatus } from '../api/v1alpha1/gptOssModel.js';
import { CONDITION_TYPES } from '../api/v1alpha1/reasons.js';

/** The operator's /metrics (prefix gptoss_operator_): work done, and per model what alerts and dashboards read. */
export function operatorMetrics(queueDepth: () => number, eventQueueDepth: () => number = () => 0) {
  const registry = new Registry();
  const reconciles = new Counter({
    name: 'gptoss_operator_reconciles_total',
    help: 'Reconciles, by result.',
    labelNames: ['result'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'gptoss_operator_reconcile_duration_seconds',
    help: 'Reconcile duration.',
    registers: [registry],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
  new Gauge({
    name: 'gptoss_operator_queue_depth',
    help: 'Keys waiting in the work queue.',
    registers: [registry],
    collect() {
      this.set(queueDepth());
    },
  });
  new Gauge({
    name: 'gptoss_operator_event_queue_depth',
    help: 'Model Events decided but not yet delivered to the API server.',
    registers: [registry],
    collect() {
      this.set(eventQueueDepth());
    },
  });
  const eventsDropped = new Counter({
    name: 'gptoss_operator_events_dropped_total',
    help: 'Model Events not delivered, by cause (queueFull, refused, retriesExhausted, shutdown); each is logged.',
    labelNames: ['cause'],
    registers: [registry],
  });
  const leader = new Gauge({
    name: 'gptoss_operator_leader',
    help: '1 while this process holds the Lease.',
    registers: [registry],
  });
  const informerRestarts = new Counter({
    name: 'gptoss_operator_informer_restarts_total',
    help: 'Informer restarts after errors or stalls.',
    labelNames: ['informer'],
    registers: [registry],
  });
  // per model (bounded by the number of models)
  const modelCondition = new Gauge({
    name: 'gptoss_operator_model_condition',
    help: "Whether the model's condition of this type is True (1) or not (0).",
    labelNames: ['namespace', 'model', 'type'],
    registers: [registry],
  });
  const modelReplicas = new Gauge({
    name: 'gptoss_operator_model_replicas',
    help: 'Desired and ready runtime replicas of a model.',
    labelNames: ['namespace', 'model', 'kind'],
    registers: [registry],
  });

  return {
    registry,
    reconciles,
    duration,
    leader,
    informerRestarts,
    eventsDropped,
    /** The model's series from its status; null (the model is gone) drops them. */
    setModel(namespace: string, model: string, status: GptOssModelStatus | null, desiredReplicas: number) {
      if (!status) {
        for (const type of CONDITION_TYPES) modelCondition.remove({ namespace, model, type });
        for (const kind of ['desired', 'ready']) modelReplicas.remove({ namespace, model, kind });
        return;
      }
      for (const c of status.conditions ?? [])
        modelCondition.set({ namespace, model, type: c.type }, c.status === 'True' ? 1 : 0);
      modelReplicas.set({ namespace, model, kind: 'desired' }, desiredReplicas);
      modelReplicas.set({ namespace, model, kind: 'ready' }, status.readyReplicas ?? 0);
    },
  };
}

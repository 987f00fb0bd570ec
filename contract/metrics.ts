/** The runtime's metric names that others read (the operator's autoscaler, the gateway, KEDA, dashboards). */

/** A runtime metric's full name: gptoss_runtime_<name>. */
export const runtimeMetric = (name: string) => `gptoss_runtime_${name}`;

/**
 * (busy slots + waiting requests) / slots: 1 means every slot is busy and nobody waits; above 1,
 * requests are queueing. The one number autoscalers read.
 */
export const UTILIZATION_METRIC = runtimeMetric('utilization');

/** The runtime's metric names that others read (the operator's autoscaler, the gateway, KEDA, dashboards). */

/** A runtime metric's full name: gptoss_runtime_<name>. */
export const runtimeMetric = (name: string) => `gptoss_runtime_${name}`;

/**
 * (busy slots + waiting requests) / slots: 1 means every slot is busy and nobody waits; above 1,
 * requests are queueing. The one number autoscalers read.
 */
export const UTILIZATION_METRIC = runtimeMetric('utilization');

/**
 * Seconds since the runtime last finished or refused a request (since its model loaded, if none); 0 while
 * a request runs or waits. A duration measured on the pod, so no clock is compared across machines:
 * the builtin autoscaler scales to zero only when every replica has been idle long enough.
 */
export const IDLE_METRIC = runtimeMetric('idle_seconds');

/**
 * Requests a gateway replica holds for a model that has no Ready replica yet (at zero, or waking),
 * labelled model="<namespace>/<name>". Summed over the gateway's replicas it is the demand the builtin
 * autoscaler adds to the runtimes' utilisation, and what a KEDA ScaledObject activates on.
 */
export const HELD_REQUESTS_METRIC = 'gptoss_gateway_held_requests';

/**
 * Names and ports the operator gives a runtime and everything that reaches one (the operator's
 * probes and scrapes, the gateway, the local demo, the benchmarks) relies on.
 */

/** OpenAI-compatible HTTP, /metrics, /healthz and /readyz. */
export const RUNTIME_HTTP_PORT = 8080;
/** gRPC: gptoss.runtime.v1.Runtime, grpc.health.v1.Health, reflection. */
export const RUNTIME_GRPC_PORT = 50051;
/** `gptoss fetch`'s GET /progress, which the operator reads from the pod IP. */
export const FETCH_PORT = 8090;

/** The runtime's gRPC service, and the health service name its readiness is reported under. */
export const RUNTIME_GRPC_SERVICE = 'gptoss.runtime.v1.Runtime';

/** Label on every runtime pod (and its Deployment and Services). */
export const RUNTIME_APP_LABELS = { 'app.kubernetes.io/name': 'gptoss-runtime' } as const;
/**
 * Label on a model's shared weight cache (its claim, its download Job and that Job's pods): not the runtime's,
 * so no Service and no runtime pod count selects the download.
 */
export const WEIGHTS_APP_LABELS = { 'app.kubernetes.io/name': 'gptoss-weights' } as const;
/** Label naming the GptOssModel a runtime object serves. */
export const MODEL_LABEL = 'gptoss.io/model';

/** The ClusterIP Service of a model's HTTP API: the model's own name. */
export const httpServiceName = (model: string) => model;
/** The headless Service of a model's gRPC API (one address per ready pod). */
export const grpcServiceName = (model: string) => `${model}-grpc`;

/** host:port, with an IPv6 host in brackets, as URLs and gRPC targets want it. */
export const hostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

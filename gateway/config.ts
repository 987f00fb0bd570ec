import * as z from 'zod';
import { choice, flagsSchema, int, parseFlags, type FlagTable } from '../contract/flags.js';
import { DEFAULT_KEYS_NAMESPACE } from '../contract/keys.js';
import { RELAY_DEFAULTS } from './relay/config.js';
import { ROUTING_STRATEGIES } from './routing/router.js';

/** A Kubernetes namespace name (RFC 1123 label). */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** `a,b` as a list of namespaces; absent: none (every namespace). An empty entry (`a,,b`) is refused. */
const namespaceList = z
  .string()
  .optional()
  .transform((text) => (text === undefined ? [] : text.split(',')))
  .refine((list) => list.every((ns) => NAMESPACE.test(ns)), 'must be namespace names separated by commas');

/**
 * Where discovery learns a model's Ready pods: the EndpointSlices of the model's two Services (what
 * runs in a cluster), or the pods themselves, for the local stack only: the dev agent gives pods
 * loopback addresses, which the API server refuses in an EndpointSlice.
 */
export const REPLICA_SOURCES = ['endpointslices', 'pods'] as const;
export type ReplicaSource = (typeof REPLICA_SOURCES)[number];

/**
 * `gptoss gateway`'s flags, keyed as commander names them; each default is written here once (the
 * chart passes the flags it sets, help shows the rest).
 */
export const GATEWAY_FLAGS = {
  listenAddress: {
    flag: '--listen-address <addr>',
    help: 'address the OpenAI (HTTP), gRPC and ops servers listen on (pods use 0.0.0.0)',
    schema: z.string().min(1).default('127.0.0.1'),
  },
  httpPort: {
    flag: '--http-port <port>',
    help: 'OpenAI API port (0 picks a free one)',
    schema: int(0, 65535).default(8080),
  },
  grpcPort: {
    flag: '--grpc-port <port>',
    help: 'gRPC port: gptoss.runtime.v1.Runtime, health and reflection (0 picks a free one)',
    schema: int(0, 65535).default(50051),
  },
  opsPort: {
    flag: '--ops-port <port>',
    help: 'port of /healthz, /readyz and /metrics, apart from the API so an Ingress never exposes them',
    schema: int(0, 65535).default(8081),
  },
  namespaces: {
    flag: '--namespaces <a,b>',
    help: "namespaces whose GptOssModels the gateway serves, comma-separated (default: all the gateway's RBAC sees)",
    schema: namespaceList,
  },
  keysNamespace: {
    flag: '--keys-namespace <ns>',
    help: "namespace of the API keys' Secrets",
    schema: z.string().regex(NAMESPACE, 'must be a namespace name').default(DEFAULT_KEYS_NAMESPACE),
  },
  replicas: {
    flag: '--replicas <n>',
    help: 'gateway replicas sharing the quotas: each enforces its share of every limit (docs/gateway.md)',
    schema: int(1, 1000).default(1),
  },
  replicaSource: {
    flag: '--replica-source <source>',
    help: "where a model's Ready pods are read: endpointslices, or pods for the local stack's loopback pods",
    schema: choice(REPLICA_SOURCES).default('endpointslices'),
  },
  drainSeconds: {
    flag: '--drain-seconds <n>',
    help: 'on SIGTERM, how long requests in flight may take to finish before the process exits',
    schema: int(0, 3600).default(25),
  },
  informerStallSeconds: {
    flag: '--informer-stall-seconds <n>',
    help: 'restart a watch that has heard nothing (no event, no reconnect) for this long',
    schema: int(10, 3600).default(300),
  },
  routing: {
    flag: '--routing <strategy>',
    help: "prefix-hash: a conversation's turns to one replica while its load allows; least-load: by load alone",
    schema: choice(ROUTING_STRATEGIES).default(RELAY_DEFAULTS.routing.strategy),
  },
  holdSeconds: {
    flag: '--hold-seconds <n>',
    help: 'how long a request waits for a model at zero (or starting) to have a Ready replica, then 503',
    schema: int(1, 3600).default(RELAY_DEFAULTS.hold.holdSeconds),
  },
  maxHeldPerModel: {
    flag: '--max-held-per-model <n>',
    help: 'requests held at once for one model; one more is refused (503, retry-after)',
    schema: int(1, 100_000).default(RELAY_DEFAULTS.hold.maxHeldPerModel),
  },
} satisfies FlagTable;

export const gatewayConfigSchema = flagsSchema(GATEWAY_FLAGS);

/** The gateway's settings, validated and defaulted: what every part of the gateway is given. */
export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;

/** The flags as commander gives them (text), validated; a bad one is a ConfigError naming it. */
export function loadGatewayConfig(flags: Record<string, unknown>): GatewayConfig {
  return parseFlags(gatewayConfigSchema, flags);
}

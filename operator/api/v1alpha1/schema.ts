import * as z from 'zod';
import { oneOf } from '../../../contract/errors.js';
import {
  AUTOSCALING_MODES,
  DEFAULT_REASONING_EFFORT,
  MAX_CONTEXT_SIZE,
  MAX_PARALLEL_SLOTS,
  REASONING_EFFORTS,
  VARIANTS,
} from '../../../contract/models.js';
import { UTILIZATION_METRIC } from '../../../contract/metrics.js';
import {
  ADAPTER_NAME,
  MAX_ADAPTER_NAME_LENGTH,
  MAX_ADAPTERS,
  MAX_ADAPTER_SCALE,
} from '../../../contract/argv/serve.js';
import { AUTOSCALE_REASONS, CONDITION_TYPES } from './reasons.js';
import { AUTOSCALING_DEFAULTS, DEFAULT_ADAPTER_MIB, STORAGE_SIZE } from './constants.js';

/**
 * The GptOssModel API (gptoss.io/v1alpha1) as zod schemas: the CRD's OpenAPI schema (crds/, the chart) is generated
 * from them (operator/api/v1alpha1/crd.ts), the TypeScript types are inferred from them (gptOssModel.ts), and every
 * description is what `kubectl explain` prints. The running operator loads this module with its first model only
 * (the reconciler parses each spec with it): its schemas are 2 MiB of an idle operator's memory (docs/operator.md).
 */

const int = (description: string) => z.number().int().describe(description);
const stringMap = (description: string) => z.record(z.string(), z.string()).describe(description);
/** Kubernetes types we pass through untouched (tolerations, affinity, ...): the API server keeps them as given. */
const passthroughObject = (description: string) => z.object({}).loose().describe(description);
/** A CEL rule the API server checks, for what the schema alone cannot say. */
const celRule = (rule: string, message: string) => ({ 'x-kubernetes-validations': [{ rule, message }] });

/** Label and annotation keys: an optional DNS subdomain prefix (up to 253 characters) and '/', then a name of 1-63. */
const QUALIFIED_NAME =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';
const KEY_SYNTAX =
  "an optional DNS subdomain prefix and '/', then 1 to 63 letters, digits, '-', '_' or '.', " +
  'starting and ending with a letter or digit';
const keysRule = (what: string) => ({
  rule: `self.all(k, k.matches('${QUALIFIED_NAME}') && k.indexOf('/') <= 253)`,
  message: `${what} keys must be ${KEY_SYNTAX}`,
});
/** Label values: empty, or 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit. */
const labelValue = z.string().meta({
  maxLength: 63,
  ...celRule(
    "self.matches('^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$')",
    "label values must be empty or letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
  ),
});
/** Bounds what the API server's CEL cost estimate assumes of these maps (a rule must fit its budget). */
const MAX_POD_METADATA_ENTRIES = 64;

/** A resource quantity: 2, "500m", "16Gi". */
const quantity = z.union([z.number().int(), z.string()]).meta({ 'x-kubernetes-int-or-string': true });

const pvcSource = z
  .object({
    claimName: z.string().min(1).describe("PersistentVolumeClaim in the model's namespace that holds the GGUF file."),
    path: z.string().min(1).describe('Path of the GGUF file (or its first shard) inside the volume.'),
  })
  .describe('Weights on a PersistentVolumeClaim, mounted read-only.');

const weightCache = z
  .object({
    storageClassName: z
      .string()
      .min(1)
      .optional()
      .describe(
        "StorageClass of the claim; it must offer ReadWriteMany volumes. Default: the cluster's default class.",
      ),
    size: z
      .string()
      .regex(STORAGE_SIZE, 'must be a storage size such as 20Gi')
      .describe('Size of the claim (e.g. 20Gi): at least the files, which the operator checks from the variant.'),
    retain: z
      .boolean()
      .default(false)
      .describe('Keep the claim (and its files) when the model is deleted; by default it goes with the model.'),
  })
  .describe(
    'Download the files once per model into a ReadWriteMany PersistentVolumeClaim (<name>-weights) that every ' +
      'replica mounts read-only, instead of once per pod.',
  );

const urlSource = z
  .object({
    cache: weightCache.optional(),
    files: z
      .array(
        z.object({
          url: z
            .string()
            .regex(/^https?:\/\/\S+$/, 'must be an http or https URL')
            .describe('Where to download the file.'),
          sha256: z
            .string()
            .regex(/^[a-f0-9]{64}$/, 'must be 64 lower-case hex characters')
            .describe('SHA-256 of the file, checked after download.'),
        }),
      )
      .min(1)
      .describe('The GGUF file, or every shard of a sharded model in order.'),
  })
  .describe('Weights downloaded and checksummed: by an init container into each pod, or once into a shared cache.');

const hostPathSource = z
  .object({
    path: z
      .string()
      .regex(/^\//, 'must be an absolute path')
      .describe('Absolute path of the GGUF file on the node (development only).'),
  })
  .describe("Weights on the node's file system: for development clusters.");

const source = z
  .object({
    pvc: pvcSource.optional(),
    url: urlSource.optional(),
    hostPath: hostPathSource.optional(),
  })
  .meta(
    celRule(
      '[has(self.pvc), has(self.url), has(self.hostPath)].filter(x, x).size() == 1',
      'exactly one of pvc, url or hostPath must be set',
    ),
  )
  .describe('Where the weights come from: exactly one of pvc, url or hostPath.');

const adapter = z
  .object({
    name: z
      .string()
      .min(1)
      .max(MAX_ADAPTER_NAME_LENGTH)
      .regex(ADAPTER_NAME, "must be letters, digits, '.', '_' or '-', starting with a letter or digit")
      .describe('Served as the model id <model>:<name>.'),
    source: source.describe(
      "Where the adapter's GGUF LoRA file comes from: exactly one of pvc, url or hostPath (url without cache).",
    ),
    scale: z
      .number()
      .min(0)
      .max(MAX_ADAPTER_SCALE)
      .default(1)
      .describe(`How much of the adapter is applied, 0 (the base model's output) to ${MAX_ADAPTER_SCALE}; default 1.`),
    sizeMiB: int(
      `GPU memory the adapter's tensors take (about its file size); default ${DEFAULT_ADAPTER_MIB}. ` +
        'The operator adds it, and a KV cache and compute buffers of its own, to every replica.',
    )
      .min(1)
      .default(DEFAULT_ADAPTER_MIB),
  })
  .meta(
    celRule(
      '!has(self.source.url) || !has(self.source.url.cache)',
      'adapters are downloaded by every pod: cache applies to spec.source only',
    ),
  )
  .describe('A LoRA adapter served beside the model by the same pods.');

const D = AUTOSCALING_DEFAULTS;

const autoscaling = z
  .object({
    mode: z
      .enum(AUTOSCALING_MODES)
      .default('off')
      .describe(
        `off: spec.replicas as written. builtin: the operator scales on ${UTILIZATION_METRIC}. ` +
          'external: HPA or KEDA scale through the scale subresource.',
      ),
    minReplicas: int(`Fewest replicas the autoscaler keeps (0 allows scaling to zero); default ${D.minReplicas}.`)
      .min(0)
      .optional(),
    maxReplicas: int(`Most replicas the autoscaler asks for; default ${D.maxReplicas}, or minReplicas when larger.`)
      .min(1)
      .optional(),
    targetUtilization: z
      .number()
      .gt(0)
      .optional()
      .describe(
        `Target of ${UTILIZATION_METRIC} per replica: (busy slots + waiting requests) / slots; may exceed 1; ` +
          `default ${D.targetUtilization}.`,
      ),
    scaleDownDelaySeconds: int(
      `How long after a scale-up before scaling down is considered; default ${D.scaleDownDelaySeconds}.`,
    )
      .min(0)
      .optional(),
    stabilizationWindowSeconds: int(
      `Scale down to the highest recommendation seen over this window; default ${D.stabilizationWindowSeconds}.`,
    )
      .min(0)
      .optional(),
    scaleToZeroAfterSeconds: int(
      'With minReplicas 0: go to zero replicas once every replica has served no request for this long and the ' +
        `gateways hold none for the model; default ${D.scaleToZeroAfterSeconds}.`,
    )
      .min(0)
      .optional(),
  })
  .meta(
    celRule(
      '!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas',
      'minReplicas must not exceed maxReplicas',
    ),
  )
  .describe('Who owns spec.replicas, and how it is scaled.');

const gpu = z
  .object({
    count: int('GPUs per replica; fewer than the model needs gives Placed=False (InsufficientGPUMemory).')
      .min(1)
      .optional(),
    minMemoryMiB: int('Least memory per GPU to consider, on top of what the model needs.').min(1).optional(),
    products: z
      .array(z.string().min(1))
      .optional()
      .describe('Allow-list of GPU products (e.g. NVIDIA-H100-80GB-HBM3, h200, nvidia-l4).'),
    nodeSelector: stringMap('Added to (ANDed with) the node selection the operator derives.').optional(),
    tolerations: z
      .array(passthroughObject('A core/v1 Toleration.'))
      .optional()
      .describe('Added to the tolerations the operator derives.'),
    affinity: passthroughObject("A core/v1 Affinity, merged with (ANDed with) the operator's.").optional(),
  })
  .describe("GPU constraints; the operator sizes and places each replica from the model's shape.");

const resourceMap = z.record(z.string(), quantity);
const resources = z
  .object({
    requests: resourceMap.optional().describe('CPU and memory requests.'),
    limits: resourceMap.optional().describe('CPU and memory limits.'),
  })
  .meta(
    celRule(
      "(!has(self.requests) || !('nvidia.com/gpu' in self.requests)) && " +
        "(!has(self.limits) || !('nvidia.com/gpu' in self.limits))",
      'nvidia.com/gpu is set through spec.gpu, not spec.runtime.resources',
    ),
  )
  .describe('CPU and memory of the runtime container (GPUs come from spec.gpu).');

const runtime = z
  .object({
    image: z.string().min(1).optional().describe("Runtime image; default: the operator's configured runtime image."),
    resources: resources.optional(),
    env: z.array(passthroughObject('A core/v1 EnvVar.')).optional().describe('Extra environment variables.'),
    args: z.array(z.string()).optional().describe('Extra arguments to gptoss serve.'),
    imagePullSecrets: z
      .array(z.object({ name: z.string().min(1).describe("Name of a Secret in the model's namespace.") }))
      .optional()
      .describe('Secrets for pulling the image.'),
    podLabels: z
      .record(z.string(), labelValue)
      .meta({ maxProperties: MAX_POD_METADATA_ENTRIES, 'x-kubernetes-validations': [keysRule('label')] })
      .describe("Extra labels on runtime pods (the operator's own labels win over these).")
      .optional(),
    podAnnotations: stringMap('Extra annotations on runtime pods.')
      .meta({ maxProperties: MAX_POD_METADATA_ENTRIES, 'x-kubernetes-validations': [keysRule('annotation')] })
      .optional(),
    priorityClassName: z.string().optional().describe('PriorityClass of runtime pods.'),
    topologySpreadConstraints: z
      .array(passthroughObject('A core/v1 TopologySpreadConstraint.'))
      .optional()
      .describe('Spread of runtime pods across zones or nodes.'),
    terminationGracePeriodSeconds: int('Seconds in-flight streams get to finish on shutdown.').min(0).optional(),
  })
  .describe('The runtime pods.');

export const gptOssModelSpec = z
  .object({
    variant: z.enum(VARIANTS).describe('Which gpt-oss: decides the reference shape used for sizing.'),
    source,
    replicas: int(
      'Runtime replicas; 0 frees the GPUs (Ready=False, ScaledToZero). ' +
        'Owned by the autoscaler when autoscaling.mode is not off.',
    )
      .min(0)
      .default(1),
    autoscaling: autoscaling.optional(),
    contextSize: int(`Tokens per request (per slot), 1 to ${MAX_CONTEXT_SIZE}.`)
      .min(1)
      .max(MAX_CONTEXT_SIZE)
      .default(8192),
    parallelSlots: int(`Requests decoded at once per replica, 1 to ${MAX_PARALLEL_SLOTS}.`)
      .min(1)
      .max(MAX_PARALLEL_SLOTS)
      .default(4),
    reasoningEffort: z
      .enum(REASONING_EFFORTS)
      .default(DEFAULT_REASONING_EFFORT)
      .describe('Default reasoning effort for requests that name none.'),
    gpu: gpu.optional(),
    runtime: runtime.optional(),
    adapters: z
      .array(adapter)
      .max(MAX_ADAPTERS)
      .optional()
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })
      .describe(
        `LoRA adapters (at most ${MAX_ADAPTERS}, names unique), each served under <model>:<name> in its own ` +
          'context with parallelSlots slots of its own; adding or removing one rolls the pods.',
      ),
  })
  .describe('The desired state of a gpt-oss deployment.');

const condition = z.object({
  type: z.string().describe(`${oneOf(CONDITION_TYPES)}.`),
  status: z.enum(['True', 'False', 'Unknown']).describe('Whether the condition holds.'),
  observedGeneration: int('The generation this condition was set for.').min(0).optional(),
  lastTransitionTime: z.string().describe('When the status last changed (RFC 3339).'),
  reason: z.string().describe('A constant, CamelCase reason.'),
  message: z.string().describe('What happened, for people.'),
});

export const gptOssModelStatus = z
  .object({
    observedGeneration: int('The spec generation this status describes.').optional(),
    replicas: int('Runtime pods that exist.').optional(),
    readyReplicas: int('Runtime pods that are ready.').optional(),
    selector: z.string().optional().describe('Label selector of the runtime pods (for the scale subresource).'),
    placement: z
      .object({
        memoryMiB: z
          .object({
            total: int('Memory needed per replica.'),
            weights: int('Model weights.'),
            kvCache: int('KV cache for contextSize x parallelSlots.'),
            compute: int('Compute buffers.'),
            margin: int('Safety margin.'),
            adapters: int('LoRA adapters: their tensors, KV caches and compute buffers.').optional(),
          })
          .optional()
          .describe('Memory needed per replica, in MiB, and its parts.'),
        gpusPerReplica: int('GPUs each replica gets.').optional(),
        gpuResource: z.string().optional().describe('The extended resource requested (e.g. nvidia.com/gpu).'),
        gpuClass: z.string().optional().describe('The GPU class chosen.'),
        fittingNodes: int('Nodes that could host a replica by capacity.').optional(),
        planHash: z
          .string()
          .optional()
          .describe(
            'Hash of the spec fields placement was planned from; ' +
              'the choice is kept until they change or the GPU class leaves the cluster.',
          ),
        labelSources: z
          .array(z.enum(['gfd', 'karpenter', 'gke']))
          .optional()
          .describe(
            'Node label sources the required node affinity was written for (GPU Feature Discovery, Karpenter, GKE).',
          ),
      })
      .optional()
      .describe('Where replicas go and why (sticky: nodes coming and going do not move replicas).'),
    weightCache: z
      .object({
        claimName: z.string().describe('The ReadWriteMany claim holding the files.'),
        jobName: z.string().describe('The Job that downloads and verifies them.'),
        complete: z.boolean().describe('Every file is verified: runtime pods start.'),
      })
      .optional()
      .describe('The shared weight cache (spec.source.url.cache).'),
    endpoint: z
      .object({
        httpService: z
          .string()
          .optional()
          .describe('ClusterIP Service of the OpenAI-compatible HTTP API and /metrics.'),
        httpPort: int('OpenAI-compatible HTTP and /metrics.').optional(),
        grpcService: z.string().optional().describe('Headless Service of the gRPC API (one address per ready pod).'),
        grpcPort: int('gRPC (headless service: clients balance per stream).').optional(),
      })
      .optional()
      .describe('How to reach the model.'),
    autoscaling: z
      .object({
        desiredReplicas: int('Replicas the builtin autoscaler asked for at its last decision.').min(0),
        utilization: z
          .number()
          .min(0)
          .describe(`Sum of ${UTILIZATION_METRIC} over the ready runtime pods that answered, at the last decision.`),
        sampledPods: int('Ready runtime pods that answered the scrape of the last decision.').min(0),
        lastScaleTime: z.string().optional().describe('When the autoscaler last changed spec.replicas (RFC 3339).'),
        lastDecision: z
          .object({
            reason: z.string().describe(`${oneOf(Object.values(AUTOSCALE_REASONS))}.`),
            message: z
              .string()
              .describe('The utilisation read, the target and the replica change or why there was none.'),
            time: z
              .string()
              .describe('When the decision was first taken (RFC 3339); unchanged while the same decision holds.'),
          })
          .describe('The last decision and why.'),
      })
      .optional()
      .describe(
        "The builtin autoscaler's last decision (autoscaling.mode builtin only); " +
          'it changes when the decision does, not at every interval.',
      ),
    conditions: z
      .array(condition)
      .optional()
      .describe('Ready, Placed, Progressing and Degraded, each with a constant reason.')
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }),
  })
  .describe('What the operator observed and decided.');

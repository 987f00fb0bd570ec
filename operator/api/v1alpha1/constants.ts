import { grpcServiceName } from '../../../contract/names.js';

/**
 * The GptOssModel API's names and the values its schema (schema.ts) and the operator share: what the operator's
 * idle path needs of the API without loading the schemas.
 */

export const GROUP = 'gptoss.io';
export const VERSION = 'v1alpha1';
export const KIND = 'GptOssModel';
export const PLURAL = 'gptossmodels';

/**
 * The longest model name every child can carry: the headless Service `<name>-grpc` must be a DNS-1035 label of at
 * most 63 characters (the Deployment, the HTTP Service and the gptoss.io/model label value allow more).
 */
export const MAX_MODEL_NAME_LENGTH = 63 - grpcServiceName('').length;
/**
 * The rule on metadata.name (checked at the root of the schema, where CEL may read it): Services need a DNS-1035
 * label (no dots, a letter first), and `<name>-grpc` fits in 63 characters.
 */
export const MODEL_NAME_RULE = {
  rule:
    `self.metadata.name.size() <= ${MAX_MODEL_NAME_LENGTH} && ` +
    "self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",
  message:
    `must be at most ${MAX_MODEL_NAME_LENGTH} characters of lower-case letters, digits and '-', starting with a ` +
    'letter and ending with a letter or digit (a DNS-1035 label, so that the Service <name>-grpc is valid too)',
  fieldPath: '.metadata.name',
};

/** A storage size in bytes with an optional binary or decimal suffix: what a claim's request takes. */
export const STORAGE_SIZE = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/;

/**
 * What an adapter is counted at when its author says nothing: a rank-64 LoRA of the attention projections of the
 * 120b in f32 is 182 MiB (36 layers x 20,736 parameters per rank). One that also adapts the experts is several GiB:
 * its author must say so in sizeMiB.
 */
export const DEFAULT_ADAPTER_MIB = 256;

/** What spec.autoscaling leaves out. docs/operator.md, "Autoscaling", says why each. */
export const AUTOSCALING_DEFAULTS = {
  minReplicas: 1,
  /** GPUs are dear: a model grows past this only when its author says so. */
  maxReplicas: 4,
  /** Headroom for a burst before requests queue (1 would mean every slot busy). */
  targetUtilization: 0.8,
  /** A new replica loads its weights for minutes; giving it back sooner wastes that. */
  scaleDownDelaySeconds: 300,
  /** HPA's default scale-down stabilisation window. */
  stabilizationWindowSeconds: 300,
  /** A quarter of an hour unused: long enough that a team's coffee break keeps its model warm. */
  scaleToZeroAfterSeconds: 900,
} as const;

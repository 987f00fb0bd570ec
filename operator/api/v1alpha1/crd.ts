import * as z from 'zod';
import { GROUP, KIND, MODEL_NAME_RULE, PLURAL, VERSION } from './gptOssModel.js';
import { gptOssModelSpec, gptOssModelStatus } from './schema.js';

type Schema = Record<string, unknown>;
const SAFE_INTEGER_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);

/**
 * zod's OpenAPI 3.0 output, made structural as the API server requires: no bounds zod adds on its
 * own (safe-integer limits), no additionalProperties:false, and pass-through Kubernetes types
 * (tolerations, affinity, ...) marked x-kubernetes-preserve-unknown-fields.
 */
function structural(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(structural);
  if (typeof schema !== 'object' || schema === null) return schema;
  const s = { ...(schema as Schema) };
  delete s.$schema;
  for (const bound of ['minimum', 'maximum'] as const) {
    if (typeof s[bound] === 'number' && SAFE_INTEGER_BOUNDS.has(s[bound])) delete s[bound];
  }
  if (s.additionalProperties === false) delete s.additionalProperties;
  const props = s.properties as Schema | undefined;
  const extra = s.additionalProperties as Schema | undefined;
  if (s.type === 'object' && props && Object.keys(props).length === 0 && extra && Object.keys(extra).length === 0) {
    delete s.properties;
    delete s.additionalProperties;
    s['x-kubernetes-preserve-unknown-fields'] = true;
  }
  for (const [key, value] of Object.entries(s)) {
    if (key === 'x-kubernetes-validations' || key === 'enum' || key === 'default') continue;
    s[key] = structural(value);
  }
  return s;
}

const openApi = (schema: z.ZodType) => structural(z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' }));

/** The CustomResourceDefinition, as crds/ and the Helm chart carry it. */
export function gptOssModelCrd() {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${PLURAL}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { kind: KIND, listKind: `${KIND}List`, plural: PLURAL, singular: 'gptossmodel', shortNames: ['gom'] },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: {
            status: {},
            // kubectl scale, HPA and KEDA act on spec.replicas through this
            scale: {
              specReplicasPath: '.spec.replicas',
              statusReplicasPath: '.status.replicas',
              labelSelectorPath: '.status.selector',
            },
          },
          additionalPrinterColumns: [
            { name: 'Variant', type: 'string', jsonPath: '.spec.variant' },
            { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas' },
            { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
            { name: 'GPU', type: 'string', jsonPath: '.status.placement.gpuClass' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description:
                "A gpt-oss model served by runtime pods on GPUs the operator sizes and picks from the model's shape.",
              required: ['spec'],
              // CEL may read metadata.name only here, at the root: a name no child can carry is refused
              'x-kubernetes-validations': [MODEL_NAME_RULE],
              properties: {
                apiVersion: { type: 'string', description: 'APIVersion of this object: gptoss.io/v1alpha1.' },
                kind: { type: 'string', description: 'Kind of this object: GptOssModel.' },
                metadata: { type: 'object', properties: { name: { type: 'string' } } },
                spec: openApi(gptOssModelSpec),
                status: openApi(gptOssModelStatus),
              },
            },
          },
        },
      ],
    },
  };
}

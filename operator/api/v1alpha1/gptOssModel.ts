import type * as z from 'zod';
import type { GROUP, KIND, VERSION } from './constants.js';
import type { gptOssModelSpec, gptOssModelStatus } from './schema.js';

/**
 * The GptOssModel API (gptoss.io/v1alpha1): its names and shared values (constants.ts) and its TypeScript types,
 * inferred from the zod schemas in schema.ts, from which the CRD (crds/, the chart) and its docs are generated too.
 * Types only here, so that importing the API's names does not build its schemas.
 */

export * from './constants.js';

export type GptOssModelSpec = z.output<typeof gptOssModelSpec>;
export type GptOssModelSpecInput = z.input<typeof gptOssModelSpec>;
export type GptOssModelStatus = z.output<typeof gptOssModelStatus>;
export type AutoscalingSpec = NonNullable<GptOssModelSpec['autoscaling']>;
export type AutoscalingStatus = NonNullable<GptOssModelStatus['autoscaling']>;

export interface GptOssModel {
  apiVersion: `${typeof GROUP}/${typeof VERSION}`;
  kind: typeof KIND;
  metadata: {
    name: string;
    namespace?: string;
    generation?: number;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
  };
  spec: GptOssModelSpec;
  status?: GptOssModelStatus;
}

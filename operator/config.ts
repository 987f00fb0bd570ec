import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { ConfigError } from '../contract/errors.js';
import { DEFAULT_CATALOGUE } from './planner/gpuClasses.js';
import { DEFAULT_SIZING } from './planner/memory.js';
import { RESERVED_LABEL_KEYS, type TenantPolicy } from './planner/policy.js';

const whole = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(min, max === Number.MAX_SAFE_INTEGER ? `must be at least ${min}` : `must be between ${min} and ${max}`)
    .max(max, `must be between ${min} and ${max}`);

const AUTOSCALER_DEFAULTS = { intervalSeconds: 15, scrapeTimeoutMs: 2000, tolerance: 0.1, gateways: [] };

/** An absolute folder: `/`, `/models`, `/srv/weights/` (no `.` or `..` segments). */
const folder = () =>
  z
    .string()
    .regex(/^\//, 'must be an absolute path')
    .refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), 'must not contain . or .. segments');

/** The admin's limits on what a tenant's GptOssModel may make the operator do (operator/planner/policy.ts). */
const tenantPolicySchema = () =>
  z.strictObject({
    hostPathPrefixes: z.array(folder()).default([]),
    /** Default: the repository of runtimeImage (see tenantPolicy). */
    runtimeImages: z.array(z.string().min(1)).optional(),
    urlSchemes: z.array(z.enum(['https', 'http'], { error: 'must be https or http' })).default(['https']),
    urlHosts: z.array(z.string().regex(/^(\*\.)?[A-Za-z0-9.-]+$/, 'must be a host name or *.domain')).default([]),
    internalHosts: z.array(z.string().min(1)).default([]),
    priorityClasses: z.array(z.string().min(1)).default([]),
    envFromSecrets: z.boolean().default(false),
    reservedLabelKeys: z.array(z.string().min(1)).default(RESERVED_LABEL_KEYS),
  });

const catalogueEntry = () =>
  z.strictObject({
    memoryMiB: whole(1),
    resourceName: z
      .string()
      .regex(/^[a-z0-9.-]+\/[A-Za-z0-9._-]+$/, 'must be an extended resource name such as nvidia.com/gpu')
      .optional(),
    cost: z.number().min(0).optional(),
  });

/**
 * `gptoss operator` settings: one typed object, defaulted and validated at start-up. It comes from
 * an optional YAML file (`--config`, what the Helm chart mounts) with command-line flags on top.
 * Built when asked, not kept: the operator reads its settings once, and an idle operator is smaller without the
 * schema (contract/startupGarbage.ts).
 */
export function operatorConfigSchema() {
  const policySchema = tenantPolicySchema();
  return z
    .strictObject({
      /** Namespaces to watch; empty means all. */
      namespaces: z.array(z.string().min(1)).default([]),
      leaseNamespace: z.string().min(1).default('default'),
      leaseName: z.string().min(1).default('gptoss-operator'),
      identity: z.string().min(1).default(`${hostname()}-${process.pid}`),
      leaseDurationSeconds: whole(1).default(15),
      /**
       * A leader that has not renewed the Lease for this long stops leading (and exits), before another candidate
       * may take it; default two thirds of leaseDurationSeconds (10 of 15 s, client-go's). Fractions are allowed.
       */
      renewDeadlineSeconds: z.number({ error: 'must be a number' }).positive('must be more than 0').optional(),
      retryPeriodMs: whole(10).default(2000),
      workers: whole(1, 64).default(4),
      listenAddress: z.string().min(1).default('127.0.0.1'),
      port: whole(0, 65535).default(8081),
      runtimeImage: z.string().min(1).default('ghcr.io/gptoss/runtime:0.1.0'),
      loadMiBPerSecond: z.number().positive().default(500),
      /** Re-reconcile every model this often, whatever the watches say (level-based safety net). */
      resyncSeconds: whole(1).default(300),
      /** An informer that has heard nothing (no event, no reconnect) for this long is restarted. */
      informerStallSeconds: whole(1).default(600),
      /** GPU products the labels do not size (product -> memory, resource, cost); merged over the built-in one. */
      catalogue: z
        .record(z.string().min(1), catalogueEntry())
        .default({})
        .transform((c) => ({ ...DEFAULT_CATALOGUE, ...c })),
      /** What the planner adds to weights and KV cache, per GPU. */
      sizing: z
        .strictObject({
          computeBufferMiB: whole(0).default(DEFAULT_SIZING.computeBufferMiB),
          marginMiB: whole(0).default(DEFAULT_SIZING.marginMiB),
          marginRatio: z.number().min(0).max(1).default(DEFAULT_SIZING.marginRatio),
        })
        .default(DEFAULT_SIZING),
      /** What tenants' models may ask for (hostPath folders, images, URLs, priority classes, Secrets, labels). */
      policy: policySchema.default(policySchema.parse({})),
      /** The builtin autoscaler (models with autoscaling.mode builtin), run by the leader. */
      autoscaler: z
        .strictObject({
          /** One decision per model per interval; windows and delays are counted in these. */
          intervalSeconds: whole(1, 3600).default(AUTOSCALER_DEFAULTS.intervalSeconds),
          /** How long a runtime pod's /metrics may take; one that does not answer in time counts as missing. */
          scrapeTimeoutMs: whole(10, 60_000).default(AUTOSCALER_DEFAULTS.scrapeTimeoutMs),
          /** HPA's tolerance: demand within this ratio of the current replicas changes nothing. */
          tolerance: z.number().min(0).max(1).default(AUTOSCALER_DEFAULTS.tolerance),
          /**
           * The gateways' ops servers (host:port), read each interval for the requests they hold per model
           * (demand at zero); a name resolves to every address it has, so a headless Service names each
           * gateway pod. Empty: no gateway, held requests are not counted.
           */
          gateways: z
            .array(z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be host:port'))
            .default(AUTOSCALER_DEFAULTS.gateways),
        })
        .default(AUTOSCALER_DEFAULTS)
        .refine((a) => a.scrapeTimeoutMs < a.intervalSeconds * 1000, {
          message: 'must be shorter than the interval',
          path: ['scrapeTimeoutMs'],
        }),
    })
    .superRefine((config, ctx) => {
      // client-go's rules: the leader gives up before the Lease can expire, and retries at least once before that
      const deadlineMs = renewDeadlineMs(config);
      if (deadlineMs >= config.leaseDurationSeconds * 1000)
        ctx.addIssue({
          code: 'custom',
          path: ['renewDeadlineSeconds'],
          message: `(${deadlineMs / 1000}) must be shorter than leaseDurationSeconds (${config.leaseDurationSeconds})`,
        });
      else if (config.retryPeriodMs >= deadlineMs)
        ctx.addIssue({
          code: 'custom',
          path: ['retryPeriodMs'],
          message: `(${config.retryPeriodMs}) must be shorter than the renew deadline (${deadlineMs} ms)`,
        });
    });
}

/** The image repository of an image reference: `ghcr.io/gptoss/runtime` of `ghcr.io/gptoss/runtime:0.1.0`. */
export const imageRepository = (image: string) => image.replace(/@.*$/, '').replace(/:[^/:]*$/, '');

/** The policy with its defaults that depend on other settings: the configured runtime image is always allowed. */
export function tenantPolicy(config: OperatorConfig): TenantPolicy {
  return { ...config.policy, runtimeImages: config.policy.runtimeImages ?? [imageRepository(config.runtimeImage)] };
}

/** How long a leader may go without a successful renewal: renewDeadlineSeconds, or two thirds of the lease. */
export function renewDeadlineMs(config: { leaseDurationSeconds: number; renewDeadlineSeconds?: number }): number {
  return Math.round((config.renewDeadlineSeconds ?? (config.leaseDurationSeconds * 2) / 3) * 1000);
}

type OperatorConfigSchema = ReturnType<typeof operatorConfigSchema>;
export type OperatorConfigInput = z.input<OperatorConfigSchema>;
export type OperatorConfig = z.output<OperatorConfigSchema>;

const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * The file's settings with the flags that were given on top, validated. Errors name the flag or
 * the file's key path (catalogue.h100.memoryMiB) so a bad Helm value is easy to find.
 */
export function loadOperatorConfig(flags: Partial<OperatorConfigInput>, file?: string): OperatorConfig {
  let fromFile: Record<string, unknown> = {};
  if (file) {
    try {
      fromFile = (parseYaml(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
    } catch (cause) {
      throw new ConfigError(`--config ${file}: ${(cause as Error).message}`);
    }
    if (typeof fromFile !== 'object' || Array.isArray(fromFile))
      throw new ConfigError(`--config ${file}: must be a YAML mapping`);
  }
  const given = Object.fromEntries(
    Object.entries(flags).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)),
  );
  const result = operatorConfigSchema().safeParse({ ...fromFile, ...given });
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const top = String(issue.path[0] ?? '');
  const where = top in given ? flagName(top) : [file ? `${file}:` : '', issue.path.join('.')].filter(Boolean).join(' ');
  const message = issue.code === 'unrecognized_keys' ? `unknown setting(s) ${issue.keys.join(', ')}` : issue.message;
  throw new ConfigError(`${where} ${message}`);
}

import { hostname } from 'node:os';
import { z } from 'zod';

/** `gptoss operator` settings: one typed object, defaulted and validated at start-up. */
export const operatorConfigSchema = z.object({
  /** Namespaces to watch; empty means all. */
  namespaces: z.array(z.string().min(1)).default([]),
  leaseNamespace: z.string().min(1).default('default'),
  leaseName: z.string().min(1).default('gptoss-operator'),
  identity: z.string().min(1).default(`${hostname()}-${process.pid}`),
  leaseDurationSeconds: z.number().int().min(1).default(15),
  retryPeriodMs: z.number().int().min(10).default(2000),
  workers: z.number().int().min(1).max(64).default(4),
  listenAddress: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8081),
  runtimeImage: z.string().min(1).default('ghcr.io/gptoss/runtime:0.1.0'),
  loadMiBPerSecond: z.number().positive().default(500),
  /** Re-reconcile every model this often, whatever the watches say (level-based safety net). */
  resyncSeconds: z.number().int().min(1).default(300),
});

export type OperatorConfig = z.output<typeof operatorConfigSchema>;

import { join } from 'node:path';
import * as z from 'zod';
import { cacheRoot } from '../../contract/paths.js';

/** What a pod tolerates to run on a dev agent's node. */
export const DEV_AGENT_TAINT = { key: 'gptoss.io/dev-agent', operator: 'Exists', effect: 'NoSchedule' } as const;

/** The dev agent's settings: one typed object, defaulted and validated at start-up. */

const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** A subnet of 127.0.0.0/8 (all loopback on Linux), /8 to /30. */
const loopbackSubnet = z.string().refine((cidr) => {
  const [address, bits] = cidr.split('/');
  const octets = ipv4
    .exec(address ?? '')
    ?.slice(1)
    .map(Number);
  return (
    octets !== undefined &&
    octets[0] === 127 &&
    octets.every((o) => o <= 255) &&
    /^\d+$/.test(bits ?? '') &&
    Number(bits) >= 8 &&
    Number(bits) <= 30
  );
}, 'must be a CIDR inside 127.0.0.0/8 with a prefix of /8 to /30, e.g. 127.1.0.0/16');

const dnsLabel = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export const agentConfigSchema = z
  .object({
    nodeName: z.string().max(63).regex(dnsLabel, 'must be lower-case letters, digits, - and .').default('gptoss-dev-0'),
    /** Pod folders, emptyDirs, PVC folders, logs and pid files; default ~/.cache/gptoss/agent/<nodeName>. */
    stateDir: z.string().min(1).optional(),
    /** Where pod IPs come from; each pod gets one address no socket on the machine uses yet. */
    podSubnet: loopbackSubnet.default('127.1.0.0/16'),
    gpu: z
      .object({
        product: z.string().min(1).default('NVIDIA-H100-80GB-HBM3'),
        memoryMiB: z.number().int().min(1).default(81559),
        count: z.number().int().min(0).max(64).default(8),
        family: z.string().min(1).default('hopper'),
      })
      .prefault({}),
    cpu: z.string().regex(/^\d+$/, 'must be a whole number of CPUs').default('16'),
    memory: z
      .string()
      .regex(/^\d+(Ki|Mi|Gi|Ti)?$/, 'must be a quantity such as 64Gi')
      .default('64Gi'),
    maxPods: z.number().int().min(1).max(1000).default(32),
    /**
     * The taint GPU node pools carry (GKE, Karpenter), and one of its own: pods land here only when they
     * tolerate gptoss.io/dev-agent, so other pods of a shared cluster (the kwok pool's) never do. [] for none.
     */
    taints: z
      .array(
        z.object({
          key: z.string().min(1),
          value: z.string().optional(),
          effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
        }),
      )
      .default([
        { key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' },
        { key: DEV_AGENT_TAINT.key, value: 'true', effect: 'NoSchedule' },
      ]),
    /** Images whose repository path ends in one of these run the project's own `gptoss` command. */
    runnableImages: z.array(z.string().min(1)).min(1).default(['gptoss/runtime', 'gptoss/operator']),
    /** The command those images run (their entrypoint is `gptoss`). */
    gptossCli: z.string().min(1).optional(),
    nodeStatusUpdateSeconds: z.number().int().min(1).default(10),
    leaseDurationSeconds: z.number().int().min(2).default(40),
    leaseRenewSeconds: z.number().int().min(1).default(10),
    /** Like kubelet's CrashLoopBackOff (10 s doubling to 5 min), shorter: the first restart is immediate. */
    backOffInitialMs: z.number().int().min(0).default(1000),
    backOffMaxMs: z.number().int().min(0).default(30_000),
    /** A container that ran this long without exiting starts its back-off over. */
    backOffResetMs: z.number().int().min(0).default(60_000),
    /**
     * On stop: delete the Node (its pods are then garbage-collected) or leave it, marked NotReady, for the next start.
     */
    deleteNodeOnStop: z.boolean().default(false),
  })
  .refine((c) => c.leaseRenewSeconds < c.leaseDurationSeconds, {
    message: 'must be shorter than leaseDurationSeconds',
    path: ['leaseRenewSeconds'],
  })
  .refine((c) => c.backOffInitialMs <= c.backOffMaxMs, {
    message: 'must not exceed backOffMaxMs',
    path: ['backOffInitialMs'],
  });

export type AgentConfigInput = z.input<typeof agentConfigSchema>;
export type AgentConfig = z.output<typeof agentConfigSchema> & { stateDir: string };

export class AgentConfigError extends Error {}

export function loadAgentConfig(input: AgentConfigInput): AgentConfig {
  const result = agentConfigSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new AgentConfigError(`agent config ${issue.path.join('.') || '(root)'} ${issue.message}`);
  }
  const c = result.data;
  return { ...c, stateDir: c.stateDir ?? join(cacheRoot(), 'agent', c.nodeName) };
}

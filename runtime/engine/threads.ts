import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * CPUs this process may really use. Inside a container os.cpus() lists the node's cores, not the
 * pod's limit, so read the cgroup CPU quota (v2 cpu.max, else v1 cfs quota/period).
 */
export function cpuBudget(read: (path: string) => string | null = readOrNull): number {
  const cores = availableParallelism();
  const v2 = read('/sys/fs/cgroup/cpu.max')?.trim().split(/\s+/);
  let quota: number | null = null;
  if (v2 && v2[0] !== 'max' && v2.length === 2) quota = Number(v2[0]) / Number(v2[1]);
  if (quota === null) {
    const q = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'));
    const p = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_period_us'));
    if (q > 0 && p > 0) quota = q / p;
  }
  return quota && Number.isFinite(quota) ? Math.max(1, Math.min(cores, Math.floor(quota))) : cores;
}

/**
 * Default llama.cpp threads: one less than the CPU budget, leaving a core for the event loop and
 * the servers. llama.cpp's workers spin while they wait, so oversubscribing a small machine is
 * catastrophic (measured: 64 tokens of the tiny model took 23 ms with 1 thread on 2 cores, about
 * 1 s with 2, about 17 s with node-llama-cpp's default).
 */
export function defaultThreads(budget = cpuBudget()): number {
  return Math.max(1, budget - 1);
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

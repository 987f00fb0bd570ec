import { CoordinationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { OperatorProcess } from './operator.js';

/**
 * Who leads, seen from outside while a test breaks things: the Lease's holders as they change, and
 * every operator process's own gptoss_operator_leader gauge, both polled until stopped.
 */

export interface HolderChange {
  holder: string;
  transitions: number;
  acquireTime: string;
  /** When this poll first saw it (this machine's clock). */
  seenAt: number;
}

/** Polls the Lease; a poll that fails (the API server restarting) is skipped. */
export function watchLeaseHolders(kc: KubeConfig, namespace: string, name: string, everyMs = 100) {
  const api = kc.makeApiClient(CoordinationV1Api);
  const history: HolderChange[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const lease = await api.readNamespacedLease({ namespace, name }).catch(() => null);
      const spec = lease?.spec;
      const last = history.at(-1);
      if (spec?.holderIdentity && spec.holderIdentity !== last?.holder) {
        history.push({
          holder: spec.holderIdentity,
          transitions: spec.leaseTransitions ?? 0,
          acquireTime: String(spec.acquireTime),
          seenAt: Date.now(),
        });
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    history,
    async stop(): Promise<HolderChange[]> {
      running = false;
      await loop;
      return history;
    },
  };
}

/**
 * Polls every running process's leader gauge at once; a sample in which two or more say 1 is an
 * overlap (recorded with the identities). A process that does not answer (gone) counts as not leading.
 */
export function watchLeaderGauges(processes: () => OperatorProcess[], everyMs = 100) {
  const overlaps: string[][] = [];
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const all = processes();
      const leading = await Promise.all(all.map((p) => p.isLeader()));
      const leaders = all.filter((_p, i) => leading[i] === true).map((p) => p.identity);
      samples++;
      if (leaders.length > 1) overlaps.push(leaders);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop(): Promise<{ samples: number; overlaps: string[][] }> {
      running = false;
      await loop;
      return { samples, overlaps };
    },
  };
}

import type { Replica, ServedModel } from '../types.js';
import { chooseReplica, type Choice } from './choose.js';

/** A replica's identity across address changes: its pod, in its model's namespace. */
export const replicaKey = (model: Pick<ServedModel, 'namespace'>, replica: Pick<Replica, 'pod'>) =>
  `${model.namespace}/${replica.pod}`;

/**
 * The routing state of one gateway process: requests outstanding per replica (counted here, so
 * exact and current) and each runtime's utilisation (scraped every few seconds: utilization.ts).
 * The choice itself is choose.ts.
 */
export class Router {
  private readonly outstanding = new Map<string, number>();
  private readonly utilization = new Map<string, number>();

  constructor(private readonly random: () => number = Math.random) {}

  /** A replica of the model that `tried` does not hold (keys of replicaKey), or undefined when none is left. */
  pick(model: ServedModel, tried: ReadonlySet<string>): Choice<Replica> | undefined {
    const candidates = model.replicas.filter((replica) => !tried.has(replicaKey(model, replica)));
    return chooseReplica(
      candidates,
      (replica) => {
        const key = replicaKey(model, replica);
        return { outstanding: this.outstanding.get(key) ?? 0, utilization: this.utilization.get(key) };
      },
      this.random,
    );
  }

  /** Counts a request as outstanding on the replica until the returned function is called (once is enough). */
  begin(model: ServedModel, replica: Replica): () => void {
    const key = replicaKey(model, replica);
    this.outstanding.set(key, (this.outstanding.get(key) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = (this.outstanding.get(key) ?? 1) - 1;
      if (left > 0) this.outstanding.set(key, left);
      else this.outstanding.delete(key);
    };
  }

  outstandingOn(key: string): number {
    return this.outstanding.get(key) ?? 0;
  }

  utilizationOf(key: string): number | undefined {
    return this.utilization.get(key);
  }

  /** The replica's last scraped utilisation; undefined forgets it (a failed scrape is no information). */
  setUtilization(key: string, value: number | undefined): void {
    if (value === undefined) this.utilization.delete(key);
    else this.utilization.set(key, value);
  }

  /** Forgets the utilisation of replicas no longer served (their outstanding counts end with their requests). */
  retainUtilization(live: ReadonlySet<string>): void {
    for (const key of this.utilization.keys()) if (!live.has(key)) this.utilization.delete(key);
  }
}

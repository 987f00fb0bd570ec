import { leadershipTimes, type OperatorProcess } from './operator.js';

/** One operator process as started, and how it ended (this machine's clock). */
interface Run {
  process: OperatorProcess;
  killedAt?: number;
  exitedAt?: number;
  exitCode?: number | null;
}

/** A stretch of time one process acted as leader, from its own log. */
export interface LeadershipSpan {
  identity: string;
  from: number;
  to: number;
}

/**
 * Operator processes kept running as the kubelet keeps a Deployment's containers: one that exits
 * (a leader that lost the Lease exits 1 by design) or that cannot start (the API server is down) is
 * started again, under a new identity, after a short pause. Every run is remembered, so who acted
 * as leader when can be read back from all of their logs.
 */
export class SupervisedOperators {
  private readonly runs: Run[] = [];
  private readonly loops: Promise<void>[] = [];
  private stopping = false;

  constructor(private readonly startOne: (identity: string) => Promise<OperatorProcess>) {}

  /** Keeps one process running in this slot (identities slot-1, slot-2, ...). */
  run(slot: string): void {
    this.loops.push(
      (async () => {
        for (let generation = 1; !this.stopping; generation++) {
          const process = await this.startOne(`${slot}-${generation}`).catch(() => null);
          if (process) {
            const run: Run = { process };
            this.runs.push(run);
            if (this.stopping) process.kill('SIGKILL');
            run.exitCode = await process.exited;
            run.exitedAt = Date.now();
          }
          if (!this.stopping) await new Promise((r) => setTimeout(r, 500));
        }
      })(),
    );
  }

  /** The processes running now. */
  live(): OperatorProcess[] {
    return this.runs.filter((r) => r.exitedAt === undefined).map((r) => r.process);
  }

  /** The running process whose gauge says it leads, if any. */
  async leader(): Promise<OperatorProcess | null> {
    for (const p of this.live()) if ((await p.isLeader()) === true) return p;
    return null;
  }

  /** SIGKILL: no release, no last log line; the kill time ends its leadership. */
  kill(process: OperatorProcess): void {
    const run = this.runs.find((r) => r.process === process);
    if (run) run.killedAt = Date.now();
    process.kill('SIGKILL');
  }

  /**
   * Every run's leadership, from its log: from "Acquired leadership" to "Lost leadership", or to
   * when it was killed or exited (a later end than the truth only makes an overlap likelier to show).
   */
  spans(): LeadershipSpan[] {
    return this.runs.flatMap((run) => {
      const { acquired, lost } = leadershipTimes(run.process);
      return acquired.map((from) => ({
        identity: run.process.identity,
        from,
        to: lost.find((t) => t >= from) ?? run.killedAt ?? run.exitedAt ?? Number.POSITIVE_INFINITY,
      }));
    });
  }

  /** Pairs of spans of different processes that overlap in time. */
  overlaps(): [LeadershipSpan, LeadershipSpan][] {
    const spans = this.spans();
    return spans.flatMap((a, i) =>
      spans
        .slice(i + 1)
        .flatMap((b) => (a.from < b.to && b.from < a.to ? [[a, b] as [LeadershipSpan, LeadershipSpan]] : [])),
    );
  }

  /** Whether that process's log says it lost leadership. */
  lostLeadership(identity: string): boolean {
    const run = this.runs.find((r) => r.process.identity === identity);
    return run !== undefined && leadershipTimes(run.process).lost.length > 0;
  }

  /** Runs that ended, with their exit codes (null: killed by a signal). */
  ended(): { identity: string; exitCode: number | null }[] {
    return this.runs
      .filter((r) => r.exitedAt !== undefined)
      .map((r) => ({ identity: r.process.identity, exitCode: r.exitCode ?? null }));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const p of this.live()) p.kill('SIGKILL');
    await Promise.all(this.loops);
  }
}

import type { Informer, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../log.js';
import { realScheduler, type Scheduler } from './scheduler.js';

export interface SupervisorOptions {
  /** Restart an informer that has heard nothing (no event, no reconnect) for this long. */
  stallMs: number;
  /** First restart delay after an error, doubling up to backoffMaxMs. */
  backoffBaseMs: number;
  backoffMaxMs: number;
}

/**
 * Keeps one informer alive (client-node's, or our ListWatch, which fails alike). It stops for good on
 * any error but 410 Gone, and a watch on a half-open connection can hang silently: client-go's
 * reflector handles both, the JavaScript informers do not, hence this. Errors restart it with
 * exponential backoff (reset by the next event); a stall (nothing heard for stallMs) restarts it at
 * once. A restart resumes the watch from the last resourceVersion; the server answers 410 when that
 * is too old and the informer lists afresh.
 */
export class InformerSupervisor {
  private lastHeard: number;
  private failures = 0;
  private restartTimer: unknown = null;
  private stallTimer: unknown = null;
  private stopped = false;
  restarts = 0;

  private readonly informer: Informer<KubernetesObject>;
  private readonly name: string;
  private readonly options: SupervisorOptions;
  private readonly log: Logger;
  private readonly onRestart: () => void;
  private readonly scheduler: Scheduler;
  private readonly clock: () => number;

  constructor(parts: {
    informer: Informer<KubernetesObject>;
    name: string;
    options: SupervisorOptions;
    log: Logger;
    onRestart?: () => void;
    scheduler?: Scheduler;
    clock?: () => number;
  }) {
    ({ informer: this.informer, name: this.name, options: this.options, log: this.log } = parts);
    this.onRestart = parts.onRestart ?? (() => undefined);
    this.scheduler = parts.scheduler ?? realScheduler;
    this.clock = parts.clock ?? Date.now;
    const informer = this.informer;
    this.lastHeard = this.clock();
    const heard = () => {
      this.lastHeard = this.clock();
    };
    for (const verb of ['add', 'update', 'delete'] as const)
      informer.on(verb, () => {
        heard();
        this.failures = 0;
      });
    informer.on('connect', heard);
    informer.on('error', (error: unknown) => this.onError(error));
  }

  /** Starts the informer: resolves once its first list is in the cache. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.informer.start();
    this.checkStall();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.scheduler.clearTimeout(this.restartTimer);
    this.scheduler.clearTimeout(this.stallTimer);
    await this.informer.stop();
  }

  private onError(error: unknown): void {
    if (this.stopped) return;
    const delay = Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** this.failures);
    this.failures += 1;
    this.log.warn(
      { informer: this.name, err: String(error), retryInMs: delay },
      'Informer failed; restarting after back-off',
    );
    this.scheduler.clearTimeout(this.restartTimer);
    this.restartTimer = this.scheduler.setTimeout(() => void this.restart('error'), delay);
  }

  private checkStall(): void {
    if (this.stopped) return;
    const quietMs = this.clock() - this.lastHeard;
    let nextCheckMs = this.options.stallMs - quietMs;
    if (quietMs >= this.options.stallMs) {
      this.log.warn(
        { informer: this.name, quietSeconds: Math.round(quietMs / 1000) },
        'Informer heard nothing; restarting it',
      );
      void this.restart('stall');
      nextCheckMs = this.options.stallMs;
    }
    this.stallTimer = this.scheduler.setTimeout(() => this.checkStall(), nextCheckMs);
  }

  private async restart(why: 'error' | 'stall'): Promise<void> {
    if (this.stopped) return;
    this.restarts += 1;
    this.onRestart();
    this.lastHeard = this.clock();
    try {
      await this.informer.stop();
      await this.informer.start();
      this.log.info({ informer: this.name, reason: why }, 'Restarted informer');
    } catch (error) {
      this.onError(error);
    }
  }
}

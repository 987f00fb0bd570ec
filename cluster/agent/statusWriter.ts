import { PatchStrategy, setHeaderOptions, type CoreV1Api } from '@kubernetes/client-node';
import type { Logger } from '../../contract/log.js';
import { apiErrorText, hasCode } from './apiErrors.js';
import type { PodWorker } from './podWorker.js';
import { podStatus } from './podStatus.js';

const RETRY_MS = 1000;

interface PodEntry {
  worker: PodWorker;
  dirty: boolean;
  writing: Promise<void> | null;
  /** The status last written, to skip writes that change nothing and keep transition times. */
  last: Record<string, unknown> | null;
}

/**
 * Writes pod status through /status, one write in flight per pod, coalescing changes that come
 * meanwhile, and only when the status changed. The patch carries the pod's uid, as kubelet's
 * does, so a new pod of the same name is never written with the old one's status.
 */
export class StatusWriter {
  private readonly pods = new Map<string, PodEntry>();

  constructor(
    private readonly core: CoreV1Api,
    private readonly log: Logger,
    private readonly now: () => Date,
  ) {}

  schedule(worker: PodWorker): void {
    const uid = worker.pod.metadata!.uid!;
    let entry = this.pods.get(uid);
    if (!entry) {
      entry = { worker, dirty: false, writing: null, last: null };
      this.pods.set(uid, entry);
    }
    entry.worker = worker;
    entry.dirty = true;
    if (!entry.writing) {
      const e = entry;
      e.writing = this.write(uid, e).finally(() => {
        e.writing = null;
      });
    }
  }

  forget(uid: string): void {
    this.pods.delete(uid);
  }

  /** Waits for the writes in flight (and those they coalesced). */
  async flush(): Promise<void> {
    await Promise.all([...this.pods.values()].flatMap((e) => (e.writing ? [e.writing] : [])));
  }

  private async write(uid: string, entry: PodEntry): Promise<void> {
    while (entry.dirty && this.pods.get(uid) === entry) {
      entry.dirty = false;
      const { pod } = entry.worker;
      const previous = entry.last
        ? { ...pod, status: { ...pod.status, conditions: entry.last.conditions as never } }
        : pod;
      const status = podStatus(previous, entry.worker.snapshot(), this.now());
      if (JSON.stringify(status) === JSON.stringify(entry.last)) continue;
      const { namespace, name } = pod.metadata!;
      try {
        await this.core.patchNamespacedPodStatus(
          { namespace: namespace!, name: name!, body: { metadata: { uid }, status } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        entry.last = status;
      } catch (error) {
        // gone, or replaced by a pod of the same name: nothing left to write
        if (hasCode(error, 404, 409)) return;
        // the API server refused this status: the next change writes again, retrying the same would fail the same way
        if (hasCode(error, 400, 403, 422)) {
          this.log.error({ kind: 'Pod', namespace, name, err: apiErrorText(error) }, 'Failed to write pod status');
          continue;
        }
        this.log.warn(
          { kind: 'Pod', namespace, name, err: apiErrorText(error) },
          'Failed to write pod status, will retry',
        );
        entry.dirty = true;
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }
}

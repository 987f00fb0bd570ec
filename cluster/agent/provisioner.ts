import { mkdirSync, rmSync } from 'node:fs';
import {
  CoreV1Api,
  ListWatch,
  StorageV1Api,
  Watch,
  type KubeConfig,
  type KubernetesObject,
  type V1PersistentVolume,
  type V1PersistentVolumeClaim,
} from '@kubernetes/client-node';
import type { Logger } from '../../contract/log.js';
import { isOurClaim, isOurVolume, linkedClaims, provisionAction, reclaimAction } from '../provisioning.js';
import { syncLinks } from '../sharedFolders.js';
import { DEV_PROVISIONER, DEV_STORAGE_CLASS, ROOT_PARAMETER } from '../storage.js';
import { apiErrorText, hasCode } from './apiErrors.js';
import { AGENT_COMPONENT } from './events.js';

/**
 * The dev provisioner of the gptoss-shared class, in every dev agent (one agent per node, so
 * several per cluster: every write is idempotent). List+watch of claims and volumes; each change
 * runs one level-based pass (one at a time, again after a failure) that creates a PersistentVolume
 * for each Pending claim of the class (the PV controller binds it), deletes Released ones with
 * their folders, and links each claim's shared folder into this agent's own claim folder, which
 * its pods mount. Claims are left to the PV controller: it sets the external-provisioner
 * annotation itself.
 */

export interface ProvisionerOptions {
  kc: KubeConfig;
  /** The agent's state folder, where its pods' claim folders are. */
  stateDir: string;
  nodeName: string;
  log: Logger;
  now: () => Date;
  /** Delay before a failed pass or a stopped informer is tried again. */
  retryMs?: number;
}

export interface RunningProvisioner {
  stop(): Promise<void>;
}

const DEFAULT_RETRY_MS = 2000;

const claimFields = (c: V1PersistentVolumeClaim) => ({
  kind: 'PersistentVolumeClaim',
  namespace: c.metadata?.namespace,
  name: c.metadata?.name,
});

class DevProvisioner {
  private readonly core: CoreV1Api;
  private readonly storage: StorageV1Api;
  readonly claims: ListWatch<V1PersistentVolumeClaim>;
  readonly volumes: ListWatch<V1PersistentVolume>;
  /** Warnings and Events given once per claim and message, not on every pass. */
  private readonly said = new Set<string>();
  private running: Promise<void> | null = null;
  private again = false;
  private retry: NodeJS.Timeout | undefined;
  started = false;
  stopping = false;

  constructor(private readonly options: Required<ProvisionerOptions>) {
    const { kc } = options;
    this.core = kc.makeApiClient(CoreV1Api);
    this.storage = kc.makeApiClient(StorageV1Api);
    const core = this.core;
    this.claims = new ListWatch(
      '/api/v1/persistentvolumeclaims',
      new Watch(kc),
      () => core.listPersistentVolumeClaimForAllNamespaces(),
      false,
    );
    this.volumes = new ListWatch('/api/v1/persistentvolumes', new Watch(kc), () => core.listPersistentVolume(), false);
  }

  /** Runs a pass now, or right after the one running. */
  readonly schedule = () => {
    if (!this.started || this.stopping) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((error: unknown) => {
        this.options.log.error({ err: apiErrorText(error) }, 'Failed a provisioning pass');
        return false;
      })
      .then((ok) => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.schedule();
        } else if (!ok && !this.stopping) {
          clearTimeout(this.retry);
          this.retry = setTimeout(this.schedule, this.options.retryMs);
        }
      });
  };

  /** Resolves when no pass is running. */
  async idle(): Promise<void> {
    await this.running;
  }

  /** No more passes: the one running ends, none is started or retried. */
  halt(): void {
    this.stopping = true;
    clearTimeout(this.retry);
  }

  private once(key: string, say: () => void) {
    if (this.said.has(key)) return;
    this.said.add(key);
    say();
  }

  /** The class's folder root, or why there is none (the class is missing or not ours). */
  private async classRoot(): Promise<{ root: string } | { missing: string }> {
    try {
      const sc = await this.storage.readStorageClass({ name: DEV_STORAGE_CLASS });
      const root = sc.parameters?.[ROOT_PARAMETER];
      if (sc.provisioner !== DEV_PROVISIONER)
        return { missing: `StorageClass ${DEV_STORAGE_CLASS} names provisioner ${sc.provisioner}` };
      return root ? { root } : { missing: `StorageClass ${DEV_STORAGE_CLASS} has no parameters.${ROOT_PARAMETER}` };
    } catch (error) {
      if (hasCode(error, 404)) return { missing: `StorageClass ${DEV_STORAGE_CLASS} does not exist` };
      throw error;
    }
  }

  /** One pass over every claim and volume of the class; false when a step failed (tried again later). */
  private async pass(): Promise<boolean> {
    const found = await this.classRoot();
    const claims = this.claims.list().filter(isOurClaim);
    if ('missing' in found) {
      if (claims.length > 0)
        this.once(found.missing, () => this.options.log.warn({ reason: found.missing }, 'Skipped shared claims'));
      return claims.length === 0;
    }
    const { root } = found;
    const volumes = this.volumes.list().filter(isOurVolume);
    let ok = true;
    const attempt = async (what: string, fields: object, step: () => void | Promise<void>) => {
      try {
        await step();
      } catch (error) {
        ok = false;
        this.options.log.error({ ...fields, err: apiErrorText(error) }, `Failed to ${what}`);
      }
    };
    for (const claim of claims)
      await attempt('provision a volume', claimFields(claim), () => this.provision(claim, volumes, root));
    for (const volume of volumes)
      await attempt('reclaim a volume', { kind: 'PersistentVolume', name: volume.metadata?.name }, () =>
        this.reclaim(volume, claims, root),
      );
    await attempt('link the shared claim folders', { stateDir: this.options.stateDir }, () => this.link(claims, root));
    return ok;
  }

  private async provision(claim: V1PersistentVolumeClaim, volumes: V1PersistentVolume[], root: string) {
    const step = provisionAction(claim, volumes, root);
    if (step.action === 'refuse') this.refuse(claim, step.reason, step.message);
    if (step.action !== 'create') return;
    mkdirSync(step.folder, { recursive: true });
    try {
      await this.core.createPersistentVolume({ body: step.volume });
      const fields = { ...claimFields(claim), volume: step.volume.metadata!.name, folder: step.folder };
      this.options.log.info(fields, 'Provisioned volume');
    } catch (error) {
      // another agent of the cluster made it first
      if (!hasCode(error, 409)) throw error;
    }
  }

  private async reclaim(volume: V1PersistentVolume, claims: V1PersistentVolumeClaim[], root: string) {
    const step = reclaimAction(volume, claims, root);
    if (step.action !== 'delete') return;
    // the folder first: a volume left Released is tried again, a folder without one would not be
    if (step.folder) rmSync(step.folder, { recursive: true, force: true });
    try {
      await this.core.deletePersistentVolume({ name: step.name });
      this.options.log.info({ kind: 'PersistentVolume', name: step.name, folder: step.folder }, 'Deleted volume');
    } catch (error) {
      if (!hasCode(error, 404)) throw error;
    }
  }

  private link(claims: V1PersistentVolumeClaim[], root: string) {
    for (const claim of syncLinks(this.options.stateDir, root, linkedClaims(claims)))
      this.once(`blocked:${claim.metadata?.uid}`, () =>
        this.options.log.warn(
          claimFields(claim),
          "Kept the agent's own non-empty folder of a shared claim: its pods on this node do not see the shared files",
        ),
      );
  }

  /** A Warning Event on the claim (kubectl describe shows it) and a log line, once per claim and message. */
  private refuse(claim: V1PersistentVolumeClaim, reason: string, message: string) {
    const { log, nodeName, now } = this.options;
    this.once(`${claim.metadata?.uid}:${message}`, () => {
      log.warn({ ...claimFields(claim), reason, message }, 'Refused to provision a volume');
      const { namespace, name, uid } = claim.metadata!;
      const at = now();
      const source = { component: AGENT_COMPONENT, host: nodeName };
      this.core
        .createNamespacedEvent({
          namespace: namespace!,
          body: {
            metadata: { namespace, generateName: `${name}.` },
            involvedObject: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name, uid },
            type: 'Warning',
            reason,
            message: `${DEV_PROVISIONER}: ${message}`,
            count: 1,
            firstTimestamp: at,
            lastTimestamp: at,
            source,
            reportingComponent: AGENT_COMPONENT,
            reportingInstance: nodeName,
          },
        })
        .catch((error: unknown) =>
          log.warn({ ...claimFields(claim), reason, err: apiErrorText(error) }, 'Failed to record event'),
        );
    });
  }
}

/** Starts watching; resolves after the first pass, so claims that exist already are linked before pods run. */
export async function startProvisioner(options: ProvisionerOptions): Promise<RunningProvisioner> {
  const retryMs = options.retryMs ?? DEFAULT_RETRY_MS;
  const { log } = options;
  const provisioner = new DevProvisioner({ ...options, retryMs });
  const informers: Array<[string, ListWatch<KubernetesObject>]> = [
    ['persistentvolumeclaims', provisioner.claims],
    ['persistentvolumes', provisioner.volumes],
  ];
  for (const [name, informer] of informers) {
    informer.on('change', provisioner.schedule);
    // an informer stops on errors other than 410: start it again, which lists again
    informer.on('error', (error: unknown) => {
      if (provisioner.stopping) return;
      log.warn({ informer: name, err: apiErrorText(error) }, 'Restarted informer after an error');
      setTimeout(() => {
        if (!provisioner.stopping) informer.start().catch(() => undefined);
      }, retryMs);
    });
  }
  const stop = async () => {
    provisioner.halt();
    for (const [, informer] of informers) await informer.stop().catch(() => undefined);
    await provisioner.idle();
  };
  try {
    for (const [, informer] of informers) await informer.start();
  } catch (cause) {
    await stop();
    throw new Error('watching PersistentVolumeClaims and PersistentVolumes', { cause });
  }
  provisioner.started = true;
  provisioner.schedule();
  await provisioner.idle();
  return { stop };
}

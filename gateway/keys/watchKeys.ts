import { CoreV1Api, makeInformer, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { InformerSupervisor } from '../../contract/kube/informerSupervisor.js';
import { API_KEY_SELECTOR } from '../../contract/keys.js';
import type { Logger } from '../../contract/log.js';
import type { GatewayConfig } from '../config.js';
import type { KeyDirectory } from '../types.js';
import { SecretKeyDirectory } from './secretKeys.js';

export interface RunningKeyDirectory extends KeyDirectory {
  /** Usable keys now. */
  readonly size: number;
  /** Stops the watch; the directory keeps the keys it last knew. */
  stop(): Promise<void>;
}

/**
 * Starts the key directory: an informer on the labelled Secrets of the keys' namespace (a label
 * selector, so the gateway reads no other Secret), supervised like discovery's (restarted with
 * back-off on errors, at once when it has heard nothing for `informerStallSeconds`). A created or
 * deleted key Secret reaches every replica as one watch event, well within 5 s. Resolves once the
 * first list is in.
 */
export async function startKeyDirectory(parts: {
  kc: KubeConfig;
  config: Pick<GatewayConfig, 'keysNamespace' | 'informerStallSeconds'>;
  log: Logger;
  /** Called each time the informer is restarted (a metric). */
  onRestart?: () => void;
}): Promise<RunningKeyDirectory> {
  const { kc, config, log } = parts;
  const namespace = config.keysNamespace;
  const core = kc.makeApiClient(CoreV1Api);
  const informer = makeInformer<V1Secret>(
    kc,
    `/api/v1/namespaces/${namespace}/secrets`,
    () => core.listNamespacedSecret({ namespace, labelSelector: API_KEY_SELECTOR }),
    API_KEY_SELECTOR,
  );
  const directory = new SecretKeyDirectory(log);
  informer.on('add', (secret) => directory.upsert(secret));
  informer.on('update', (secret) => directory.upsert(secret));
  informer.on('delete', (secret) => directory.remove(secret));
  const supervisor = new InformerSupervisor({
    informer,
    name: 'secrets',
    log,
    options: { stallMs: config.informerStallSeconds * 1000, backoffBaseMs: 500, backoffMaxMs: 30_000 },
    onRestart: () => parts.onRestart?.(),
  });
  try {
    await supervisor.start();
  } catch (error) {
    await supervisor.stop();
    throw new Error(`watching the API key Secrets of ${namespace}`, { cause: error });
  }
  log.info({ namespace, keys: directory.size }, 'Synced key directory');
  return {
    authenticate: (presented) => directory.authenticate(presented),
    get size() {
      return directory.size;
    },
    stop: () => supervisor.stop(),
  };
}

import type { KubernetesObject } from '@kubernetes/client-node';

/**
 * An object's key, namespace/name, as client-go's MetaNamespaceKeyFunc writes it, except that a cluster-scoped
 * object's key keeps the slash (`/name`): caches, queues and memories of objects all key by it.
 */
export const namespacedName = (namespace: string | undefined, name: string | undefined) =>
  `${namespace ?? ''}/${name ?? ''}`;

export const objectKey = (o: KubernetesObject) => namespacedName(o.metadata?.namespace, o.metadata?.name);

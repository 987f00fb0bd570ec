import { basename } from 'node:path';
import type { V1Container, V1Pod } from '@kubernetes/client-node';

/**
 * A container spec turned into a local process (pure): which command the image stands for, the
 * environment as kubelet builds it (values, fieldRefs, $(VAR) expansion), and volume mount paths
 * rewritten to local folders.
 */

export interface LocalProcessSpec {
  argv: string[];
  env: Record<string, string>;
}

/** Why a container cannot run here: shown as its waiting reason and in a Warning Event. */
export interface NotRunnable {
  notRunnable: true;
  reason: string;
  message: string;
}

export const notRunnable = (reason: string, message: string): NotRunnable => ({ notRunnable: true, reason, message });
export const isNotRunnable = (x: object): x is NotRunnable => 'notRunnable' in x;

export interface ContainerContext {
  pod: V1Pod;
  podIP: string;
  hostIP: string;
  /** Local folder of each volume, by volume name. */
  volumeDirs: ReadonlyMap<string, string>;
  runnableImages: readonly string[];
  /** argv prefix of the `gptoss` entrypoint: node and dist/cli/gptoss.js. */
  gptoss: readonly string[];
  /** Environment every process gets before its container's own (PATH, HOME). */
  baseEnv: Record<string, string>;
}

/**
 * kubelet's $(VAR) expansion (k8s.io/kubernetes third_party/forked/golang/expansion): `$(NAME)` is
 * replaced when NAME is known and left as written otherwise; `$$` is an escaped `$`. No library
 * does this for us.
 */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  return input.replace(/\$(\$|\(([^)]*)\))/g, (match, token: string, name: string | undefined) =>
    token === '$' ? '$' : (lookup(name!) ?? match),
  );
}

/** The repository path of an image reference: no tag, no digest ("ghcr.io/gptoss/runtime"). */
export function imageRepository(image: string): string {
  const withoutDigest = image.split('@')[0]!;
  const colon = withoutDigest.lastIndexOf(':');
  return colon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, colon) : withoutDigest;
}

export function isRunnableImage(image: string, runnableImages: readonly string[]): boolean {
  const repository = imageRepository(image);
  return runnableImages.some((r) => repository === r || repository.endsWith(`/${r}`));
}

/**
 * The argv before expansion: the image's entrypoint is `gptoss`, so `command` replaces it only when it names gptoss.
 */
function entrypoint(container: V1Container, context: ContainerContext): string[] | NotRunnable {
  const image = container.image ?? '';
  if (!isRunnableImage(image, context.runnableImages)) {
    return notRunnable(
      'ImageNotRunnableByDevAgent',
      `image "${image}" is not one the dev agent runs (repositories ending in ${context.runnableImages.join(', ')})`,
    );
  }
  const command = container.command ?? [];
  if (command.length > 0 && basename(command[0]!) !== 'gptoss') {
    return notRunnable(
      'CommandNotRunnableByDevAgent',
      `command "${command[0]}" is not gptoss, the only command the dev agent runs`,
    );
  }
  return [...command.slice(1), ...(container.args ?? [])];
}

/** The value of a downward API fieldRef, as kubelet resolves it. */
function fieldValue(path: string, context: ContainerContext): string | undefined {
  const { pod } = context;
  const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (label) return (label[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations)?.[label[2]!] ?? '';
  const values: Record<string, string | undefined> = {
    'metadata.name': pod.metadata?.name,
    'metadata.namespace': pod.metadata?.namespace,
    'metadata.uid': pod.metadata?.uid,
    'spec.nodeName': pod.spec?.nodeName,
    'spec.serviceAccountName': pod.spec?.serviceAccountName,
    'status.podIP': context.podIP,
    'status.podIPs': context.podIP,
    'status.hostIP': context.hostIP,
    'status.hostIPs': context.hostIP,
  };
  return values[path];
}

/** The container's environment in order: each value may refer to the ones before it. */
function environment(container: V1Container, context: ContainerContext): { env: Record<string, string> } | NotRunnable {
  if (container.envFrom?.length)
    return notRunnable('CreateContainerConfigError', 'envFrom is not supported by the dev agent');
  const env: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    if (variable.valueFrom) {
      const path = variable.valueFrom.fieldRef?.fieldPath;
      const value = path === undefined ? undefined : fieldValue(path, context);
      if (value === undefined) {
        return notRunnable(
          'CreateContainerConfigError',
          `env ${variable.name}: only fieldRef (metadata, spec.nodeName, status.podIP, status.hostIP) ` +
            'is supported by the dev agent',
        );
      }
      env[variable.name] = value;
    } else {
      env[variable.name] = expand(variable.value ?? '', (name) => env[name]);
    }
  }
  return { env };
}

/**
 * A process cannot see mounts, so a value that starts with a mountPath (the whole value, or the
 * mountPath followed by /) gets that prefix replaced by the volume's local folder. Longest
 * mountPath first, so /models/cache wins over /models. A NAME=PATH value (`gptoss serve --adapter
 * tone=/adapters/0/lora.gguf:1`) gets its PATH rewritten the same way.
 */
export function mountRewriter(
  container: V1Container,
  volumeDirs: ReadonlyMap<string, string>,
): (value: string) => string {
  const mounts = (container.volumeMounts ?? [])
    .filter((m) => volumeDirs.has(m.name))
    .map((m) => {
      const dir = volumeDirs.get(m.name)!;
      return {
        mountPath: m.mountPath.replace(/\/+$/, '') || '/',
        local: m.subPath ? `${dir}/${m.subPath.replace(/^\/+/, '')}` : dir,
      };
    })
    .sort((a, b) => b.mountPath.length - a.mountPath.length);
  const rewritePath = (value: string) => {
    for (const { mountPath, local } of mounts) {
      if (value === mountPath) return local;
      const prefix = mountPath === '/' ? '/' : `${mountPath}/`;
      if (value.startsWith(prefix)) return `${local}/${value.slice(prefix.length)}`;
    }
    return value;
  };
  return (value) => {
    const named = /^([A-Za-z0-9][A-Za-z0-9._-]*=)(\/.*)$/.exec(value);
    return named ? named[1]! + rewritePath(named[2]!) : rewritePath(value);
  };
}

/** The local process for a container, or why it cannot run here. */
export function localProcess(container: V1Container, context: ContainerContext): LocalProcessSpec | NotRunnable {
  const args = entrypoint(container, context);
  if (!Array.isArray(args)) return args;
  const resolved = environment(container, context);
  if (isNotRunnable(resolved)) return resolved;
  const { env } = resolved;
  const rewrite = mountRewriter(container, context.volumeDirs);
  const containerEnv = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, rewrite(v)]));
  return {
    argv: [...context.gptoss, ...args.map((a) => rewrite(expand(a, (name) => env[name])))],
    env: { ...context.baseEnv, HOSTNAME: context.pod.metadata?.name ?? '', ...containerEnv },
  };
}

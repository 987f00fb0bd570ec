import { existsSync, readFileSync } from 'node:fs';
import type https from 'node:https';
import { isIPv6 } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import type { KubeTarget, TlsCredentials } from './client.js';

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
/** client-go reads a token file again after a minute: the kubelet rotates projected tokens well before they expire. */
const TOKEN_REREAD_MS = 60_000;

/** A bearer token read from a file, and again once it is a minute old. */
function tokenFrom(file: string, clock: () => number = Date.now): () => string {
  let token = '';
  let readAt = -Infinity;
  return () => {
    if (clock() - readAt >= TOKEN_REREAD_MS) {
      token = readFileSync(file, 'utf8').trim();
      readAt = clock();
    }
    return token;
  };
}

const bearer = (token: string): Record<string, string> => (token ? { Authorization: `Bearer ${token}` } : {});

/** Inside a pod: the API server's Service, the service account's CA and its token (which the kubelet rotates). */
export function inClusterTarget(root = SERVICE_ACCOUNT, env = process.env, clock = Date.now): KubeTarget {
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  const tls = { ca: readFileSync(join(root, 'ca.crt')) };
  const token = tokenFrom(join(root, 'token'), clock);
  return {
    server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    credentials: () => Promise.resolve({ tls, headers: bearer(token()) }),
  };
}

/**
 * Any kubeconfig, through @kubernetes/client-node's KubeConfig: exec plugins, auth providers, basic auth, proxies.
 * The library's applyToHTTPSOptions says, before each request, what it carries.
 */
export function kubeConfigTarget(kc: KubeConfig): KubeTarget {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('the kubeconfig has no current cluster');
  return {
    server,
    credentials: async () => {
      const options: https.RequestOptions = { headers: {} };
      await kc.applyToHTTPSOptions(options);
      const headers = { ...(options.headers as Record<string, string>) };
      if (options.auth) headers.Authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`;
      const { ca, cert, key, rejectUnauthorized, servername } = options as TlsCredentials;
      return { tls: { ca, cert, key, rejectUnauthorized, servername }, headers };
    },
  };
}

/** What of a kubeconfig this module reads itself; anything else is the library's (kubeConfigTarget). */
const OWN_CLUSTER = new Set([
  'server',
  'certificate-authority',
  'certificate-authority-data',
  'insecure-skip-tls-verify',
  'tls-server-name',
]);
const OWN_USER = new Set([
  'client-certificate',
  'client-certificate-data',
  'client-key',
  'client-key-data',
  'token',
  'tokenFile',
]);

type Fields = Record<string, unknown>;

/**
 * A kubeconfig is YAML, often written as JSON (which YAML includes): JSON.parse reads that natively, where the YAML
 * parser would walk its long base64 strings a character at a time in JavaScript, hot enough at start for V8 to
 * optimise it, and the optimising compiler, once used, stays resident (4 MiB of the operator's idle memory:
 * docs/benchmarks.md). Text that is not JSON (a YAML flow mapping starts with `{` too) is read as YAML.
 */
function parseKubeconfig(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  try {
    if (text.trimStart().startsWith('{')) return JSON.parse(text);
  } catch {
    // not JSON: YAML decides
  }
  try {
    return parse(text);
  } catch (cause) {
    throw new Error(`reading kubeconfig ${file}`, { cause });
  }
}

/**
 * The kubeconfig's current context when it needs nothing but files, inline data and tokens (what a cluster's admin
 * kubeconfig and a service account's hold); null when it needs more (exec, auth-provider, a proxy, basic auth).
 */
export function plainKubeconfigTarget(file: string, clock = Date.now): KubeTarget | null {
  type Config = {
    'current-context'?: string;
    contexts?: Array<{ name: string; context?: { cluster?: string; user?: string } }>;
    clusters?: Array<{ name: string; cluster?: Fields }>;
    users?: Array<{ name: string; user?: Fields }>;
  };
  const config = (parseKubeconfig(file) ?? {}) as Config;
  const context = config.contexts?.find((c) => c.name === config['current-context'])?.context;
  const cluster = config.clusters?.find((c) => c.name === context?.cluster)?.cluster;
  const user = config.users?.find((u) => u.name === context?.user)?.user ?? {};
  if (!cluster || typeof cluster.server !== 'string') return null;
  if (!Object.keys(cluster).every((k) => OWN_CLUSTER.has(k)) || !Object.keys(user).every((k) => OWN_USER.has(k)))
    return null;
  const here = dirname(resolve(file));
  const bytes = (data: unknown, path: unknown) =>
    typeof data === 'string'
      ? Buffer.from(data, 'base64')
      : typeof path === 'string'
        ? readFileSync(resolve(here, path))
        : undefined;
  const tls: TlsCredentials = {
    ca: bytes(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: bytes(user['client-certificate-data'], user['client-certificate']),
    key: bytes(user['client-key-data'], user['client-key']),
    ...(cluster['insecure-skip-tls-verify'] === true ? { rejectUnauthorized: false } : {}),
    ...(typeof cluster['tls-server-name'] === 'string' ? { servername: cluster['tls-server-name'] } : {}),
  };
  const token =
    typeof user.tokenFile === 'string'
      ? tokenFrom(resolve(here, user.tokenFile), clock)
      : () => (typeof user.token === 'string' ? user.token : '');
  return { server: cluster.server, credentials: () => Promise.resolve({ tls, headers: bearer(token()) }) };
}

/**
 * Where the process's API server is, found as kubectl and client-node's loadFromDefault find it: $KUBECONFIG, else
 * ~/.kube/config, else the pod's service account. A kubeconfig this module does not read itself (several files, exec
 * plugins, auth providers, proxies) loads @kubernetes/client-node's KubeConfig, which reads them all.
 */
export async function defaultKubeTarget(): Promise<KubeTarget> {
  const files = (process.env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  const home = join(homedir(), '.kube', 'config');
  if (files.length === 0 && !existsSync(home) && existsSync(join(SERVICE_ACCOUNT, 'token'))) return inClusterTarget();
  const file = files.length === 0 ? home : files.length === 1 ? files[0]! : null;
  const plain = file && existsSync(file) ? plainKubeconfigTarget(file) : null;
  if (plain) return plain;
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kubeConfigTarget(kc);
}

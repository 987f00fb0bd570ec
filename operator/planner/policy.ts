import type { GptOssModelSpec } from '../api/v1alpha1/gptOssModel.js';
import { REASONS } from '../api/v1alpha1/reasons.js';
import { hostPathFolder } from './children/weights.js';

/**
 * What a tenant who may create GptOssModels may make the operator do with its own permissions: an
 * admin's policy, enforced twice with the same rules: at `kubectl apply` by the chart's
 * ValidatingAdmissionPolicy, and here, before any child is created, for clusters without it. Pure.
 */
export interface TenantPolicy {
  /** Folders whose files a hostPath source may name (absolute; a file in a subfolder too). None: no hostPath. */
  hostPathPrefixes: string[];
  /** Image repositories spec.runtime.image may name, any tag or digest (`ghcr.io/gptoss/runtime`). */
  runtimeImages: string[];
  /** URL schemes a url source may use: https, and http where allowed. */
  urlSchemes: Array<'https' | 'http'>;
  /** Hosts a url source may name (`models.example.com`, `*.example.com`); none: any host. */
  urlHosts: string[];
  /** Hosts and networks the weights download may reach although they are internal (a mirror in the cluster). */
  internalHosts: string[];
  /** PriorityClasses spec.runtime.priorityClassName may name. None: no priority class. */
  priorityClasses: string[];
  /** Whether spec.runtime.env may take values from Secrets of the model's namespace. */
  envFromSecrets: boolean;
  /**
   * Pod label keys a tenant may not set (`app`; a key ending in `/` is a prefix): they could put pods
   * behind other Services.
   */
  reservedLabelKeys: string[];
}

export const RESERVED_LABEL_KEYS = ['app', 'app.kubernetes.io/', 'k8s-app', 'gptoss.io/', 'kubernetes.io/', 'k8s.io/'];

export interface PolicyRefusal {
  reason: typeof REASONS.sourceNotAllowed | typeof REASONS.policyDenied;
  message: string;
}

/** Is `path` the folder or under it, with no `.` or `..` segment that could climb out? */
export function underFolder(path: string, folder: string): boolean {
  if (path.split('/').some((segment) => segment === '.' || segment === '..')) return false;
  const prefix = folder.endsWith('/') ? folder : `${folder}/`;
  return path === folder || path.startsWith(prefix);
}

/** Does the image name this repository, with a tag or digest or none? */
const imageOf = (image: string, repository: string) =>
  image === repository || image.startsWith(`${repository}:`) || image.startsWith(`${repository}@`);

const hostMatches = (host: string, pattern: string) =>
  pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern;

const reserved = (key: string, keys: readonly string[]) =>
  keys.some((r) => key === r || (r.endsWith('/') && key.startsWith(r)));

const distinct = (values: readonly string[]) => [...new Set(values)];

const list = (values: readonly string[]) => (values.length ? values.join(', ') : 'none');

/** `<field>: <value> is not <what> (policy.<setting>: <allowed>)`: the same words as the admission policy's. */
const refused = (field: string, value: string, what: string, setting: string, allowed: readonly string[]) =>
  `${field}: ${value} is not ${what} (policy.${setting}: ${list(allowed)})`;

/** The model's source and every adapter's, each with its field path: one policy for all. */
function sourceProblems(spec: GptOssModelSpec, policy: TenantPolicy): string[] {
  return [
    ...oneSourceProblems(spec.source, 'spec.source', policy),
    ...(spec.adapters ?? []).flatMap((a, i) => oneSourceProblems(a.source, `spec.adapters[${i}].source`, policy)),
  ];
}

function oneSourceProblems(source: GptOssModelSpec['source'], field: string, policy: TenantPolicy): string[] {
  const problems: string[] = [];
  const hostPath = source.hostPath?.path;
  // what is mounted is the file's folder: that folder must be in an allowed one
  if (
    hostPath !== undefined &&
    !policy.hostPathPrefixes.some((folder) => underFolder(hostPathFolder(hostPath), folder))
  ) {
    problems.push(
      refused(`${field}.hostPath.path`, hostPath, 'in an allowed folder', 'hostPathPrefixes', policy.hostPathPrefixes),
    );
  }
  const hosts = (source.url?.files ?? []).flatMap((file) => {
    try {
      const url = new URL(file.url);
      return [{ scheme: url.protocol.slice(0, -1), host: url.hostname }];
    } catch {
      return []; // the CRD's pattern and the fetch refuse it with their own message
    }
  });
  const schemes = distinct(hosts.map((h) => h.scheme).filter((s) => !(policy.urlSchemes as string[]).includes(s)));
  if (schemes.length) {
    problems.push(
      refused(`${field}.url.files`, schemes.join(', '), 'an allowed scheme', 'urlSchemes', policy.urlSchemes),
    );
  } else if (policy.urlHosts.length) {
    const outside = distinct(
      hosts.map((h) => h.host).filter((host) => !policy.urlHosts.some((p) => hostMatches(host, p))),
    );
    if (outside.length) {
      problems.push(refused(`${field}.url.files`, outside.join(', '), 'an allowed host', 'urlHosts', policy.urlHosts));
    }
  }
  return problems;
}

function runtimeProblems(spec: GptOssModelSpec, policy: TenantPolicy): string[] {
  const runtime = spec.runtime ?? {};
  const problems: string[] = [];
  if (runtime.image !== undefined && !policy.runtimeImages.some((r) => imageOf(runtime.image!, r))) {
    problems.push(
      refused('spec.runtime.image', runtime.image, 'an allowed image', 'runtimeImages', policy.runtimeImages),
    );
  }
  if (runtime.priorityClassName !== undefined && !policy.priorityClasses.includes(runtime.priorityClassName)) {
    problems.push(
      refused(
        'spec.runtime.priorityClassName',
        runtime.priorityClassName,
        'allowed',
        'priorityClasses',
        policy.priorityClasses,
      ),
    );
  }
  const fromSecret = (env: Record<string, unknown>) =>
    (env as { valueFrom?: { secretKeyRef?: unknown } }).valueFrom?.secretKeyRef !== undefined;
  if (!policy.envFromSecrets && (runtime.env ?? []).some(fromSecret)) {
    problems.push('spec.runtime.env: values from Secrets are not allowed (policy.envFromSecrets: false)');
  }
  const reservedKeys = Object.keys(runtime.podLabels ?? {}).filter((key) => reserved(key, policy.reservedLabelKeys));
  if (reservedKeys.length) {
    problems.push(
      `spec.runtime.podLabels: ${reservedKeys.join(', ')} is a reserved label key (policy.reservedLabelKeys)`,
    );
  }
  return problems;
}

/** Why the policy refuses this spec (every problem, source problems first), or null when it allows it. */
export function policyRefusal(spec: GptOssModelSpec, policy: TenantPolicy): PolicyRefusal | null {
  const source = sourceProblems(spec, policy);
  const runtime = runtimeProblems(spec, policy);
  if (!source.length && !runtime.length) return null;
  return {
    reason: source.length ? REASONS.sourceNotAllowed : REASONS.policyDenied,
    message: [...source, ...runtime].join('; '),
  };
}

/** What the weights download may reach beyond public https hosts (`gptoss fetch --allow-http --allow-host`). */
export const fetchAllowances = (policy: TenantPolicy) => ({
  allowHttp: policy.urlSchemes.includes('http'),
  allowHosts: policy.internalHosts,
});

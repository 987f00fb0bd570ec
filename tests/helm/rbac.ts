/**
 * RBAC as data, for comparing what a ServiceAccount is granted with what the API server's audit
 * log says it did. Non-resource requests (discovery) are left out: Kubernetes' default roles grant
 * them to every authenticated user, not the chart.
 */

/**
 * One permission: API group, resource (with /subresource), verb; in one namespace or (null) all; on named objects or
 * (null) any.
 */
export interface Grant {
  group: string;
  resource: string;
  verb: string;
  namespace: string | null;
  names: string[] | null;
}

export interface AuditedRequest {
  group: string;
  resource: string;
  verb: string;
  namespace: string | null;
  name: string | null;
  decision: string;
  code: number | null;
}

/**
 * Granted to the chart's ServiceAccount for operator code paths the end-to-end test does not drive,
 * each with why. When the operator's behaviour changes, this list (and the chart) change with it;
 * the test fails if an entry here is in fact used, or if a grant is unused and not listed.
 */
export const NOT_EXERCISED: Array<{ group: string; resource: string; verbs: string[]; why: string }> = [
  {
    group: 'gptoss.io',
    resource: 'gptossmodels/scale',
    verbs: ['get', 'update'],
    why: 'the builtin autoscaler sets replicas through the scale subresource',
  },
  {
    group: 'policy',
    resource: 'poddisruptionbudgets',
    verbs: ['delete'],
    why: 'scaling a model down to one replica removes its PodDisruptionBudget',
  },
  {
    group: 'batch',
    resource: 'jobs',
    verbs: ['create', 'patch', 'delete'],
    why:
      'a url source with a cache gets a download Job (tests/e2e/weightCache.bed.test.ts); ' +
      "another set of files' Job is deleted",
  },
  {
    group: '',
    resource: 'persistentvolumeclaims',
    verbs: ['create', 'patch', 'delete'],
    why: 'a url source with a cache gets a claim; it is deleted when the source drops the cache',
  },
];

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}
interface Role {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
}
interface Binding {
  kind: string;
  metadata: { name: string; namespace?: string };
  roleRef: { kind: string; name: string };
  subjects?: Array<{ kind: string; name: string; namespace?: string }>;
}
type Subject = { kind: 'ServiceAccount'; name: string; namespace: string };

/** Every grant the subject gets through bindings that name it. */
export function grantsOf(roles: { items: Role[] }, bindings: { items: Binding[] }, subject: Subject): Grant[] {
  return bindings.items
    .filter((b) =>
      b.subjects?.some((s) => s.kind === subject.kind && s.name === subject.name && s.namespace === subject.namespace),
    )
    .flatMap((b) => {
      const bindingNamespace = b.kind === 'RoleBinding' ? b.metadata.namespace! : null;
      const role = roles.items.find(
        (r) =>
          r.kind === b.roleRef.kind &&
          r.metadata.name === b.roleRef.name &&
          (r.kind === 'ClusterRole' || r.metadata.namespace === bindingNamespace),
      );
      if (!role)
        throw new Error(
          `${b.kind} ${b.metadata.name} refers to ${b.roleRef.kind} ${b.roleRef.name}, which does not exist`,
        );
      return (role.rules ?? []).flatMap((rule) =>
        (rule.apiGroups ?? []).flatMap((group) =>
          (rule.resources ?? []).flatMap((resource) =>
            rule.verbs.map((verb) => ({
              group,
              resource,
              verb,
              namespace: bindingNamespace,
              names: rule.resourceNames ?? null,
            })),
          ),
        ),
      );
    });
}

interface AuditEvent {
  auditID: string;
  stage: string;
  verb: string;
  user: { username: string };
  objectRef?: { apiGroup?: string; resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
  annotations?: Record<string, string>;
}

/**
 * The user's resource requests in a JSON audit log, one per request. A server-side apply (patch)
 * answered 201 Created also needed create permission, so it counts as a create too.
 */
export function requestsOf(auditLog: string, username: string): AuditedRequest[] {
  const byId = new Map<string, AuditEvent>();
  for (const line of auditLog.split('\n')) {
    if (!line.trim()) continue;
    const event = JSON.parse(line) as AuditEvent;
    if (event.user.username !== username || !event.objectRef?.resource) continue;
    if (event.stage === 'ResponseComplete' || !byId.has(event.auditID)) byId.set(event.auditID, event);
  }
  return [...byId.values()].flatMap((e) => {
    const o = e.objectRef!;
    const request: AuditedRequest = {
      group: o.apiGroup ?? '',
      resource: o.subresource ? `${o.resource}/${o.subresource}` : o.resource!,
      verb: e.verb,
      namespace: o.namespace ?? null,
      name: o.name ?? null,
      decision: e.annotations?.['authorization.k8s.io/decision'] ?? 'unknown',
      code: e.responseStatus?.code ?? null,
    };
    return e.verb === 'patch' && request.code === 201 ? [request, { ...request, verb: 'create' }] : [request];
  });
}

export function covers(grant: Grant, request: AuditedRequest): boolean {
  return (
    grant.group === request.group &&
    grant.resource === request.resource &&
    grant.verb === request.verb &&
    (grant.namespace === null || grant.namespace === request.namespace) &&
    (grant.names === null || (request.name !== null && grant.names.includes(request.name)))
  );
}

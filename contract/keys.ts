import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod';
import { oneOf } from './errors.js';
import { choice, int } from './flags.js';
import { REASONING_EFFORTS } from './models.js';
import { ADAPTER_NAME_PATTERN } from './argv/serve.js';

/**
 * The gateway's API keys as Kubernetes stores them, shared by `gptoss keys` (which writes them) and
 * the gateway (which reads them): one Secret per key in the keys' namespace, labelled, holding the
 * SHA-256 of the key (never the key) and the key's policy in plain fields, so kubectl and GitOps can
 * write one as well as the CLI (docs/gateway.md, "API keys"). Pure but for the random bytes of a new key.
 */

/** Every key Secret carries it; the gateway watches only Secrets that do. */
export const API_KEY_LABEL = 'gptoss.io/api-key';
export const API_KEY_SELECTOR = `${API_KEY_LABEL}=true`;
/** The key's team, for `kubectl get secrets -l gptoss.io/team=...`; when set it must equal the team field. */
export const TEAM_LABEL = 'gptoss.io/team';

/** Where the keys live unless told otherwise: the gateway's `--keys-namespace` and `gptoss keys --namespace`. */
export const DEFAULT_KEYS_NAMESPACE = 'gptoss-system';

const SECRET_PREFIX = 'gptoss-key-';
/** A key's id: visible in the key, in its Secret's name and in logs; not secret. */
const ID = '[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?';
const ID_PATTERN = new RegExp(`^${ID}$`);
const ID_RULE = '<id>: 1 to 32 lowercase letters, digits and "-", starting and ending with a letter or digit';
/** `gptoss_<id>_<secret>`: the secret is 256 random bits in hex, so `_` cannot appear in it or in the id. */
const KEY_PATTERN = new RegExp(`^gptoss_(${ID})_[0-9a-f]{64}$`);
const ID_BYTES = 6;
const SECRET_BYTES = 32;

export const keySecretName = (id: string) => `${SECRET_PREFIX}${id}`;

/** The id of a key Secret's name, `gptoss-key-<id>`; null when the name is not one. */
export function secretKeyId(secretName: string): string | null {
  const id = secretName.startsWith(SECRET_PREFIX) ? secretName.slice(SECRET_PREFIX.length) : null;
  return id !== null && ID_PATTERN.test(id) ? id : null;
}

/** The id a person names a key by: its Secret's name, or the id itself; null when it is neither. */
export const keyIdOf = (text: string): string | null => secretKeyId(text) ?? (ID_PATTERN.test(text) ? text : null);

/** The id a presented key claims, or null when it is not shaped like a key. */
export function presentedKeyId(presented: string): string | null {
  return KEY_PATTERN.exec(presented)?.[1] ?? null;
}

/** The SHA-256 of a key, in hex: what its Secret stores (`printf %s "$KEY" | sha256sum`). */
export const keyDigest = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

/** A new key: 48 random bits of id (shown everywhere) and 256 of secret (shown once). */
export function newApiKey(): { id: string; key: string } {
  const id = randomBytes(ID_BYTES).toString('hex');
  return { id, key: `gptoss_${id}_${randomBytes(SECRET_BYTES).toString('hex')}` };
}

const LIMIT_MAX = 1_000_000_000;
const LABEL_VALUE = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
const DNS_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
/** An adapter of the model (`:<adapter>`, the runtime's adapter name) or every adapter of it (`:*`). */
const ADAPTER = `(?::(?:\\*|${ADAPTER_NAME_PATTERN}))?`;
const MODEL_ID = new RegExp(`^${DNS_LABEL}/${DNS_LABEL}${ADAPTER}$`);

/** `ns/a, ns/b` -> ids. An empty list is refused, not read as "every model". */
const modelList = z.string().transform((text, ctx) => {
  const ids = text.split(',').map((id) => id.trim());
  const bad = ids.find((id) => !MODEL_ID.test(id));
  if (bad === undefined) return [...new Set(ids)];
  ctx.addIssue({
    code: 'custom',
    message:
      bad === ''
        ? 'must list models as <namespace>/<name>[:<adapter>|:*],... with no empty entry (leave it out for every model)'
        : `must list models as <namespace>/<name>[:<adapter>|:*],...: "${bad.slice(0, 80)}" is not one`,
  });
  return z.NEVER;
});

const limit = int(1, LIMIT_MAX).optional();

/**
 * A key's policy, field by field, from text: the Secret's fields and `gptoss keys create`'s flags
 * (`--requests-per-minute` is `requestsPerMinute`). Absent: no restriction.
 */
export const KEY_POLICY_FIELDS = {
  team: z
    .string({ error: 'is required' })
    .regex(LABEL_VALUE, 'must be 1 to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit'),
  models: modelList.optional(),
  requestsPerMinute: limit,
  tokensPerMinute: limit,
  maxConcurrent: limit,
  maxReasoningEffort: choice(REASONING_EFFORTS).optional(),
};

type PolicyText = z.output<z.ZodObject<typeof KEY_POLICY_FIELDS>>;

/** Absent fields as null, the gateway's "no restriction". */
const policyOf = (fields: PolicyText) => ({
  team: fields.team,
  models: fields.models ?? null,
  requestsPerMinute: fields.requestsPerMinute ?? null,
  tokensPerMinute: fields.tokensPerMinute ?? null,
  maxConcurrent: fields.maxConcurrent ?? null,
  maxReasoningEffort: fields.maxReasoningEffort ?? null,
});

export const keyPolicySchema = z.strictObject(KEY_POLICY_FIELDS).transform(policyOf);

/** What a key may do (the gateway's KeyPolicy); null: no restriction. */
export type ApiKeyPolicy = ReturnType<typeof policyOf>;

const SECRET_FIELDS = {
  sha256: z.string({ error: 'is required' }).regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (SHA-256)'),
  ...KEY_POLICY_FIELDS,
};
const secretFieldsSchema = z
  .strictObject(SECRET_FIELDS)
  .transform(({ sha256, ...fields }) => ({ sha256, policy: policyOf(fields) }));
const KEY_FIELDS = Object.keys(SECRET_FIELDS);

/** A key Secret as the API server gives it (client-node's V1Secret fits), or a manifest. */
export interface KeySecretObject {
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    creationTimestamp?: Date | string;
  };
  data?: Record<string, string>;
}

/** A key read from its Secret. */
export interface StoredKey {
  id: string;
  secretName: string;
  /** Hex SHA-256 of the key. */
  sha256: string;
  policy: ApiKeyPolicy;
  created: Date | null;
}

/** A key Secret that cannot be used; `field` names what is wrong with it. */
export class KeySecretError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field} ${reason}`);
  }
}

/** The fields as text; spaces around a value (a file's last newline) are not part of it. */
const decode = (data: Record<string, string>) =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8').trim()]));

/** Reads and validates a key Secret; throws KeySecretError naming the first bad field. */
export function readKeySecret(secret: KeySecretObject): StoredKey {
  const secretName = secret.metadata?.name ?? '';
  const id = secretKeyId(secretName);
  if (id === null) throw new KeySecretError('metadata.name', `must be ${SECRET_PREFIX}<id> (${ID_RULE})`);
  const result = secretFieldsSchema.safeParse(decode(secret.data ?? {}));
  if (!result.success) {
    const issue = result.error.issues[0]!;
    if (issue.code === 'unrecognized_keys')
      throw new KeySecretError(`data.${issue.keys[0]}`, `is not a key field (they are ${oneOf(KEY_FIELDS)})`);
    throw new KeySecretError(`data.${String(issue.path[0])}`, issue.message);
  }
  const { sha256, policy } = result.data;
  const teamLabel = secret.metadata?.labels?.[TEAM_LABEL];
  if (teamLabel !== undefined && teamLabel !== policy.team)
    throw new KeySecretError(`metadata.labels.${TEAM_LABEL}`, `must equal data.team ("${policy.team}") when set`);
  const created = secret.metadata?.creationTimestamp;
  return { id, secretName, sha256, policy, created: created === undefined ? null : new Date(created) };
}

/** The policy as the Secret's text fields (unset limits left out). */
export function policyFields(policy: ApiKeyPolicy): Record<string, string> {
  const fields: Record<string, string> = { team: policy.team };
  if (policy.models) fields.models = policy.models.join(',');
  for (const name of ['requestsPerMinute', 'tokensPerMinute', 'maxConcurrent', 'maxReasoningEffort'] as const) {
    const value = policy[name];
    if (value !== null) fields[name] = String(value);
  }
  return fields;
}

/** The Secret that stores a key: its digest and policy, written as stringData. */
export function keySecretManifest(namespace: string, id: string, sha256: string, policy: ApiKeyPolicy) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: keySecretName(id),
      namespace,
      labels: { [API_KEY_LABEL]: 'true', [TEAM_LABEL]: policy.team },
    },
    type: 'Opaque',
    stringData: { sha256, ...policyFields(policy) },
  };
}

import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Command } from 'commander';
import * as z from 'zod';
import { ConfigError, oneOf } from '../contract/errors.js';
import { flagsSchema, parseFlags, type FlagTable } from '../contract/flags.js';
import {
  API_KEY_LABEL,
  API_KEY_SELECTOR,
  DEFAULT_KEYS_NAMESPACE,
  KEY_POLICY_FIELDS,
  KeySecretError,
  keyDigest,
  keyIdOf,
  keyPolicySchema,
  keySecretManifest,
  keySecretName,
  newApiKey,
  readKeySecret,
  type ApiKeyPolicy,
  type KeySecretObject,
  type StoredKey,
} from '../contract/keys.js';
import { REASONING_EFFORTS } from '../contract/models.js';
import { fail } from './fail.js';
import { addFlags } from './flags.js';
import { byCodeUnits } from '../contract/order.js';

/**
 * `gptoss keys create|list|revoke`: the gateway's API keys as Secrets in the keys' namespace
 * (contract/keys.ts has their shape, docs/gateway.md "API keys" the why), with the kubeconfig found
 * as kubectl finds it. A new key is printed once, alone on stdout; only its SHA-256 is stored.
 */

const NAMESPACE_FLAG = {
  namespace: {
    flag: '--namespace <ns>',
    help: "the keys' namespace: the gateway's --keys-namespace",
    schema: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a namespace name (lowercase letters, digits and "-")')
      .default(DEFAULT_KEYS_NAMESPACE),
  },
} satisfies FlagTable;

export const KEYS_CREATE_FLAGS = {
  team: {
    flag: '--team <team>',
    help: 'the team the key is for: its usage metrics and access logs are per team',
    schema: KEY_POLICY_FIELDS.team,
  },
  models: {
    flag: '--models <ids>',
    help: '<namespace>/<name>[:<adapter>|:*],... the key may use (default: every model the gateway serves)',
    schema: KEY_POLICY_FIELDS.models,
  },
  requestsPerMinute: {
    flag: '--requests-per-minute <n>',
    help: 'requests a minute (default: no limit)',
    schema: KEY_POLICY_FIELDS.requestsPerMinute,
  },
  tokensPerMinute: {
    flag: '--tokens-per-minute <n>',
    help: 'prompt plus completion tokens a minute, reasoning included (default: no limit)',
    schema: KEY_POLICY_FIELDS.tokensPerMinute,
  },
  maxConcurrent: {
    flag: '--max-concurrent <n>',
    help: 'requests in flight at once (default: no limit)',
    schema: KEY_POLICY_FIELDS.maxConcurrent,
  },
  maxReasoningEffort: {
    flag: '--max-reasoning-effort <effort>',
    help: `${oneOf(REASONING_EFFORTS)}: a request asking for more is served at this (default: no cap)`,
    schema: KEY_POLICY_FIELDS.maxReasoningEffort,
  },
  ...NAMESPACE_FLAG,
} satisfies FlagTable;

/** The API server's own words (its Status message), not the client's dump of the whole response. */
function apiFailure(doing: string, error: unknown): Error {
  if (!(error instanceof ApiException)) return new Error(doing, { cause: error });
  let body: unknown = error.body;
  try {
    if (typeof body === 'string') body = JSON.parse(body);
  } catch {
    // not a Status: the code is all there is
  }
  const message = (body as { message?: unknown } | undefined)?.message;
  return new Error(`${doing}: HTTP ${error.code}${typeof message === 'string' ? `: ${message}` : ''}`);
}

/** Awaits one API call; a failure says what was being done and the API server's reason. */
async function apiCall<T>(doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw apiFailure(doing, error);
  }
}

/** The Secrets API (the kubeconfig found as kubectl finds it) and the keys' namespace. */
function keysApi(flags: Record<string, unknown>) {
  const { namespace } = parseFlags(flagsSchema(NAMESPACE_FLAG), { namespace: flags.namespace });
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return { core: kc.makeApiClient(CoreV1Api), namespace };
}

/** The policy `gptoss keys create`'s flags give; a bad flag is a ConfigError naming it. */
export function policyFromFlags(flags: Record<string, unknown>): ApiKeyPolicy {
  const { namespace: _namespace, ...policyFlags } = flags;
  return parseFlags(keyPolicySchema, policyFlags);
}

async function createKey(flags: Record<string, unknown>): Promise<void> {
  const policy = policyFromFlags(flags);
  const { core, namespace } = keysApi(flags);
  const { id, key } = newApiKey();
  const body = keySecretManifest(namespace, id, keyDigest(key), policy);
  await apiCall(`creating Secret ${namespace}/${body.metadata.name}`, () =>
    core.createNamespacedSecret({ namespace, body }),
  );
  process.stdout.write(`${key}\n`);
  process.stderr.write(
    `Created API key ${id} for team ${policy.team} (Secret ${namespace}/${body.metadata.name}); ` +
      'the key is shown only this once\n',
  );
}

const limitText = (n: number | null) => (n === null ? '-' : String(n));
const createdText = (date: Date | null) => (date ? date.toISOString().replace(/\.\d+Z$/, 'Z') : '-');

/** `gptoss keys list`'s table: ids, teams, policies and creation times; never a digest. */
export function keysTable(keys: readonly StoredKey[]): string {
  const rows = [
    ['ID', 'TEAM', 'MODELS', 'REQUESTS/MIN', 'TOKENS/MIN', 'CONCURRENT', 'MAX-EFFORT', 'CREATED'],
    ...keys.map(({ id, policy, created }) => [
      id,
      policy.team,
      policy.models?.join(',') ?? '*',
      limitText(policy.requestsPerMinute),
      limitText(policy.tokensPerMinute),
      limitText(policy.maxConcurrent),
      policy.maxReasoningEffort ?? '-',
      createdText(created),
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map(
      (row) =>
        row
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('   ')
          .trimEnd() + '\n',
    )
    .join('');
}

/** Reads every labelled Secret; one that is not a usable key is named on stderr with what is wrong. */
function usableKeys(namespace: string, secrets: readonly KeySecretObject[]): StoredKey[] {
  const keys: StoredKey[] = [];
  for (const secret of secrets) {
    try {
      keys.push(readKeySecret(secret));
    } catch (error) {
      if (!(error instanceof KeySecretError)) throw error;
      process.stderr.write(`Secret ${namespace}/${secret.metadata?.name} is not a usable key: ${error.message}\n`);
    }
  }
  const time = (key: StoredKey) => key.created?.getTime() ?? 0;
  return keys.sort((a, b) => time(a) - time(b) || byCodeUnits(a.id, b.id));
}

async function listKeys(flags: Record<string, unknown>): Promise<void> {
  const { core, namespace } = keysApi(flags);
  const list = await apiCall(`listing the key Secrets of ${namespace}`, () =>
    core.listNamespacedSecret({ namespace, labelSelector: API_KEY_SELECTOR }),
  );
  const keys = usableKeys(namespace, list.items);
  if (keys.length === 0) process.stderr.write(`No API keys in namespace ${namespace}.\n`);
  else process.stdout.write(keysTable(keys));
}

/** The Secret, or null when there is none of that name. */
async function readSecret(core: CoreV1Api, namespace: string, name: string) {
  try {
    return await core.readNamespacedSecret({ namespace, name });
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return null;
    throw apiFailure(`reading Secret ${namespace}/${name}`, error);
  }
}

async function revokeKey(idText: string, flags: Record<string, unknown>): Promise<void> {
  const id = keyIdOf(idText);
  if (id === null)
    throw new ConfigError(`"${idText}" is not a key id: give the <id> of gptoss_<id>_..., or gptoss-key-<id>`);
  const { core, namespace } = keysApi(flags);
  const name = keySecretName(id);
  const secret = await readSecret(core, namespace, name);
  if (secret === null) throw new Error(`no API key ${id} in namespace ${namespace}`);
  if (secret.metadata?.labels?.[API_KEY_LABEL] !== 'true')
    throw new Error(`Secret ${namespace}/${name} is not an API key: it lacks the label ${API_KEY_SELECTOR}`);
  // only the Secret just read: a namesake created since is not deleted unseen
  await apiCall(`deleting Secret ${namespace}/${name}`, () =>
    core.deleteNamespacedSecret({ namespace, name, body: { preconditions: { uid: secret.metadata?.uid } } }),
  );
  process.stdout.write(`Revoked API key ${id}\n`);
}

/** Runs a subcommand's work; any failure ends the process with one line naming the subcommand. */
const running =
  <A extends unknown[]>(name: string, work: (...args: A) => Promise<void>) =>
  async (...args: A) => {
    try {
      await work(...args);
    } catch (error) {
      fail(name, error);
    }
  };

export function configure(command: Command, _logLevel: () => string, name = 'keys'): void {
  addFlags(
    command.command('create').description('create an API key: prints it once on stdout and stores only its SHA-256'),
    KEYS_CREATE_FLAGS,
  ).action(running(`${name} create`, createKey));
  addFlags(
    command.command('list').description('list the API keys: ids, teams, policies, creation times (never secrets)'),
    NAMESPACE_FLAG,
  ).action(running(`${name} list`, listKeys));
  addFlags(
    command
      .command('revoke')
      .description('revoke an API key (delete its Secret): every gateway replica refuses it within 5 s')
      .argument('<id>', 'the key id (the <id> of gptoss_<id>_...) or its Secret name'),
    NAMESPACE_FLAG,
  ).action(running(`${name} revoke`, revokeKey));
}

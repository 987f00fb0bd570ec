import { quoted } from '../../contract/api/limits.js';
import type { KeyPolicy, ModelDirectory, ServedModel } from '../types.js';
import { Refusal } from './refusal.js';

/** A model's id: `<namespace>/<name>`. */
export const modelId = (model: Pick<ServedModel, 'namespace' | 'name'>) => `${model.namespace}/${model.name}`;

const nameOf = (id: string) => id.slice(id.indexOf('/') + 1);

export const mayUse = (policy: KeyPolicy, id: string) => policy.models === null || policy.models.includes(id);

/** The served models a key may use, in the directory's order. */
export const usableModels = (directory: ModelDirectory, policy: KeyPolicy) =>
  directory.list().filter((model) => mayUse(policy, modelId(model)));

// the same words whether or not the model exists: a key must not learn what it may not use
const notAllowed = (asked: string) =>
  new Refusal('permission_denied', `model ${quoted(asked)} is not allowed for this API key`, { field: 'model' });

const notServed = (asked: string) =>
  new Refusal(
    'model_not_found',
    `model ${quoted(asked)} is not served here; GET /v1/models lists the models this API key may use`,
    { field: 'model' },
  );

/** The ids a bare `<name>` may stand for: the key's allowed ids of that name, or every served model of it. */
function idsNamed(directory: ModelDirectory, policy: KeyPolicy, name: string): string[] {
  if (policy.models !== null) return policy.models.filter((id) => nameOf(id) === name);
  return directory
    .list()
    .filter((model) => model.name === name)
    .map(modelId);
}

/** The id `asked` stands for: itself when it has a namespace, else the one model of that name the key may use. */
function idFor(directory: ModelDirectory, policy: KeyPolicy, asked: string): string {
  if (asked.includes('/')) {
    if (!mayUse(policy, asked)) throw notAllowed(asked);
    return asked;
  }
  const ids = idsNamed(directory, policy, asked);
  if (ids.length === 0) throw policy.models === null ? notServed(asked) : notAllowed(asked);
  if (ids.length > 1) {
    throw new Refusal(
      'invalid_argument',
      `model ${quoted(asked)} names ${ids.length} models this API key may use; give one of ${ids.join(', ')}`,
      { field: 'model' },
    );
  }
  return ids[0]!;
}

/**
 * The served model a request's `model` names, for this key: `<namespace>/<name>`, or `<name>` alone
 * where exactly one model the key may use has that name. Not allowed: 403, the same whether or not
 * the model exists; allowed but not served: 404.
 */
export function resolveModel(directory: ModelDirectory, policy: KeyPolicy, asked: string): ServedModel {
  const id = idFor(directory, policy, asked);
  const slash = id.indexOf('/');
  const model = directory.get(id.slice(0, slash), id.slice(slash + 1));
  if (!model) throw notServed(asked);
  return model;
}

/**
 * 503 with when to try again for a model with no Ready replica that nothing will wake (spec.replicas 0,
 * autoscaling off); any other model without one is held (hold.ts). Checked before admission, so such a
 * request costs no quota.
 */
export function requireWakeable(model: ServedModel, retryAfterSeconds: number): void {
  if (model.replicas.length > 0 || model.scaling.mode !== 'off' || model.scaling.replicas > 0) return;
  throw new Refusal('unavailable', `model ${quoted(modelId(model))} has no ready replica; retry later`, {
    retryAfterSeconds,
  });
}

/** A request that names no model: the gateway serves many, so it cannot guess. */
export const modelRequired = () =>
  new Refusal('invalid_argument', 'model: is required; GET /v1/models lists the models this API key may use', {
    field: 'model',
  });

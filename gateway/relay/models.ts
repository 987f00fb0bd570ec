import { quoted } from '../../contract/api/limits.js';
import type { KeyPolicy, ModelDirectory, ServedModel } from '../types.js';
import { mayUse, modelId, parseModelId, servedIds, withAdapter, type AskedId } from './modelIds.js';
import { Refusal } from './refusal.js';

/** What a request's `model` resolved to: a served model, and which of the ids it answers to. */
export interface ModelTarget {
  model: ServedModel;
  /** The adapter asked for; null: the base model. */
  adapter: string | null;
  /** `<namespace>/<name>[:<adapter>]`, from discovery: what metrics, logs and errors name. */
  id: string;
  /** `<name>[:<adapter>]`: what the runtime serves (the operator's --model-name, its --adapter names). */
  servedName: string;
}

/** The served ids a key may use: each model's own, then its adapters', in the directory's order. */
export const usableIds = (directory: ModelDirectory, policy: KeyPolicy) =>
  directory
    .list()
    .flatMap((model) => servedIds(model).map((served) => ({ model, ...served })))
    .filter(({ model, adapter }) => mayUse(policy, modelId(model), adapter));

// the same words whether or not the model exists: a key must not learn what it may not use
const notAllowed = (asked: string) =>
  new Refusal('permission_denied', `model ${quoted(asked)} is not allowed for this API key`, { field: 'model' });

const notServed = (asked: string) =>
  new Refusal(
    'model_not_found',
    `model ${quoted(asked)} is not served here; GET /v1/models lists the models this API key may use`,
    { field: 'model' },
  );

/**
 * The models (`<namespace>/<name>`) a bare name may stand for: those of that name whose asked id the
 * key's entries grant, or, for a key without a list, the served ones of that name (serving the
 * adapter, if one is asked for).
 */
function modelsNamed(directory: ModelDirectory, policy: KeyPolicy, asked: AskedId): string[] {
  if (policy.models === null) {
    return directory
      .list()
      .filter(
        (model) => model.name === asked.name && (asked.adapter === null || model.adapters?.includes(asked.adapter)),
      )
      .map(modelId);
  }
  const bases = new Set<string>();
  for (const entry of policy.models) {
    const { namespace, name } = parseModelId(entry);
    if (namespace !== null && name === asked.name) bases.add(modelId({ namespace, name }));
  }
  return [...bases].filter((base) => mayUse(policy, base, asked.adapter));
}

/** The model (`<namespace>/<name>`) `asked` stands for: its own when it has a namespace, else the one of that name. */
function modelFor(directory: ModelDirectory, policy: KeyPolicy, text: string, asked: AskedId): string {
  if (asked.namespace !== null) {
    const base = modelId({ namespace: asked.namespace, name: asked.name });
    if (!mayUse(policy, base, asked.adapter)) throw notAllowed(text);
    return base;
  }
  const bases = modelsNamed(directory, policy, asked);
  if (bases.length === 0) throw policy.models === null ? notServed(text) : notAllowed(text);
  if (bases.length > 1) {
    const ids = bases.map((base) => withAdapter(base, asked.adapter));
    throw new Refusal(
      'invalid_argument',
      `model ${quoted(text)} names ${ids.length} models this API key may use; give one of ${ids.join(', ')}`,
      { field: 'model' },
    );
  }
  return bases[0]!;
}

/**
 * What a request's `model` names, for this key: `<namespace>/<name>[:<adapter>]`, or
 * `<name>[:<adapter>]` alone where exactly one model the key may use has that name. Not allowed:
 * 403, the same whether or not the model or adapter exists; allowed but not served (the model, or
 * an adapter the model does not have): 404.
 */
export function resolveModel(directory: ModelDirectory, policy: KeyPolicy, text: string): ModelTarget {
  const asked = parseModelId(text);
  const base = modelFor(directory, policy, text, asked);
  const slash = base.indexOf('/');
  const model = directory.get(base.slice(0, slash), base.slice(slash + 1));
  const { adapter } = asked;
  if (!model || (adapter !== null && !model.adapters?.includes(adapter))) throw notServed(text);
  return { model, adapter, id: withAdapter(modelId(model), adapter), servedName: withAdapter(model.name, adapter) };
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

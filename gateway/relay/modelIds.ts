import type { KeyPolicy, ServedModel } from '../types.js';

/**
 * The gateway's model ids: `<namespace>/<name>` for a model, `<namespace>/<name>:<adapter>` for one
 * of its LoRA adapters (served by the same replicas), and `<name>[:<adapter>]` alone where that is
 * unambiguous for the key (models.ts). Namespaces and names are DNS labels and adapter names start
 * with a letter or digit, so neither holds a colon and the first colon splits an id. Pure.
 */

/** A model's id: `<namespace>/<name>`. */
export const modelId = (model: Pick<ServedModel, 'namespace' | 'name'>) => `${model.namespace}/${model.name}`;

/** An adapter's id on top of its model's (`<model>:<adapter>`); the model's own for no adapter. */
export const withAdapter = (base: string, adapter: string | null) => (adapter === null ? base : `${base}:${adapter}`);

/** A key's entry `<namespace>/<name>:*` grants every adapter of that model (not the model itself). */
export const EVERY_ADAPTER = '*';

/** A `model` as a request gives it, in its parts; nothing checked yet. */
export interface AskedId {
  /** null: a bare name, which the key's models must make unambiguous. */
  namespace: string | null;
  name: string;
  /** null: the base model. */
  adapter: string | null;
}

export function parseModelId(text: string): AskedId {
  const colon = text.indexOf(':');
  const model = colon < 0 ? text : text.slice(0, colon);
  const adapter = colon < 0 ? null : text.slice(colon + 1);
  const slash = model.indexOf('/');
  if (slash < 0) return { namespace: null, name: model, adapter };
  return { namespace: model.slice(0, slash), name: model.slice(slash + 1), adapter };
}

/**
 * Whether a key may use the model `base` (`<namespace>/<name>`), or its adapter: a key with no list
 * may use everything served; a listed `<model>` grants the base only, `<model>:<adapter>` that adapter
 * only, `<model>:*` every adapter of it, present and future (least privilege: a model's adapters are
 * other models, which its owner adds over time).
 */
export function mayUse(policy: KeyPolicy, base: string, adapter: string | null): boolean {
  if (policy.models === null) return true;
  if (adapter === null) return policy.models.includes(base);
  return policy.models.includes(withAdapter(base, adapter)) || policy.models.includes(withAdapter(base, EVERY_ADAPTER));
}

/** Every id a served model answers to: its own, then its adapters' in the spec's order. */
export const servedIds = (model: ServedModel): Array<{ id: string; adapter: string | null }> => [
  { id: modelId(model), adapter: null },
  ...(model.adapters ?? []).map((adapter) => ({ id: withAdapter(modelId(model), adapter), adapter })),
];

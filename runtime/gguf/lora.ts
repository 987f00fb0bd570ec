import type { GgufHeader } from './header.js';

/**
 * LoRA adapters as llama.cpp reads them (src/llama-adapter.cpp): for a weight `W` of the model, ggml
 * shape [n_in, n_out], the adapter holds `W.lora_a` [n_in, r] and `W.lora_b` [r, n_out], and the
 * layer computes W·x + scale·(alpha/r)·B·(A·x). The token embedding's pair is stored flipped.
 */
export const LORA_A = '.lora_a';
export const LORA_B = '.lora_b';

const dims = (shape: readonly number[] | undefined) => (shape ? `[${shape.join(' x ')}]` : 'none');

interface Pair {
  a?: readonly number[];
  b?: readonly number[];
}

/** The adapter's lora_a/lora_b pairs by the model tensor they change, or the first tensor that is neither. */
function pairsOf(adapter: GgufHeader): Map<string, Pair> | string {
  const pairs = new Map<string, Pair>();
  for (const [name, shape] of adapter.tensors) {
    const part = name.endsWith(LORA_A) ? 'a' : name.endsWith(LORA_B) ? 'b' : null;
    // llama.cpp skips norm vectors in adapters
    if (part === null && name.endsWith('_norm.weight')) continue;
    if (part === null) return `tensor "${name}" is neither a ${LORA_A} nor a ${LORA_B} tensor`;
    const target = name.slice(0, -LORA_A.length);
    pairs.set(target, { ...pairs.get(target), [part]: shape });
  }
  return pairs;
}

/** Why one pair does not fit the model's tensor, or null. */
function pairMismatch(target: string, { a, b }: Pair, weight: readonly number[] | undefined): string | null {
  if (!a || !b) return `tensor "${target}" has ${a ? LORA_A : LORA_B} but no ${a ? LORA_B : LORA_A}`;
  if (!weight) return `tensor "${target}" is not in the model`;
  const embedding = target.endsWith('token_embd.weight');
  const fits = embedding
    ? weight[0] === b[1] && weight[1] === a[1]
    : weight[0] === a[0] && weight[1] === b[1] && a[1] === b[0];
  if (fits) return null;
  const expected = embedding
    ? `${LORA_A} [r x ${weight[1]}] and ${LORA_B} [r x ${weight[0]}], the token embedding's pair stored flipped`
    : `${LORA_A} [${weight[0]} x r] and ${LORA_B} [r x ${weight[1]}]`;
  return (
    `tensor "${target}": ${LORA_A} ${dims(a)} and ${LORA_B} ${dims(b)} do not fit the model's ${dims(weight)} ` +
    `(expected ${expected})`
  );
}

/**
 * Why a GGUF file is not a LoRA adapter for this model, checked from both headers as llama.cpp
 * would check them when it loads the adapter; null when it fits. Pure.
 */
export function loraMismatch(model: GgufHeader, adapter: GgufHeader): string | null {
  if (adapter.type !== 'adapter') return `general.type is "${adapter.type}", not "adapter": not an adapter file`;
  if (adapter.adapterType !== 'lora')
    return `adapter.type is "${adapter.adapterType}"; only "lora" adapters are served`;
  if (adapter.architecture !== model.architecture) {
    return `made for architecture "${adapter.architecture}" but the model is "${model.architecture}"`;
  }
  const pairs = pairsOf(adapter);
  if (typeof pairs === 'string') return pairs;
  if (pairs.size === 0) return `holds no ${LORA_A}/${LORA_B} tensor pairs`;
  for (const [target, pair] of pairs) {
    const problem = pairMismatch(target, pair, model.tensors.get(target));
    if (problem) return problem;
  }
  return null;
}

import type { KubernetesObject } from '@kubernetes/client-node';
import { isPlainObject } from '../../contract/api/wire.js';
import { ADAPTER_NAME, MAX_ADAPTER_NAME_LENGTH, MAX_ADAPTERS } from '../../contract/argv/serve.js';

/** An entry of spec.adapters the gateway does not serve, and why (the API server's CRD should have refused it). */
export interface SkippedAdapter {
  /** Where in the object: `spec.adapters`, `spec.adapters[2]`, `spec.adapters[2].name`. */
  field: string;
  reason: string;
}

export interface AdapterReading {
  /** The names served as `<model>:<name>`, in the spec's order. */
  names: string[];
  skipped: SkippedAdapter[];
}

const NAME_RULE =
  `must be 1 to ${MAX_ADAPTER_NAME_LENGTH} letters, digits, ".", "_" or "-", ` + 'starting with a letter or digit';

/** Why an entry's name cannot be served, or null when it can. */
function nameProblem(name: unknown, seen: readonly string[], field: string): SkippedAdapter | null {
  if (typeof name !== 'string') return { field, reason: 'must be a string' };
  if (name.length > MAX_ADAPTER_NAME_LENGTH || !ADAPTER_NAME.test(name)) return { field, reason: NAME_RULE };
  if (seen.includes(name)) return { field, reason: `repeats the adapter "${name}"` };
  return null;
}

/**
 * The adapter names of a GptOssModel read as plain JSON (the gateway does not import the operator's
 * types): spec.adapters[].name. Read defensively, since an older or hand-edited object may hold
 * anything: an entry that is no object, a name that is no adapter name, a name given twice or an
 * entry past the 16th is skipped and said why, never thrown; the rest are served. The names become
 * metric labels, so they are bounded here whatever the CRD says. Pure.
 */
export function readAdapters(model: KubernetesObject): AdapterReading {
  const spec = (model as { spec?: unknown }).spec;
  const entries = isPlainObject(spec) ? spec.adapters : undefined;
  if (entries === undefined || entries === null) return { names: [], skipped: [] };
  if (!Array.isArray(entries)) return { names: [], skipped: [{ field: 'spec.adapters', reason: 'must be a list' }] };
  const names: string[] = [];
  const skipped: SkippedAdapter[] = [];
  for (const [index, entry] of (entries as unknown[]).entries()) {
    const field = `spec.adapters[${index}]`;
    const problem =
      index >= MAX_ADAPTERS
        ? { field, reason: `is past the ${MAX_ADAPTERS} adapters a model may have` }
        : !isPlainObject(entry)
          ? { field, reason: 'must be an object' }
          : nameProblem(entry.name, names, `${field}.name`);
    if (problem) skipped.push(problem);
    else names.push((entry as { name: string }).name);
  }
  return { names, skipped };
}

/**
 * docs/api.md from the same schema as the CRD: one table row per field with its type, default,
 * bounds and description, and the CEL rules in words. `npm run gen` writes it; a test fails when
 * the committed file drifts, and another when a field has no description.
 */

type Schema = {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean | number;
  minLength?: number;
  maxLength?: number;
  maxProperties?: number;
  pattern?: string;
  minItems?: number;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema;
  required?: string[];
  'x-kubernetes-validations'?: Array<{ rule: string; message: string }>;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  anyOf?: Schema[];
};

export interface FieldDoc {
  path: string;
  type: string;
  required: boolean;
  constraints: string[];
  description: string;
}

function typeOf(s: Schema): string {
  if (s['x-kubernetes-int-or-string']) return 'int or string';
  if (s.type === 'array') return `[]${s.items ? typeOf(s.items) : 'object'}`;
  if (s.type === 'object' && s.additionalProperties) return `map[string]${typeOf(s.additionalProperties)}`;
  return s.type ?? 'object';
}

function constraints(s: Schema): string[] {
  const out: string[] = [];
  if (s.default !== undefined) out.push(`default \`${JSON.stringify(s.default)}\``);
  if (s.enum) out.push(`one of ${s.enum.map((v) => `\`${String(v)}\``).join(', ')}`);
  if (s.minimum !== undefined) out.push(`${s.exclusiveMinimum === true ? '>' : '>='} ${s.minimum}`);
  if (typeof s.exclusiveMinimum === 'number') out.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) out.push(`<= ${s.maximum}`);
  if (s.minLength) out.push('not empty');
  if (s.maxLength !== undefined) out.push(`at most ${s.maxLength} characters`);
  if (s.maxProperties !== undefined) out.push(`at most ${s.maxProperties} entries`);
  if (s.minItems) out.push(`at least ${s.minItems} item(s)`);
  if (s.pattern) out.push(`matches \`${s.pattern}\``);
  for (const v of s['x-kubernetes-validations'] ?? []) out.push(`rule: ${v.message}`);
  // a map's values are not fields of their own: what they must be is said on the map
  const values = s.type === 'object' && s.additionalProperties ? constraints(s.additionalProperties) : [];
  if (values.length) out.push(`each value: ${values.join(', ')}`);
  if (s['x-kubernetes-preserve-unknown-fields']) out.push('passed through as given');
  return out;
}

/** Every field under `schema`, depth first, with its dotted path. */
export function fieldDocs(schema: Schema, prefix: string): FieldDoc[] {
  const docs: FieldDoc[] = [];
  const walk = (s: Schema, path: string, required: boolean) => {
    docs.push({ path, type: typeOf(s), required, constraints: constraints(s), description: s.description ?? '' });
    const object = s.type === 'array' ? s.items : s;
    for (const [name, child] of Object.entries(object?.properties ?? {})) {
      walk(child, `${path}${s.type === 'array' ? '[]' : ''}.${name}`, object?.required?.includes(name) ?? false);
    }
  };
  walk(schema, prefix, true);
  return docs;
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function renderApiDocs(crd: {
  spec: {
    group: string;
    names: { kind: string; shortNames: string[] };
    versions: Array<{ name: string; schema: { openAPIV3Schema: Schema } }>;
  };
}): string {
  const version = crd.spec.versions[0]!;
  const root = version.schema.openAPIV3Schema;
  const lines = [
    '# GptOssModel API reference',
    '',
    `<!-- Generated from operator/api/v1alpha1 by npm run gen; do not edit. -->`,
    '',
    `Group \`${crd.spec.group}\`, version \`${version.name}\`, kind \`${crd.spec.names.kind}\` ` +
      `(namespaced; short name \`${crd.spec.names.shortNames.join('`, `')}\`). ${root.description ?? ''} ` +
      'The same text is what `kubectl explain gom.spec` prints.',
    '',
  ];
  for (const v of root['x-kubernetes-validations'] ?? []) lines.push(`\`metadata.name\` ${v.message}.`, '');
  for (const part of ['spec', 'status'] as const) {
    lines.push(`## ${part}`, '', '| Field | Type | Constraints | Description |', '|---|---|---|---|');
    for (const f of fieldDocs(root.properties![part]!, part)) {
      lines.push(
        `| \`${f.path}\`${f.required && f.path !== part ? ' (required)' : ''} | ${cell(f.type)} ` +
          `| ${cell(f.constraints.join('; '))} | ${cell(f.description)} |`,
      );
    }
    lines.push('');
  }
  return `${lines.join('\n')}`;
}

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELD_REQUESTS_METRIC, IDLE_METRIC, UTILIZATION_METRIC } from '../../contract/metrics.js';
import { PACKAGE_ROOT } from '../../contract/paths.js';
import { AUTOSCALING_DEFAULTS } from '../../operator/api/v1alpha1/gptOssModel.js';
import { CRD_FILE } from '../../scripts/genCrd.js';
import { SCALED_OBJECT_CRD, ensureKedaCrd } from '../../scripts/kedaCrd.js';
import { one, parseObjects, promtool } from '../helpers/chart.js';
import { ensureCrd, kubectl, kubectlResult, useNamespace, waitEstablished } from '../helpers/cluster.js';

const EXAMPLE = join(PACKAGE_ROOT, 'deploy', 'examples', 'keda-autoscaling.yaml');

interface Trigger {
  type: string;
  name: string;
  metadata: { query: string; threshold: string; activationThreshold: string } & Record<string, unknown>;
}
interface ScaledObjectSpec {
  scaleTargetRef: { apiVersion: string; kind: string; name: string };
  minReplicaCount: number;
  maxReplicaCount: number;
  cooldownPeriod: number;
  triggers: Trigger[];
}
type ScaleObject = { spec: { replicas?: number } };
interface ModelSpec {
  replicas: number;
  parallelSlots: number;
  autoscaling: { mode: string };
}

const objects = parseObjects(readFileSync(EXAMPLE, 'utf8'));
const model = one(objects, 'GptOssModel');
const modelSpec = model.spec as ModelSpec;
const scaledObject = one(objects, 'ScaledObject');
const spec = scaledObject.spec as ScaledObjectSpec;
const trigger = (name: string) => spec.triggers.find((t) => t.name === name)!;
/** The example is written for namespace `models`: the gateway labels its series "<namespace>/<name>". */
const NAMESPACE = 'models';

/** `kubectl apply --dry-run=server --validate=strict` of objects in the test's namespace. */
const dryRun = (namespace: string, input: string) =>
  kubectlResult(['apply', '--dry-run=server', '--validate=strict', '-n', namespace, '-f', '-'], input);

describe("the KEDA example (deploy/examples/keda-autoscaling.yaml) on the real API server, with KEDA's own CRD", () => {
  const ns = useNamespace('keda');
  beforeAll(async () => {
    ensureCrd(CRD_FILE);
    // left installed: other test files validate ScaledObjects too, and every apply is the same manager's
    kubectl(['apply', '--server-side', '--field-manager=gptoss-tests', '-f', await ensureKedaCrd()]);
    waitEstablished([`crd/${SCALED_OBJECT_CRD.name}`]);
  });

  it('accepts every object of the example, strictly (no unknown or dropped field)', () => {
    const applied = dryRun(ns.name, readFileSync(EXAMPLE, 'utf8'));
    expect(applied.stderr).toBe('');
    expect(applied.stdout.trim().split('\n')).toEqual([
      'persistentvolumeclaim/gpt-oss-20b-weights created (server dry run)',
      `gptossmodel.gptoss.io/${model.metadata.name} created (server dry run)`,
      `scaledobject.keda.sh/${scaledObject.metadata.name} created (server dry run)`,
    ]);
  });

  const mistakes: Array<[string, (s: Record<string, unknown> & ScaledObjectSpec) => void, string]> = [
    [
      'a misspelt field under spec',
      (s) => {
        s.minReplicasCount = s.minReplicaCount;
        delete (s as Partial<ScaledObjectSpec>).minReplicaCount;
      },
      'unknown field "spec.minReplicasCount"',
    ],
    [
      'a threshold written as a number',
      (s) => {
        s.triggers[0]!.metadata.threshold = 0.8 as unknown as string;
      },
      'spec.triggers[0].metadata.threshold in body must be of type string',
    ],
    [
      'maxReplicaCount written as text',
      (s) => {
        s.maxReplicaCount = '4' as unknown as number;
      },
      'spec.maxReplicaCount in body must be of type integer',
    ],
    [
      'a trigger without its type',
      (s) => {
        delete (s.triggers[1] as Partial<Trigger>).type;
      },
      'spec.triggers[1].type: Required value',
    ],
  ];

  it.each(mistakes)('refuses the ScaledObject with %s, naming the field', (_, spoil, message) => {
    const bad = structuredClone(scaledObject);
    spoil(bad.spec as Record<string, unknown> & ScaledObjectSpec);
    const refused = dryRun(ns.name, JSON.stringify(bad));
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(message);
  });

  it("its scaleTargetRef resolves to the model's scale subresource, which KEDA reads and writes", () => {
    kubectl(['apply', '-n', ns.name, '-f', '-'], JSON.stringify(model));
    const { apiVersion, kind, name } = spec.scaleTargetRef;
    expect({ apiVersion, kind, name }).toEqual({
      apiVersion: model.apiVersion,
      kind: model.kind,
      name: model.metadata.name,
    });
    // Kind.version.group, resolved through discovery as KEDA's REST mapper does
    const target = `${kind}.${apiVersion.split('/').reverse().join('.')}/${name}`;
    // autoscaling/v1 Scale leaves out replicas: 0
    const replicas = () =>
      (JSON.parse(kubectl(['get', target, '-n', ns.name, '--subresource=scale', '-o', 'json'])) as ScaleObject).spec
        .replicas ?? 0;
    expect(replicas()).toBe(0);
    // what KEDA does when a trigger becomes active: 0 -> 1 through the subresource
    kubectl(['scale', target, '-n', ns.name, '--replicas=1']);
    expect(replicas()).toBe(1);
  });
});

describe('the example agrees with the builtin autoscaler and with the metrics the components export', () => {
  it("external, from zero, builtin's maxReplicas and targetUtilization, zero after scaleToZeroAfterSeconds", () => {
    expect(modelSpec.autoscaling.mode).toBe('external');
    expect(modelSpec.replicas).toBe(0);
    expect(spec.minReplicaCount).toBe(0);
    expect(spec.maxReplicaCount).toBe(AUTOSCALING_DEFAULTS.maxReplicas);
    expect(Number(trigger('demand').metadata.threshold)).toBe(AUTOSCALING_DEFAULTS.targetUtilization);
    expect(trigger('recently-used').metadata.query).toContain(
      `< bool ${AUTOSCALING_DEFAULTS.scaleToZeroAfterSeconds})`,
    );
    for (const t of spec.triggers) expect(t.metadata.activationThreshold).toBe('0');
  });

  it("the queries name the model as each exporter labels it, and divide held requests by the model's slots", () => {
    const name = model.metadata.name;
    const demand = trigger('demand').metadata.query;
    expect(demand).toContain(
      `${HELD_REQUESTS_METRIC}{model="${NAMESPACE}/${name}"}) or vector(0)) / ${modelSpec.parallelSlots}`,
    );
    expect(demand).toContain(`${UTILIZATION_METRIC}{namespace="${NAMESPACE}", model="${name}"}`);
    expect(trigger('recently-used').metadata.query).toContain(
      `${IDLE_METRIC}{namespace="${NAMESPACE}", model="${name}"}`,
    );
  });
});

/** A moment of the cluster as Prometheus sees it, what each trigger's query gives, and the replicas that follow. */
interface Moment {
  what: string;
  series: Array<[string, number]>;
  demand: number;
  recentlyUsed: number;
  replicas: number;
}

const gateway = (pod: string, model: string) =>
  `${HELD_REQUESTS_METRIC}{model="${model}",namespace="gptoss-system",pod="${pod}"}`;
// labels as the chart's PodMonitor gives a runtime pod's series: its namespace, and the model from its pod label
const runtime = (metric: string, pod: string, namespace = NAMESPACE) =>
  `${metric}{namespace="${namespace}",model="gpt-oss-20b-keda",pod="${pod}"}`;

/** Series of other models, in every moment: none may count. */
const NEIGHBOURS: Array<[string, number]> = [
  [gateway('gw-0', `${NAMESPACE}/other`), 50],
  [gateway('gw-0', 'team/gpt-oss-20b-keda'), 7],
  [runtime(UTILIZATION_METRIC, 'team-a', 'team'), 9],
  [runtime(IDLE_METRIC, 'team-a', 'team'), 0],
];

const MOMENTS: Moment[] = [
  { what: 'at zero, nothing held', series: [], demand: 0, recentlyUsed: 0, replicas: 0 },
  {
    what: 'at zero, one request held: KEDA wakes the model',
    series: [[gateway('gw-0', 'models/gpt-oss-20b-keda'), 1]],
    demand: 0.125,
    recentlyUsed: 0,
    replicas: 1,
  },
  {
    what: 'at zero, 24 requests held over two gateways: straight to as many replicas as they need',
    series: [
      [gateway('gw-0', 'models/gpt-oss-20b-keda'), 10],
      [gateway('gw-1', 'models/gpt-oss-20b-keda'), 14],
    ],
    demand: 3,
    recentlyUsed: 0,
    replicas: 4,
  },
  {
    what: 'two replicas, one queueing (1.5) and one half busy (0.5)',
    series: [
      [runtime(UTILIZATION_METRIC, 'a'), 1.5],
      [runtime(UTILIZATION_METRIC, 'b'), 0.5],
      [runtime(IDLE_METRIC, 'a'), 0],
      [runtime(IDLE_METRIC, 'b'), 0],
    ],
    demand: 2,
    recentlyUsed: 1,
    replicas: 3,
  },
  {
    what: 'one replica, its last request 10 minutes ago: it stays',
    series: [
      [runtime(UTILIZATION_METRIC, 'a'), 0],
      [runtime(IDLE_METRIC, 'a'), 600],
    ],
    demand: 0,
    recentlyUsed: 1,
    replicas: 1,
  },
  {
    what: 'two replicas idle for 15 and 20 minutes: to zero after the cooldown',
    series: [
      [runtime(UTILIZATION_METRIC, 'a'), 0],
      [runtime(UTILIZATION_METRIC, 'b'), 0],
      [runtime(IDLE_METRIC, 'a'), 900],
      [runtime(IDLE_METRIC, 'b'), 1200],
    ],
    demand: 0,
    recentlyUsed: 0,
    replicas: 0,
  },
];

/**
 * The replicas KEDA and its HPA settle on for these values (HPA's tolerance and stabilisation aside):
 * none while no trigger is above its activation threshold, else the largest ceil(value / threshold)
 * of the triggers (AverageValue), within [1, maxReplicaCount].
 */
function replicasFor(values: Record<string, number>): number {
  const active = spec.triggers.some((t) => values[t.name]! > Number(t.metadata.activationThreshold));
  if (!active) return 0;
  const wanted = Math.max(...spec.triggers.map((t) => Math.ceil(values[t.name]! / Number(t.metadata.threshold))));
  return Math.min(spec.maxReplicaCount, Math.max(1, wanted));
}

describe("the example's queries, evaluated by Prometheus's own engine (promtool test rules)", () => {
  const dir = mkdtempSync(join(tmpdir(), 'keda-queries-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('give each moment its demand and recent use, one sample each', () => {
    // one sample without labels: KEDA refuses a query that returns more than one
    const sample = (expr: string, value: number) => ({ expr, eval_time: '0m', exp_samples: [{ labels: '{}', value }] });
    const tests = MOMENTS.map((m) => ({
      name: m.what,
      interval: '1m',
      input_series: [...m.series, ...NEIGHBOURS].map(([series, value]) => ({ series, values: String(value) })),
      promql_expr_test: [
        sample(trigger('demand').metadata.query, m.demand),
        sample(trigger('recently-used').metadata.query, m.recentlyUsed),
      ],
    }));
    writeFileSync(join(dir, 'queries.test.yaml'), stringify({ evaluation_interval: '1m', tests }));
    const run = promtool(['test', 'rules', 'queries.test.yaml'], dir);
    expect(run.output).toContain('SUCCESS');
    expect(run.status).toBe(0);
  });

  it.each(MOMENTS)('$what: $replicas replica(s)', (m) => {
    expect(replicasFor({ demand: m.demand, 'recently-used': m.recentlyUsed })).toBe(m.replicas);
  });
});

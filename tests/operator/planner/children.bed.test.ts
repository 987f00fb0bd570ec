import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, kubectlResult } from '../../helpers/cluster.js';
import { children, model, type Obj } from '../../helpers/plannedChildren.js';

describe('children on the real API server', () => {
  const ns = `children-${Math.random().toString(36).slice(2, 8)}`;
  beforeAll(() => {
    kubectl(['create', 'namespace', ns]);
    kubectl(['label', 'namespace', ns, 'pod-security.kubernetes.io/enforce=restricted']);
  });
  afterAll(() => {
    kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  it('are accepted (server dry run), and the runtime pod is admitted in a restricted namespace', () => {
    const { objects } = children(
      model(ns, {
        variant: 'gpt-oss-120b',
        replicas: 2,
        source: { pvc: { claimName: 'weights', path: 'gpt-oss-120b.gguf' } },
        runtime: { resources: { requests: { cpu: '4' } } },
      }),
    );
    const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects });
    const applied = kubectlResult(['apply', '--dry-run=server', '-f', '-'], list);
    expect(applied.stderr).toBe('');
    expect(applied.stdout.trim().split('\n')).toEqual([
      'deployment.apps/chat created (server dry run)',
      'service/chat created (server dry run)',
      'service/chat-grpc created (server dry run)',
      'poddisruptionbudget.policy/chat created (server dry run)',
    ]);
    const template = (objects[0] as Obj).spec.template;
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'chat-probe', namespace: ns, labels: template.metadata.labels },
      spec: template.spec,
    };
    const admitted = kubectlResult(['create', '--dry-run=server', '-f', '-'], JSON.stringify(pod));
    expect(admitted.stderr).toBe('');
    expect(admitted.status).toBe(0);
  });
});

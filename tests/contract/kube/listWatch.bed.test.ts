import type { KubernetesObject } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { ListWatch } from '../../../contract/kube/listWatch.js';
import { clusterAccess, kubectl, useNamespace, waitFor } from '../../helpers/cluster.js';

/** Labelled ConfigMaps as one JSON List for `kubectl apply -f -`. */
const configMaps = (namespace: string, names: string[]) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: names.map((name) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace, labels: { listed: 'yes' } },
      data: { k: 'v' },
    })),
  });

describe('ListWatch on the real API server', () => {
  const ns = useNamespace('listwatch');
  let informer: ListWatch<KubernetesObject> | undefined;
  afterEach(() => informer?.stop());

  it('lists in pages by the continue tokens the API server gives, then watches from the list', async () => {
    const names = ['cm-a', 'cm-b', 'cm-c', 'cm-d', 'cm-e'];
    kubectl(['apply', '-f', '-'], configMaps(ns.name, names));
    kubectl(['create', 'configmap', 'unlabelled', '-n', ns.name]);
    // the real client, its requests noted on the way through
    const { client } = clusterAccess();
    const paths: string[] = [];
    const request = client.request.bind(client);
    client.request = (method, path, options) => {
      paths.push(path);
      return request(method, path, options);
    };
    informer = new ListWatch(client, `/api/v1/namespaces/${ns.name}/configmaps`, {
      labelSelector: 'listed=yes',
      pageSize: 2,
    });
    await informer.start();
    expect(paths.map((p) => new URL(p, 'https://x').searchParams.get('continue') !== null)).toEqual([
      false,
      true,
      true,
    ]);
    expect(informer.list(ns.name).map((o) => o.metadata?.name)).toEqual(names);
    kubectl(['delete', 'configmap', 'cm-c', '-n', ns.name]);
    await waitFor(() => !informer!.get('cm-c', ns.name), 10_000, 'the watch to hear of the delete');
    expect(informer.list(ns.name).length).toBe(4);
  });
});

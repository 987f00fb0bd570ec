import type { ServerResponse } from 'node:http';
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { ListWatch } from '../../../contract/kube/listWatch.js';
import { fakeApiServer, json } from '../../helpers/fakeApiServer.js';
import { waitFor } from '../../helpers/wait.js';

type Answer = (res: ServerResponse) => void;

const pod = (name: string, resourceVersion: string, extra: Record<string, unknown> = {}): KubernetesObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ns', resourceVersion, managedFields: [{ manager: 'kubectl' }] as never },
  ...extra,
});
const list =
  (resourceVersion: string, ...items: KubernetesObject[]): Answer =>
  (res) =>
    json(res, 200, { kind: 'PodList', metadata: { resourceVersion }, items });
/** One page of a list, with the token for the next. */
const page =
  (resourceVersion: string, next: string, ...items: KubernetesObject[]): Answer =>
  (res) =>
    json(res, 200, { kind: 'PodList', metadata: { resourceVersion, continue: next }, items });
const expired: Answer = (res) => json(res, 410, { kind: 'Status', code: 410, reason: 'Expired' });
/** A watch that sends these events, then ends (as the API server does at timeoutSeconds). */
const events =
  (...lines: Array<{ type: string; object: unknown }>): Answer =>
  (res) => {
    res.writeHead(200);
    res.end(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  };

/**
 * Our informer against a fake API server (tests/helpers/fakeApiServer.ts) that answers lists and watches from
 * scripts: each request takes the next scripted answer of its kind; a watch with none left stays open, silent.
 */
async function scripted(lists: Answer[], watches: Answer[]) {
  return fakeApiServer((req, res) => {
    const answer = (req.url.includes('watch=true') ? watches : lists).shift();
    answer?.(res);
  });
}

const query = (url: string) => Object.fromEntries(new URL(url, 'http://x').searchParams);

describe('ListWatch', () => {
  let api: Awaited<ReturnType<typeof scripted>> | undefined;
  let informer: ListWatch<KubernetesObject> | undefined;
  afterEach(async () => {
    await informer?.stop();
    await api?.close();
  });

  const record = (watching: ListWatch<KubernetesObject>) => {
    const seen: string[] = [];
    for (const verb of ['add', 'update', 'delete'] as const)
      watching.on(verb, (o) => seen.push(`${verb} ${o.metadata?.name}@${o.metadata?.resourceVersion}`));
    watching.on('connect', () => seen.push('connect'));
    watching.on('error', (e) => seen.push(`error ${(e as { code?: number }).code}`));
    return seen;
  };

  it('lists, then watches from the list with bookmarks; trims objects; resumes each watch where it was', async () => {
    api = await scripted(
      [list('10', pod('a', '5'), pod('b', '6'))],
      [
        events(
          { type: 'MODIFIED', object: pod('a', '11') },
          { type: 'MODIFIED', object: pod('b', '6') },
          { type: 'ADDED', object: pod('c', '12') },
          { type: 'DELETED', object: pod('b', '13') },
          { type: 'BOOKMARK', object: { kind: 'Pod', metadata: { resourceVersion: '20' } } },
        ),
      ],
    );
    informer = new ListWatch(api.client, '/api/v1/namespaces/ns/pods', {
      labelSelector: 'app.kubernetes.io/name in (gptoss-runtime)',
      transform: (o) => {
        delete o.metadata?.managedFields;
        return o;
      },
      watchSeconds: () => 321,
    });
    const seen = record(informer);
    await informer.start();
    expect(seen).toEqual(['connect', 'add a@5', 'add b@6']);
    await waitFor(() => api!.received.length === 3, 5000, 'the second watch');
    // b@6 came again unchanged: no update
    expect(seen).toEqual(['connect', 'add a@5', 'add b@6', 'update a@11', 'add c@12', 'delete b@13', 'connect']);
    expect(informer.list('ns').map((o) => o.metadata?.name)).toEqual(['a', 'c']);
    expect(informer.list().length).toBe(2);
    expect(informer.list('elsewhere')).toEqual([]);
    expect(informer.get('a', 'ns')?.metadata).toEqual({ name: 'a', namespace: 'ns', resourceVersion: '11' });
    const [listed, first, second] = api.received.map((r) => query(r.url));
    expect(listed).toEqual({ labelSelector: 'app.kubernetes.io/name in (gptoss-runtime)', limit: '100' });
    expect(first).toEqual({
      labelSelector: 'app.kubernetes.io/name in (gptoss-runtime)',
      watch: 'true',
      allowWatchBookmarks: 'true',
      resourceVersion: '10',
      timeoutSeconds: '321',
    });
    // from the bookmark, not the list
    expect(second!.resourceVersion).toBe('20');
  });

  it('lists afresh when the watch says 410 Gone, and deletes what the new list no longer has', async () => {
    api = await scripted(
      [list('10', pod('a', '5'), pod('b', '6')), list('30', pod('b', '25'))],
      [events({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } })],
    );
    informer = new ListWatch(api.client, '/api/v1/namespaces/ns/pods');
    const seen = record(informer);
    await informer.start();
    await waitFor(() => api!.received.length === 4, 5000, 'the watch after the new list');
    expect(seen).toEqual(['connect', 'add a@5', 'add b@6', 'connect', 'update b@25', 'delete a@5']);
    expect(query(api.received[3]!.url).resourceVersion).toBe('30');
  });

  it('stops at any other failure and tells the error handlers; started again, it resumes without a list', async () => {
    const refused: Answer = (res) => json(res, 500, { kind: 'Status', code: 500 });
    api = await scripted([list('10', pod('a', '5'))], [refused]);
    informer = new ListWatch(api.client, '/api/v1/namespaces/ns/pods');
    const seen = record(informer);
    await informer.start();
    await waitFor(() => seen.includes('error 500'), 5000, 'the error');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(api.received.length).toBe(2);
    await informer.start();
    await waitFor(() => api!.received.length === 3, 5000, 'the resumed watch');
    expect(query(api.received[2]!.url)).toMatchObject({ watch: 'true', resourceVersion: '10' });
    expect(seen).toEqual(['connect', 'add a@5', 'error 500', 'connect']);
  });

  it('lists afresh when the watch request itself is answered 410 Gone', async () => {
    api = await scripted([list('10', pod('a', '5')), list('40', pod('a', '35'))], [expired]);
    informer = new ListWatch(api.client, '/api/v1/namespaces/ns/pods');
    const seen = record(informer);
    await informer.start();
    await waitFor(() => api!.received.length === 4, 5000, 'the watch after the new list');
    expect(seen).toEqual(['connect', 'add a@5', 'connect', 'update a@35']);
    expect(query(api.received[3]!.url)).toMatchObject({ watch: 'true', resourceVersion: '40' });
  });

  it('lists in pages, following each continue token; a relist forgets what none of its pages had', async () => {
    api = await scripted(
      [
        page('10', 'after-b', pod('a', '5'), pod('b', '6')),
        list('10', pod('c', '7')),
        page('30', 'after-c', pod('c', '7')),
        list('30', pod('d', '28')),
      ],
      [events({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } })],
    );
    informer = new ListWatch(api.client, '/api/v1/namespaces/ns/pods', { labelSelector: 'x=y', pageSize: 2 });
    const seen = record(informer);
    await informer.start();
    expect(seen).toEqual(['connect', 'add a@5', 'add b@6', 'add c@7']);
    await waitFor(() => api!.received.length === 6, 5000, 'the watch after the second list');
    // a and b are on no page of the second list; c unchanged is no update
    const relisted = ['connect', 'add d@28', 'delete a@5', 'delete b@6'];
    expect(seen).toEqual(['connect', 'add a@5', 'add b@6', 'add c@7', ...relisted]);
    const urls = api.received.map((r) => query(r.url));
    expect(urls.slice(0, 2)).toEqual([
      { labelSelector: 'x=y', limit: '2' },
      { labelSelector: 'x=y', limit: '2', continue: 'after-b' },
    ]);
    expect(urls[3]).toEqual({ labelSelector: 'x=y', limit: '2' });
    expect(urls[5]).toMatchObject({ watch: 'true', resourceVersion: '30' });
  });

  it('lists again in one response when the server no longer knows a continue token (410 Expired)', async () => {
    api = await scripted(
      [page('10', 'after-a', pod('a', '5')), expired, list('50', pod('b', '45'), pod('c', '46'))],
      [],
    );
    informer = new ListWatch(api.client, '/api/v1/namespaces/ns/pods', { pageSize: 1 });
    const seen = record(informer);
    await informer.start();
    // a, from the first page of the list that expired, is not in the full list
    expect(seen).toEqual(['connect', 'add a@5', 'add b@45', 'add c@46', 'delete a@5']);
    expect(api.received.map((r) => query(r.url))).toEqual([{ limit: '1' }, { limit: '1', continue: 'after-a' }, {}]);
    await waitFor(() => api!.received.length === 4, 5000, 'the watch');
    expect(query(api.received[3]!.url)).toMatchObject({ watch: 'true', resourceVersion: '50' });
  });

  it('fails a watch the server ends at once without an event, for the supervisor to back off', async () => {
    api = await scripted([list('10')], [events()]);
    informer = new ListWatch(api.client, '/api/v1/namespaces/ns/pods');
    const errors: unknown[] = [];
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    await waitFor(() => errors.length === 1, 5000, 'the error');
    expect(String(errors[0])).toBe('Error: the watch ended at once, without an event');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(api.received.length).toBe(2);
  });

  it('reports a list that fails and resolves start (the supervisor retries); stop ends the open watch', async () => {
    api = await scripted([(res) => json(res, 403, { kind: 'Status', code: 403 }), list('10')], []);
    informer = new ListWatch(api.client, '/api/v1/nodes');
    const seen = record(informer);
    await informer.start();
    expect(seen).toEqual(['connect', 'error 403']);
    await informer.start();
    await waitFor(() => api!.received.length === 3, 5000, 'the watch');
    await informer.stop();
    await new Promise((resolve) => setTimeout(resolve, 100));
    // the watch's abort is no failure
    expect(seen).toEqual(['connect', 'error 403', 'connect']);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { ApiException } from '../../../contract/kube/client.js';
import { ResourcePaths } from '../../../contract/kube/resourcePaths.js';
import { fakeApiServer, json } from '../../helpers/fakeApiServer.js';

/** Our Kubernetes client against a fake API server (tests/helpers/fakeApiServer.ts). */
describe('KubeClient', () => {
  let api: Awaited<ReturnType<typeof fakeApiServer>> | undefined;
  afterEach(() => api?.close());

  it('sends JSON, the credentials and its User-Agent, and parses the answer; a write may skip the parse', async () => {
    api = await fakeApiServer((req, res) => json(res, 200, { echoed: req.body ? JSON.parse(req.body) : null }));
    expect(await api.client.request('GET', '/api/v1/nodes')).toEqual({ echoed: null });
    const body = { kind: 'Deployment', metadata: { name: 'x' } };
    const path = '/apis/apps/v1/namespaces/ns/deployments/x?fieldManager=m';
    const contentType = 'application/apply-patch+yaml';
    expect(await api.client.request('PATCH', path, { body, contentType, answer: false })).toBeUndefined();
    const sent = api.received[1]!;
    expect([sent.method, sent.url, sent.headers['content-type'], sent.headers.authorization]).toEqual([
      'PATCH',
      path,
      contentType,
      'Bearer test-token',
    ]);
    // as client-go's: program, then (os/arch), then the runtime
    expect(sent.headers['user-agent']).toMatch(/^gptoss-operator \((linux|darwin|win32)\/\w+\) node\/\d+\.\d+\.\d+$/);
    expect(JSON.parse(sent.body)).toEqual(body);
  });

  it("rejects an answer other than 2xx with the library's ApiException: code, parsed Status, headers", async () => {
    const status = { kind: 'Status', code: 422, reason: 'Invalid', message: 'spec.replicas: Invalid value: -1' };
    api = await fakeApiServer((_, res) => json(res, 422, status));
    const error = await api.client.request('POST', '/api/v1/namespaces/ns/pods', { body: {} }).catch((e) => e);
    expect(error).toBeInstanceOf(ApiException);
    expect([(error as ApiException<unknown>).code, (error as ApiException<unknown>).body]).toEqual([422, status]);
    expect((error as ApiException<unknown>).headers['content-type']).toBe('application/json');
  });

  it('keeps a body that is not JSON as text (a proxy page)', async () => {
    api = await fakeApiServer((_, res) => res.writeHead(502).end('<html>bad gateway</html>'));
    const error = (await api.client.request('GET', '/version').catch((e) => e)) as ApiException<unknown>;
    expect([error.code, error.body]).toEqual([502, '<html>bad gateway</html>']);
  });

  it('fails a request its signal aborts, as an AbortError, whether before or during the answer', async () => {
    api = await fakeApiServer((req, res) => {
      if (req.url === '/half') res.writeHead(200).write('{"partial":');
      // /silent: never answers
    });
    for (const path of ['/silent', '/half']) {
      const error = (await api.client
        .request('GET', path, { signal: AbortSignal.timeout(200) })
        .catch((e) => e)) as Error;
      expect(error.name, path).toBe('AbortError');
    }
  });

  it('fails a request with no answer within its timeout; a watch has none (it stays open for minutes)', async () => {
    api = await fakeApiServer((req, res) => {
      if (req.url.includes('watch=true')) res.writeHead(200).write('{"type":"BOOKMARK","object":{}}\n');
      else if (req.url === '/half') res.writeHead(200).write('{"partial":');
      // anything else: never answered
    }, 300);
    // no answer at all, and an answer that stops midway: both fail at the timeout, saying so
    for (const path of ['/api/v1/nodes', '/half']) {
      const started = performance.now();
      const error = (await api.client.request('GET', path).catch((e) => e)) as Error;
      expect([error.name, performance.now() - started >= 290], path).toEqual(['AbortError', true]);
      const said = error.message === 'no answer within 300 ms' ? error : (error.cause as Error);
      expect(said.message, path).toBe('no answer within 300 ms');
    }
    const watch = new AbortController();
    const seen: unknown[] = [];
    const streaming = api.client.stream('/api/v1/nodes?watch=true', (o) => seen.push(o), watch.signal);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(seen).toEqual([{ type: 'BOOKMARK', object: {} }]);
    watch.abort();
    await expect(streaming).rejects.toThrow();
  });

  it('streams JSON lines as they come, split anywhere across chunks, and resolves at the end', async () => {
    api = await fakeApiServer((_, res) => {
      res.writeHead(200);
      res.write('{"type":"ADDED","object":{"n":1}}\n{"type":"MOD');
      setTimeout(() => res.end('IFIED","object":{"n":2}}\n'), 50);
    });
    const seen: unknown[] = [];
    await api.client.stream('/w', (o) => seen.push(o), new AbortController().signal);
    expect(seen).toEqual([
      { type: 'ADDED', object: { n: 1 } },
      { type: 'MODIFIED', object: { n: 2 } },
    ]);
  });

  it('rejects a stream refused (ApiException), cut short, or carrying a line that is not JSON', async () => {
    api = await fakeApiServer((req, res) => {
      if (req.url === '/refused') return json(res, 403, { kind: 'Status', code: 403, reason: 'Forbidden' });
      res.writeHead(200);
      if (req.url === '/garbled') return void res.write('not json\n');
      res.write('{"type":"ADDED","object":{}}\n');
      setTimeout(() => res.destroy(), 50);
    });
    const signal = new AbortController().signal;
    const refused = await api.client.stream('/refused', () => undefined, signal).catch((e) => e);
    expect([(refused as ApiException<unknown>).code, (refused as ApiException<unknown>).body]).toEqual([
      403,
      { kind: 'Status', code: 403, reason: 'Forbidden' },
    ]);
    await expect(api.client.stream('/cut', () => undefined, signal)).rejects.toThrow(
      'the watch connection closed before the API server ended it',
    );
    await expect(api.client.stream('/garbled', () => undefined, signal)).rejects.toThrow('reading a watch event');
  });
});

describe('ResourcePaths', () => {
  let api: Awaited<ReturnType<typeof fakeApiServer>> | undefined;
  afterEach(() => api?.close());

  const resources = {
    '/apis/apps/v1': [
      { name: 'deployments', kind: 'Deployment', namespaced: true },
      { name: 'deployments/status', kind: 'Deployment', namespaced: true },
    ],
    '/api/v1': [{ name: 'nodes', kind: 'Node', namespaced: false }],
  } as Record<string, unknown>;

  it('finds a path by discovery, one request per group version, and looks again for a kind it missed', async () => {
    api = await fakeApiServer((req, res) =>
      resources[req.url] ? json(res, 200, { resources: resources[req.url] }) : json(res, 404, {}),
    );
    const paths = new ResourcePaths(api.client);
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { namespace: 'ns', name: 'm' } };
    expect(await paths.of(deployment)).toBe('/apis/apps/v1/namespaces/ns/deployments/m');
    expect(await paths.of({ ...deployment, metadata: { namespace: 'other' } })).toBe(
      '/apis/apps/v1/namespaces/other/deployments',
    );
    expect(await paths.of({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } })).toBe('/api/v1/nodes/n1');
    expect(api.received.map((r) => r.url)).toEqual(['/apis/apps/v1', '/api/v1']);
    await expect(paths.of({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 's' } })).rejects.toThrow(
      'the API server serves no StatefulSet in apps/v1',
    );
    await expect(paths.of({ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject' })).rejects.toThrow(
      'discovering the resources of keda.sh/v1alpha1',
    );
    await paths.of(deployment);
    expect(api.received.map((r) => r.url).slice(2)).toEqual(['/apis/keda.sh/v1alpha1', '/apis/apps/v1']);
  });
});

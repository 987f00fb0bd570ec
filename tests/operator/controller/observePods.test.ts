import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observePods } from '../../../operator/controller/reads.js';
import { startHostilePod } from '../../helpers/hostilePod.js';

const pod = (name: string, status: V1Pod['status']): V1Pod => ({ metadata: { name }, status });

/** What the operator reads from runtime pods (pods as data; a fake /progress server standing in for gptoss fetch). */
describe('observePods', () => {
  let port = 0;
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(req.url === '/progress' ? { phase: 'downloading', bytesDone: 1024, bytesTotal: 4096 } : {}));
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server.close();
  });

  // read from their pod IPs; one that does not answer yet counts as 0 of unknown
  it('sums the downloads of pods whose fetch init container runs', async () => {
    const fetching = (name: string, ip: string) =>
      pod(name, {
        podIP: ip,
        initContainerStatuses: [
          { name: 'fetch', state: { running: {} }, ready: false, restartCount: 0, image: 'i', imageID: '' },
        ],
      });
    const observed = await observePods(
      [
        fetching('a', '127.0.0.1'),
        fetching('b', '127.0.0.1'),
        fetching('c', '127.0.0.9'),
        pod('d', { podIP: '127.0.0.1' }),
      ],
      port,
    );
    expect(observed.download).toEqual({ bytesDone: 2048, bytesTotal: 8192 });
  });

  it.each([
    ['an answer past the 64 KiB limit', 'x'.repeat(100 * 1024), 'answered more than 65536 bytes'],
    ['an answer that is not JSON', '<html>busy</html>', 'answered something that is not gptoss fetch progress'],
    [
      'more bytes done than there are',
      { bytesDone: 5, bytesTotal: 2 },
      'answered something that is not gptoss fetch progress',
    ],
    ['a negative count', { bytesDone: -1, bytesTotal: null }, 'answered something that is not gptoss fetch progress'],
    ['a count that is not a number', { bytesDone: '1e30' }, 'answered something that is not gptoss fetch progress'],
  ])('%s is not trusted: 0 of unknown, said in the observation and reported', async (_name, answer, problem) => {
    const hostile = await startHostilePod(answer);
    const reported: string[] = [];
    try {
      const observed = await observePods(
        [
          pod('chat-1', {
            podIP: '127.0.0.1',
            initContainerStatuses: [
              { name: 'fetch', state: { running: {} }, ready: false, restartCount: 0, image: 'i', imageID: '' },
            ],
          }),
        ],
        Number(new URL(hostile.url).port),
        (p, endpoint, why) => reported.push(`${p.metadata?.name} ${endpoint} ${why}`),
      );
      expect(observed.download).toEqual({ bytesDone: 0, bytesTotal: 0, unreadable: [`pod chat-1: ${problem}`] });
      expect(reported).toEqual([`chat-1 /progress ${problem}`]);
    } finally {
      await hostile.close();
    }
  });

  it('a container that keeps failing is reported with its last termination message', async () => {
    const observed = await observePods(
      [
        pod('chat-1', {
          containerStatuses: [
            {
              name: 'runtime',
              ready: false,
              restartCount: 3,
              image: 'i',
              imageID: '',
              state: { waiting: { reason: 'CrashLoopBackOff' } },
              lastState: {
                terminated: {
                  exitCode: 1,
                  message: '{"level":"info"}\ngptoss serve: model file /models/m.gguf not found\n',
                },
              },
            },
          ],
        }),
      ],
      port,
    );
    expect(observed.failing).toBe(
      'container runtime of pod chat-1 exited 1: gptoss serve: model file /models/m.gguf not found; restarts: 3',
    );
    expect(observed.download).toBeNull();
  });

  it('an image that cannot be pulled is reported as waiting with its reason; a starting pod is not', async () => {
    const waiting = (reason: string, message?: string) =>
      pod('p', {
        containerStatuses: [
          {
            name: 'runtime',
            ready: false,
            restartCount: 0,
            image: 'i',
            imageID: '',
            state: { waiting: { reason, message } },
          },
        ],
      });
    expect((await observePods([waiting('ImagePullBackOff', 'Back-off pulling image')], port)).failing).toBe(
      'container runtime of pod p is waiting: ImagePullBackOff: Back-off pulling image',
    );
    expect((await observePods([waiting('ContainerCreating')], port)).failing).toBeNull();
  });
});

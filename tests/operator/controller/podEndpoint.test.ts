import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPodEndpoint } from '../../../operator/controller/podEndpoint.js';
import { freePort } from '../../../cluster/processes.js';
import { HUGE_BYTES, startHostilePod, type HostilePod } from '../../helpers/hostilePod.js';

const LIMITS = { timeoutMs: 500, maxBytes: 256 * 1024 };

/** Reading a pod the tenant controls: a real server on port 0 answering every bad way there is. */
describe('readPodEndpoint: a deadline and a byte limit on whatever a pod answers', () => {
  let pod: HostilePod;
  beforeAll(async () => {
    pod = await startHostilePod({ bytesDone: 1, bytesTotal: 2 });
  });
  afterAll(() => pod.close());

  it('a good answer is read whole', async () => {
    expect(await readPodEndpoint(`${pod.url}/progress`, LIMITS)).toEqual({
      ok: true,
      text: '{"bytesDone":1,"bytesTotal":2}',
    });
  });

  // the review's 300 MiB answer
  it('an endless answer is dropped at the limit: the pod sends a small part of it, not 300 MiB', async () => {
    expect(await readPodEndpoint(`${pod.url}/huge`, LIMITS)).toEqual({
      ok: false,
      problem: 'answered more than 262144 bytes',
      listening: true,
    });
    const sent = await pod.hugeSent();
    expect(sent.droppedEarly).toBe(true);
    // the limit, plus what the sockets buffered before the connection went
    expect(sent.bytes).toBeLessThan(32 * 1024 * 1024);
    expect(sent.bytes).toBeLessThan(HUGE_BYTES / 10);
  });

  it.each([
    ['a Content-Length past the limit (refused before reading)', '/declared', 'answered more than 262144 bytes'],
    ['a gzip bomb (counted once inflated)', '/bomb', 'answered more than 262144 bytes'],
    ['an answer that never ends in time', '/drip', 'no complete answer within 500 ms'],
    ['a server error', '/error', 'answered HTTP 500'],
    ['a redirect (not followed)', '/redirect', 'answered HTTP 302'],
  ])('%s is a problem, said in one line', async (_name, path, problem) => {
    expect(await readPodEndpoint(`${pod.url}${path}`, LIMITS)).toEqual({ ok: false, problem, listening: true });
  });

  it('the redirect was not followed', () => {
    expect(pod.redirectTargetHits).toBe(0);
  });

  it('nothing listening is told apart: a pod not serving yet', async () => {
    const port = await freePort();
    expect(await readPodEndpoint(`http://127.0.0.1:${port}/progress`, LIMITS)).toEqual({
      ok: false,
      problem: 'did not answer: ECONNREFUSED',
      listening: false,
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRateLimitedFiles, type RateLimitedFiles } from '../../bench/rateLimitedFiles.js';

/** The weight-cache benchmark's file host: what it answers, what it counts, and that its rate holds. */
describe('the fixed-rate file host of bench:stack', () => {
  let files: RateLimitedFiles;
  const body = Buffer.alloc(64 * 1024, 7);
  beforeAll(async () => {
    files = await startRateLimitedFiles(256 * 1024);
    files.serve('m.gguf', body);
  });
  afterAll(() => files.close());

  // the rate itself is what the benchmark reports (its download times), not a timed assertion here
  it('sends the whole body in paced chunks and counts the GET', async () => {
    const res = await fetch(files.url('m.gguf'));
    const received = Buffer.from(await res.arrayBuffer());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(body.length));
    expect(received.equals(body)).toBe(true);
    expect(files.gets('m.gguf')).toBe(1);
  });

  it('answers HEAD with the size and does not count it; resumes a range; refuses others', async () => {
    const head = await fetch(files.url('m.gguf'), { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(body.length));
    const ranged = await fetch(files.url('m.gguf'), { headers: { range: `bytes=${body.length - 10}-` } });
    expect(ranged.status).toBe(206);
    expect((await ranged.arrayBuffer()).byteLength).toBe(10);
    const refused = await fetch(files.url('m.gguf'), { headers: { range: 'bytes=0-9' } });
    expect(refused.status).toBe(416);
    await refused.arrayBuffer();
    expect((await fetch(files.url('nothing.gguf'))).status).toBe(404);
    expect(files.gets('m.gguf')).toBe(3);
  });
});

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCRIPTED_ANSWER } from '../../runtime/synth/harmonyScript.js';
import { waitFor } from '../helpers/cluster.js';
import { startFileServer, type FileServer } from '../helpers/fileServer.js';
import { modelPath } from '../helpers/models.js';
import { condition, converged, readModel } from '../helpers/operator.js';
import { applyModel, e2eModel, podClients, readyRuntimePods, useStack } from '../helpers/stack.js';

/**
 * A url source end to end: the operator's fetch init container (run by the dev agent) downloads the
 * model from a local HTTP server, the operator shows the download's progress in the model's status,
 * and the runtime then serves what was downloaded.
 */
describe('end to end: weights from a URL', () => {
  const stack = useStack('e2e-url');
  const { ns, agent } = stack;
  let server: FileServer;
  const body = readFileSync(modelPath('scripted'));
  beforeAll(async () => {
    // slow enough (about 7 s, whatever the model's size) that the operator's 2-second progress polls see it half way
    const chunkBytes = Math.ceil(body.length / 70);
    server = await startFileServer({ 'gpt-oss-demo.gguf': body }, { trickle: { chunkBytes, intervalMs: 100 } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('downloads and verifies the file, shows a percentage while it does, then serves it', async () => {
    const sha256 = createHash('sha256').update(body).digest('hex');
    applyModel(
      e2eModel(ns.name, 'fetched', agent.nodeName, 'scripted', {
        source: { url: { files: [{ url: server.url('gpt-oss-demo.gguf'), sha256 }] } },
      }),
    );
    const progress = new Set<string>();
    await waitFor(
      () => {
        const p = condition(readModel(ns.name, 'fetched'), 'Progressing') as
          { reason: string; message?: string } | undefined;
        if (p?.reason === 'DownloadingWeights') progress.add(p.message ?? '');
        return converged(ns.name, 'fetched', 1);
      },
      120_000,
      `the model to be Ready: ${stack.operator.logs()}`,
      200,
    );
    expect(
      [...progress].some((m) => /^downloading weights: \d+% \(0\.0 of 0\.0 GiB\)$/.test(m)),
      [...progress].join(' | '),
    ).toBe(true);
    expect(server.gets('gpt-oss-demo.gguf').length).toBeGreaterThanOrEqual(1);

    const [pod] = await readyRuntimePods(ns.name, 'fetched');
    const { openai } = podClients(pod!);
    const completion = await openai.chat.completions.create({
      model: 'fetched',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(completion.choices[0]!.message.content).toBe(SCRIPTED_ANSWER);
  });
});

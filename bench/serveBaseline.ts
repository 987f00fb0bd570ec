import { spawn } from 'node:child_process';
import { credentials, type ClientReadableStream } from '@grpc/grpc-js';
import { freePort } from '../cluster/processes.js';
import { RuntimeClient } from '../contract/grpc/protos.js';
import { GPTOSS } from './operatorProcess.js';

/**
 * The baseline of the benchmarks that start a model through the cluster (stack.ts, zero.ts):
 * `gptoss serve` started directly on the same model with the settings the GptOssModel gives its pod,
 * timed from spawn to the first streamed token. What the cluster path costs is its time over this.
 */

type Stream = ClientReadableStream<{ text?: string }>;

/** Milliseconds until the first text of a Chat on `address`, retrying while nothing listens. */
export async function firstToken(address: string, started: number): Promise<number> {
  for (;;) {
    const client = new RuntimeClient(address, credentials.createInsecure()) as {
      Chat(r: object): Stream;
      close(): void;
    };
    const got = await new Promise<boolean>((resolve) => {
      const stream = client.Chat({ messages: [{ role: 'user', content: 'Hi' }] });
      stream.on('data', (d: { text?: string }) => {
        if (d.text) {
          resolve(true);
          stream.cancel();
        }
      });
      stream.on('error', () => resolve(false));
      stream.on('end', () => resolve(false));
    });
    client.close();
    if (got) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Milliseconds from spawning `gptoss serve` on the model (CPU, one thread, 2 slots of 1024 tokens:
 * what the benchmarks' GptOssModels ask for) to its first token.
 */
export async function baseline(model: string): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      GPTOSS,
      'serve',
      '--model',
      model,
      '--gpu',
      'cpu',
      '--threads',
      '1',
      '--grpc-port',
      String(port),
      '--http-port',
      '0',
      '--parallel',
      '2',
      '--context-size',
      '1024',
    ],
    { stdio: 'ignore' },
  );
  try {
    return await firstToken(`127.0.0.1:${port}`, started);
  } finally {
    child.kill('SIGKILL');
  }
}

import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadServeConfig } from '../runtime/config.js';
import { cacheRoot } from '../runtime/paths.js';
import { createLogger } from '../runtime/log.js';
import { serveInForeground } from './serve.js';

/** Where generated models live: outside the repository, reused across runs. */
export function modelCacheDir(): string {
  return join(cacheRoot(), 'models');
}

const DEMO_SEED = 1;

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('the local demo: serve a synthetic gpt-oss model that answers in harmony, in the foreground')
    .option('--grpc-port <port>', 'gRPC port', '50051')
    .option('--http-port <port>', 'HTTP port', '8080')
    .action(async (flags: { grpcPort: string; httpPort: string }) => {
      const log = createLogger(program.opts().logLevel as string);
      const dir = modelCacheDir();
      const modelPath = join(dir, `gpt-oss-tiny-scripted-seed${DEMO_SEED}.gguf`);
      const exists = await stat(modelPath).then(() => true, () => false);
      if (!exists) {
        await mkdir(dir, { recursive: true });
        const { synthModel } = await import('../runtime/synth/synthModel.js');
        await synthModel({ arch: 'gpt-oss', preset: 'tiny', scripted: true, seed: DEMO_SEED, out: modelPath });
        log.info({ path: modelPath }, 'Wrote synthetic model');
      }
      const config = loadServeConfig({
        modelPath, modelName: 'gpt-oss-demo', grpcPort: flags.grpcPort, httpPort: flags.httpPort, parallel: 4, contextSize: 2048,
      });
      await serveInForeground(config, log, 'start', (grpc, http) => {
        process.stderr.write([
          '',
          'Try it:',
          `  grpcurl -plaintext -d '{"messages":[{"role":"user","content":"Hi"}]}' ${grpc} gptoss.runtime.v1.Runtime/Chat`,
          `  curl -s ${http}/v1/chat/completions -H 'Content-Type: application/json' -d '{"model":"gpt-oss-demo","messages":[{"role":"user","content":"Hi"}]}'`,
          `  node -e "new (require('openai').OpenAI)({baseURL:'${http}/v1',apiKey:'none'}).chat.completions.create({model:'gpt-oss-demo',messages:[{role:'user',content:'Hi'}]}).then(r=>console.log(r.choices[0].message))"`,
          'Ctrl-C stops it.',
          '',
        ].join('\n'));
      });
    });
}

import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { configure as configureServe } from '../../../cli/serve.js';
import { SERVE_FLAGS, serveArgs, type ServeOptions } from '../../../contract/argv/serve.js';
import { ConfigError } from '../../../contract/errors.js';
import { MAX_CONTEXT_SIZE, MAX_PARALLEL_SLOTS } from '../../../contract/models.js';
import { RUNTIME_GRPC_PORT, RUNTIME_HTTP_PORT } from '../../../contract/names.js';
import { gptOssModelSpec } from '../../../operator/api/v1alpha1/schema.js';
import { loadServeConfig, type ServeConfig } from '../../../runtime/config.js';

/** What `gptoss serve` makes of an argv, through its own commander command and schema (nothing started). */
async function parseServe(argv: string[]): Promise<ServeConfig> {
  let parsed: ServeConfig | undefined;
  const program = new Command('gptoss').exitOverride();
  configureServe(
    program.command('serve').exitOverride(),
    () => 'error',
    'serve',
    async (config) => {
      parsed = config;
    },
  );
  await program.parseAsync(argv, { from: 'user' });
  if (!parsed) throw new Error('serve did not run');
  return parsed;
}

describe('serveArgs (pure): what the operator writes is what gptoss serve reads', () => {
  it("round-trips every flag through the command's own parser, the pod-IP placeholder included", async () => {
    const options: Required<ServeOptions> = {
      model: '/models/gpt-oss-120b/model-00001-of-00003.gguf',
      modelName: 'chat',
      variant: 'gpt-oss-120b',
      listenAddress: '$(POD_IP)',
      grpcPort: 50052,
      httpPort: 8081,
      parallel: 8,
      contextSize: 16_384,
      reasoningEffort: 'high',
      currentDate: '2026-02-28',
      gpu: 'cuda',
      threads: 7,
      maxQueue: 10,
      graceSeconds: 5,
      maxBodyBytes: 2048,
      adapter: [
        { name: 'fr', path: '/adapters/fr.gguf', scale: 0.5 },
        { name: 'legal', path: '/adapters/c:legal.gguf', scale: 1 },
      ],
    };
    const { model, ...rest } = options;
    expect(await parseServe(serveArgs(options))).toEqual({ ...rest, modelPath: model });
  });

  it('what a caller leaves out the command defaults, from the one table', async () => {
    const argv = serveArgs({ model: '/m.gguf', threads: 1 });
    expect(argv).toEqual(['serve', '--model', '/m.gguf', '--threads', '1']);
    expect(await parseServe(argv)).toEqual({
      modelPath: '/m.gguf',
      modelName: 'm',
      currentDate: 'today',
      listenAddress: '127.0.0.1',
      grpcPort: RUNTIME_GRPC_PORT,
      httpPort: RUNTIME_HTTP_PORT,
      parallel: 4,
      contextSize: 4096,
      reasoningEffort: 'medium',
      gpu: 'auto',
      threads: 1,
      maxQueue: 64,
      graceSeconds: 30,
      maxBodyBytes: 1024 * 1024,
      adapter: [],
    });
  });

  it('help shows each default as the schema gives it (no second copy in the command)', () => {
    const command = new Command('serve');
    configureServe(command, () => 'error');
    const help = command.helpInformation().replace(/\s+/g, ' ');
    expect(help).toContain(`(0 picks a free one) (default: ${RUNTIME_GRPC_PORT})`);
    expect(help).toContain('default reasoning effort: low, medium or high (default: medium)');
    for (const option of command.options) expect(option.defaultValue, option.flags).toBeUndefined();
    expect(command.options.map((o) => o.long)).toEqual(Object.values(SERVE_FLAGS).map((f) => f.flag.split(' ')[0]));
  });

  it('the CRD and gptoss serve take the same bounds (contract/models.ts)', async () => {
    const spec = { variant: 'gpt-oss-20b', source: { hostPath: { path: '/m.gguf' } } };
    for (const [field, flag, max] of [
      ['contextSize', 'contextSize', MAX_CONTEXT_SIZE],
      ['parallelSlots', 'parallel', MAX_PARALLEL_SLOTS],
    ] as const) {
      expect(gptOssModelSpec.safeParse({ ...spec, [field]: max }).success).toBe(true);
      expect(gptOssModelSpec.safeParse({ ...spec, [field]: max + 1 }).success).toBe(false);
      await expect(parseServe(serveArgs({ model: '/m.gguf', [flag]: max }))).resolves.toMatchObject({ [flag]: max });
    }
  });
});

// the command exits 2 with this line: tests/cli/serve.bed.test.ts
describe('the serve schema refuses bad flags by name', () => {
  it.each([
    [{ parallel: String(MAX_PARALLEL_SLOTS + 1) }, `--parallel must be between 1 and ${MAX_PARALLEL_SLOTS}`],
    [{ contextSize: 'lots' }, '--context-size must be a number'],
    [{ reasoningEffort: 'extreme' }, '--reasoning-effort must be low, medium or high'],
    [{ gpu: 'tpu' }, '--gpu must be auto, cuda, vulkan or cpu'],
    [{ variant: 'gpt-oss-7b' }, '--variant must be gpt-oss-20b or gpt-oss-120b'],
    [{ modelName: '-bad' }, '--model-name must be letters, digits and . _ : / -'],
    [{ model: undefined }, '--model is required'],
  ])('%j', (flags, message) => {
    const load = () => loadServeConfig({ model: '/m.gguf', ...flags });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
  });
});

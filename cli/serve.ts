import type { Command } from 'commander';
import { loadServeConfig, type ServeConfig, type ServeConfigInput } from '../runtime/config.js';
import { createLogger, type Logger } from '../runtime/log.js';
import { fail } from './fail.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve a GGUF model over gRPC and OpenAI-compatible HTTP')
    .requiredOption('--model <file>', 'GGUF model file (the first shard of a sharded model is enough)')
    .option('--model-name <name>', 'served model id (default: the file name without .gguf)')
    .option('--variant <variant>', 'declared variant, reported by GetModelInfo: gpt-oss-20b or gpt-oss-120b')
    .option('--listen-address <addr>', 'address both servers listen on (pods use 0.0.0.0)', '127.0.0.1')
    .option('--grpc-port <port>', 'gRPC port (0 picks a free one)', '50051')
    .option('--http-port <port>', 'HTTP port: OpenAI API, /metrics, /healthz, /readyz (0 picks a free one)', '8080')
    .option('--parallel <n>', 'parallel slots: requests decoded together', '4')
    .option('--context-size <n>', 'tokens per request (per slot)', '4096')
    .option('--reasoning-effort <effort>', 'default reasoning effort: low, medium or high', 'medium')
    .option('--threads <n>', 'CPU threads for llama.cpp (default: CPU budget from the cgroup quota, minus one)')
    .option('--gpu <gpu>', 'auto, cuda, vulkan or cpu', 'auto')
    .option('--max-queue <n>', 'requests that may wait for a slot before RESOURCE_EXHAUSTED / 429', '64')
    .option('--grace-seconds <n>', 'on SIGTERM, how long in-flight streams may finish', '30')
    .option('--max-body-bytes <n>', 'largest request body', String(1024 * 1024))
    .action(async (flags: Record<string, string | undefined>) => {
      const log = createLogger(program.opts().logLevel as string);
      let config: ServeConfig;
      try {
        config = loadServeConfig({
          modelPath: flags.model,
          modelName: flags.modelName,
          variant: flags.variant,
          listenAddress: flags.listenAddress,
          grpcPort: flags.grpcPort,
          httpPort: flags.httpPort,
          parallel: flags.parallel,
          contextSize: flags.contextSize,
          reasoningEffort: flags.reasoningEffort,
          threads: flags.threads,
          gpu: flags.gpu,
          maxQueue: flags.maxQueue,
          graceSeconds: flags.graceSeconds,
          maxBodyBytes: flags.maxBodyBytes,
        } as ServeConfigInput);
      } catch (error) {
        fail('serve', error);
      }
      await serveInForeground(config, log, 'serve');
    });
}

/** Serves until SIGTERM or SIGINT, printing GRPC= and HTTP= on stdout once the model is loaded. */
export async function serveInForeground(config: ServeConfig, log: Logger, command: string, onReady?: (grpc: string, http: string) => void) {
  const { startRuntime } = await import('../runtime/serve.js');
  let runtime;
  try {
    runtime = await startRuntime(config, log);
  } catch (error) {
    fail(command, error);
  }
  process.stdout.write(`GRPC=${runtime.grpcAddress}\nHTTP=${runtime.httpUrl}\n`);
  onReady?.(runtime.grpcAddress, runtime.httpUrl);
  const stop = () => {
    runtime.shutdown().then(() => process.exit(0), (error: unknown) => fail(command, error));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

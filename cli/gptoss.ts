#!/usr/bin/env node
import { Command, Option } from 'commander';
import type { CommandModule } from './command.js';
import { fail } from './fail.js';

/**
 * `gptoss`: one command for the runtime, the operator and their tools. Only the subcommand being
 * run is loaded (the others are listed by name for help), so a process loads nothing it does not
 * use and each image runs with only its own code: the operator image has no runtime in it.
 */
const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  serve: { summary: 'serve a GGUF model over gRPC and OpenAI-compatible HTTP', load: () => import('./serve.js') },
  render: {
    summary: 'print the exact prompt a gpt-oss model sees for a Chat Completions request (no model, no server)',
    load: () => import('./render.js'),
  },
  'synth-model': {
    summary: 'write a synthetic GGUF model with seeded random weights (real architectures and shapes)',
    load: () => import('./synthModel.js'),
  },
  fetch: {
    summary:
      'download model files into a folder, resuming and checking each SHA-256 (the init container of url sources)',
    load: () => import('./fetch.js'),
  },
  'await-weights': {
    summary:
      "wait until a shared weight cache's completion mark holds the files' digest " +
      '(the init container of runtime pods on a shared cache)',
    load: () => import('./awaitWeights.js'),
  },
  operator: {
    summary: 'run the GptOssModel operator (kubeconfig from KUBECONFIG, ~/.kube/config or in-cluster)',
    load: () => import('./operator.js'),
  },
  gateway: {
    summary: 'run the gateway: one OpenAI and gRPC endpoint for every GptOssModel, with API keys and quotas',
    load: () => import('./gateway.js'),
  },
  keys: {
    summary: "create, list and revoke the gateway's API keys (Secrets in the keys' namespace)",
    load: () => import('./keys.js'),
  },
  start: {
    summary:
      'the local demo: cluster, operator, dev agent and a synthetic gpt-oss model; ' +
      'streams one answer and leaves it running',
    load: () => import('./start.js'),
  },
  stop: { summary: 'stop the local demo stack that `gptoss start` left running', load: () => import('./start.js') },
};

const program = new Command('gptoss')
  .description('Kubernetes-native serving stack for gpt-oss: runtime, operator, tools and local demo')
  .showHelpAfterError()
  // usage errors exit 2, as our own argument checks do; subcommands inherit this
  .exitOverride((error) => {
    process.exit(
      error.exitCode === 0
        ? 0
        : error.code.startsWith('commander.help') || error.code === 'commander.version'
          ? error.exitCode
          : 2,
    );
  })
  .addOption(
    new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']).default('info'),
  );

/** The subcommand named on the command line (`gptoss help serve` names serve too). */
function chosenCommand(argv: string[]): string | undefined {
  const words = argv.filter((arg, i) => !arg.startsWith('-') && argv[i - 1] !== '--log-level');
  return words[0] === 'help' ? words[1] : words[0];
}

const chosen = chosenCommand(process.argv.slice(2));
for (const [name, { summary, load }] of Object.entries(COMMANDS)) {
  const command = program.command(name).description(summary);
  if (name !== chosen) continue;
  // an image without the command's code (the operator's bundle holds only the operator) fails here
  const loaded = await load().catch((error: unknown) => fail(name, error));
  loaded.configure(command, () => program.opts().logLevel as string, name);
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  fail(chosen ?? 'gptoss', error);
}

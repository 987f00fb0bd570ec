#!/usr/bin/env node
import { Command, Option } from 'commander';
import { registerFetch } from './fetch.js';
import { registerOperator } from './operator.js';
import { registerServe } from './serve.js';
import { registerStart } from './start.js';
import { registerSynthModel } from './synthModel.js';

/** `gptoss`: one command for the runtime and its tools. Heavy modules load inside each action. */
const program = new Command('gptoss')
  .description('Kubernetes-native serving stack for gpt-oss: runtime, tools and local demo')
  .showHelpAfterError()
  // usage errors exit 2, as our own argument checks do; subcommands inherit this
  .exitOverride((error) => {
    process.exit(error.exitCode === 0 ? 0 : error.code.startsWith('commander.help') || error.code === 'commander.version' ? error.exitCode : 2);
  })
  .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']).default('info'));

registerServe(program);
registerSynthModel(program);
registerStart(program);
registerOperator(program);
registerFetch(program);

await program.parseAsync(process.argv);

import type { Command } from 'commander';

/** A subcommand's module: adds its options and action to the command `gptoss` created for it. */
export interface CommandModule {
  configure(command: Command, logLevel: () => string, name: string): void;
}

import { Option, type Command } from 'commander';
import { defaultOf, type FlagTable } from '../contract/flags.js';
import { createLogger, type Logger } from '../contract/log.js';
import { fail } from './fail.js';

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/**
 * Adds a flag table's options to a command. Commander gets no defaults: the table's schemas hold
 * them (one place), and help shows what they give. `parsers` turns a flag's text into what its
 * schema takes, where that is not the text itself.
 */
export function addFlags(
  command: Command,
  table: FlagTable,
  parsers: Record<string, (value: string) => unknown> = {},
): Command {
  for (const [key, f] of Object.entries(table)) {
    const fallback = defaultOf(f.schema);
    const shown =
      fallback === undefined || (Array.isArray(fallback) && fallback.length === 0)
        ? ''
        : ` (default: ${JSON.stringify(fallback).replace(/^"|"$/g, '')})`;
    const option = new Option(f.flag, f.help + shown);
    if (f.repeat) option.argParser(collect);
    const parse = parsers[key];
    if (parse) option.argParser(parse);
    command.addOption(option);
  }
  return command;
}

/**
 * A subcommand made of a flag table: the flags become a config through `load` (a bad one ends the
 * process with one line and exit code 2), then `run` gets the config and a logger.
 */
export function flagCommand<C>(
  command: Command,
  table: FlagTable,
  logLevel: () => string,
  load: (flags: Record<string, unknown>) => C | Promise<C>,
  run: (config: C, log: Logger) => Promise<void>,
): void {
  addFlags(command, table).action(async (flags: Record<string, unknown>) => {
    const log = createLogger(logLevel());
    let config: C;
    try {
      config = await load(flags);
    } catch (error) {
      fail(command.name(), error);
    }
    await run(config, log);
  });
}

import { Option, type Command } from 'commander';
import { defaultOf, type FlagTable } from '../contract/flags.js';

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

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ApiError } from '../contract/api/errors.js';
import { parseChatRequest } from '../contract/api/requests.js';
import { SERVE_FLAGS } from '../contract/argv/serve.js';
import { systemClock } from '../contract/clock.js';
import { ConfigError } from '../contract/errors.js';
import { flagsSchema, parseFlags, type FlagTable } from '../contract/flags.js';
import { renderChatPrompt } from '../runtime/harmony/conversation.js';
import { piecesText } from '../runtime/harmony/format.js';
import { currentDateOf } from '../runtime/harmony/system.js';
import { fail } from './fail.js';
import { addFlags } from './flags.js';

/** The flags of serve that shape the prompt, with serve's defaults: the text is what serve would give the model. */
export const RENDER_FLAGS = {
  reasoningEffort: SERVE_FLAGS.reasoningEffort,
  currentDate: SERVE_FLAGS.currentDate,
} satisfies FlagTable;

/**
 * The exact harmony prompt a gpt-oss model sees for a Chat Completions request body (JSON text),
 * formatting tokens written out: what POST /apply-template answers, without a server or a model.
 * Bad flags or a bad body are a ConfigError with the flag's or the request parser's own message.
 */
export function renderRequest(body: string, flags: Record<string, unknown>, now: Date): string {
  const { reasoningEffort, currentDate } = parseFlags(flagsSchema(RENDER_FLAGS), flags);
  let request: unknown;
  try {
    request = JSON.parse(body);
  } catch (error) {
    throw new ConfigError(`the request is not valid JSON: ${(error as Error).message}`);
  }
  let prompt;
  try {
    prompt = parseChatRequest(request).job;
  } catch (error) {
    if (error instanceof ApiError) throw new ConfigError(error.message);
    throw error;
  }
  return piecesText(renderChatPrompt(prompt, { reasoningEffort, currentDate: currentDateOf(currentDate, now) }));
}

function readRequest(file: string | undefined): string {
  try {
    return readFileSync(file ?? 0, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${file ?? 'stdin'}`, { cause: error });
  }
}

/** `gptoss render [file]`: the request from the file, or from stdin without one; the prompt on stdout. */
export function configure(command: Command, _logLevel: () => string, name = 'render'): void {
  addFlags(
    command.argument('[file]', 'a Chat Completions request body (JSON); stdin without one'),
    RENDER_FLAGS,
  ).action((file: string | undefined, flags: Record<string, unknown>) => {
    try {
      process.stdout.write(renderRequest(readRequest(file), flags, systemClock.date()));
    } catch (error) {
      fail(name, error);
    }
  });
}

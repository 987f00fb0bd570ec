import type { LlamaGrammar } from 'node-llama-cpp';
import { CHAT_SCHEMA_FIELDS, type ChatJob } from '../../contract/api/chat.js';
import { compileJsonSchema, JSON_OBJECT_GRAMMAR, type CompiledGrammar } from './grammar/compile.js';
import type { GrammarCache } from './grammar/grammars.js';
import type { OpenedMessage } from './turnGuide.js';

/** A function without parameters takes an empty object, as OpenAI's do. */
const NO_PARAMETERS = { type: 'object', properties: {} };

/** The grammar of each JSON message a request allows: a call's arguments by function name, the final answer. */
export interface CompiledJob {
  calls: ReadonlyMap<string, CompiledGrammar>;
  final: CompiledGrammar | null;
}

/**
 * Compiles every schema of a chat request: each function's parameters (called or not, so a schema
 * the grammar cannot enforce is refused whatever tool_choice says) and the response format's. Pure;
 * throws invalid_argument naming the field as the request's API spells it.
 */
export function compileJob(job: ChatJob): CompiledJob {
  const fields = job.schemaFields ?? CHAT_SCHEMA_FIELDS;
  const calls = new Map(
    job.tools.map((tool, index) => [
      tool.name,
      compileJsonSchema(tool.parameters ?? NO_PARAMETERS, fields.toolParameters(index)),
    ]),
  );
  const format = job.responseFormat;
  const final =
    format.type === 'json_object'
      ? JSON_OBJECT_GRAMMAR
      : format.type === 'json_schema'
        ? compileJsonSchema(format.schema, fields.responseSchema)
        : null;
  return { calls, final };
}

/** The grammar that holds a message's JSON: a function's arguments, or a structured final answer. */
export type GrammarFor = (message: OpenedMessage) => LlamaGrammar;

/** llama.cpp's grammars of a compiled request, made (or found in the cache) before it waits for a slot. */
export async function jobGrammars(compiled: CompiledJob, cache: GrammarCache): Promise<GrammarFor> {
  const calls = new Map(
    await Promise.all([...compiled.calls].map(async ([name, g]) => [name, await cache.grammarFor(g)] as const)),
  );
  const final = compiled.final ? await cache.grammarFor(compiled.final) : null;
  return (message) => {
    const grammar = message.function === null ? final : calls.get(message.function);
    if (!grammar) throw new Error(`no grammar for a ${message.channel} message to ${message.function ?? 'the user'}`);
    return grammar;
  };
}

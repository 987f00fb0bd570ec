import type { Llama, LlamaGrammar, LlamaModel } from 'node-llama-cpp';
import type { CompiledGrammar } from './compile.js';
import { Utf8Guard, vocabularyBytes } from './utf8Guard.js';

/** Distinct grammars kept: one per schema in use (tools, response formats), a few dozen at most at once. */
const DEFAULT_CAPACITY = 64;

/**
 * llama.cpp's grammar objects, made once per distinct grammar text and kept, the least recently
 * used dropped first. Making one parses the GBNF; each generation still needs its own evaluation
 * state (`new LlamaGrammarEvaluationState({ model, grammar })`), which parses it again.
 */
export class GrammarCache {
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();

  constructor(
    private readonly llama: Llama,
    private readonly capacity = DEFAULT_CAPACITY,
  ) {}

  async grammarFor(compiled: CompiledGrammar): Promise<LlamaGrammar> {
    const key = compiled.gbnf;
    let grammar = this.grammars.get(key);
    if (grammar) {
      this.grammars.delete(key);
    } else {
      // a grammar llama.cpp will not parse is this compiler's fault, not the client's: an internal error
      grammar = this.llama.createGrammar({ grammar: key }).catch((cause: unknown) => {
        this.grammars.delete(key);
        throw new Error('creating the grammar of a JSON schema', { cause });
      });
    }
    this.grammars.set(key, grammar);
    for (const oldest of this.grammars.keys()) {
      if (this.grammars.size <= this.capacity) break;
      this.grammars.delete(oldest);
    }
    return grammar;
  }

  get size(): number {
    return this.grammars.size;
  }
}

/** The UTF-8 guard of a loaded model's vocabulary (utf8Guard.ts), read from its GGUF metadata. */
export function utf8GuardOf(model: LlamaModel): Utf8Guard {
  const vocabulary = model.fileInfo.metadata.tokenizer?.ggml;
  const bytes = vocabulary ? vocabularyBytes(vocabulary.model, vocabulary.tokens, vocabulary.token_type) : null;
  return Utf8Guard.of(bytes ?? []);
}

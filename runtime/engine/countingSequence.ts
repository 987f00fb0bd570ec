import type { LlamaContextSequence } from 'node-llama-cpp';

/**
 * The sequence as LlamaChat and LlamaCompletion see it, counting every token its evaluate()
 * generator samples. node-llama-cpp has no exact count of generated tokens: the TokenMeter counts
 * decode steps with logits (off by one when the last token is fed back) and LlamaChat's onToken
 * leaves out harmony's channel and segment tokens, which OpenAI's usage includes.
 */
export function countingSequence(sequence: LlamaContextSequence, onSampled: () => void): LlamaContextSequence {
  return new Proxy(sequence, {
    get(target, property) {
      if (property === 'evaluate') {
        return (...args: Parameters<LlamaContextSequence['evaluate']>) => {
          const inner = target.evaluate(...args);
          const outer: typeof inner = {
            next: async (...input) => {
              const result = await inner.next(...input);
              if (!result.done) onSampled();
              return result;
            },
            return: (value) => inner.return(value),
            throw: (error) => inner.throw(error),
            [Symbol.asyncIterator]: () => outer,
          };
          return outer;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

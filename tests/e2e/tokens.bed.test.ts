import { describe, expect, it } from 'vitest';
import { SCRIPTED_ANSWER, SCRIPTED_COMPLETION_TOKENS, SCRIPTED_REASONING } from '../../runtime/synth/harmonyScript.js';
import { waitFor } from '../helpers/cluster.js';
import { converged } from '../helpers/operator.js';
import { collect, unary } from '../helpers/runtime.js';
import { applyModel, e2eModel, podClients, readyRuntimePods, useStack } from '../helpers/stack.js';

/**
 * The whole loop on the real control plane: kubectl apply → the operator's Deployment → the
 * scheduler → the dev agent runs `gptoss serve` as the pod → tokens over gRPC and HTTP from the
 * pod's own IP.
 */
describe('end to end: apply, Ready, tokens', () => {
  const stack = useStack('e2e');
  const { ns, agent } = stack;

  it('a scripted model streams reasoning and answer apart, usage exact, over gRPC and the openai SDK', async () => {
    applyModel(e2eModel(ns.name, 'chat', agent.nodeName, 'scripted', { reasoningEffort: 'high' }));
    await waitFor(() => converged(ns.name, 'chat', 1), 120_000, `the model to be Ready: ${stack.operator.logs()}`);
    const [pod] = await readyRuntimePods(ns.name, 'chat');
    expect(pod!.spec!.nodeName).toBe(agent.nodeName);
    const { ip, grpc, openai } = podClients(pod!);
    expect(ip).toMatch(/^127\./);
    try {
      // the model's reasoningEffort is the runtime's default: no effort in the request
      const { messages, error } = await collect(grpc.Chat({ messages: [{ role: 'user', content: 'Hi' }] }));
      expect(error).toBeNull();
      const text = (channel: string) =>
        messages
          .filter((m) => m.channel === channel)
          .map((m) => m.text)
          .join('');
      expect(text('CHANNEL_ANALYSIS')).toBe(SCRIPTED_REASONING.high);
      expect(text('CHANNEL_FINAL')).toBe(SCRIPTED_ANSWER);
      const { response: counted } = await unary(grpc.CountTokens.bind(grpc), {
        messages: [{ role: 'user', content: 'Hi' }],
      });
      expect(messages.at(-1)).toMatchObject({
        finish_reason: 'FINISH_REASON_STOP',
        usage: { prompt_tokens: counted!.tokens, completion_tokens: SCRIPTED_COMPLETION_TOKENS },
      });

      const completion = await openai.chat.completions.create({
        model: 'chat',
        messages: [{ role: 'user', content: 'Hi' }],
        reasoning_effort: 'low',
      });
      const message = completion.choices[0]!.message as { content: string; reasoning_content?: string };
      expect(message.content).toBe(SCRIPTED_ANSWER);
      expect(message.reasoning_content).toBe(SCRIPTED_REASONING.low);
      expect(completion.usage?.completion_tokens).toBe(SCRIPTED_COMPLETION_TOKENS);
      expect(completion.model).toBe('chat');
    } finally {
      grpc.close();
    }
  });
});

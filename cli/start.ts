import type { Command } from 'commander';
import type { DemoStack } from '../cluster/demo.js';
import { fail } from './fail.js';

/**
 * What `npm start` prints: how to talk to the demo model, through the gateway and straight, with
 * tools nobody here wrote.
 */
function examples(stack: DemoStack, model: string, id: string): string {
  const { gateway } = stack;
  return [
    '',
    'Try it (the stack keeps running; npm run stop stops it). Through the gateway, with the demo key',
    '(export OPENAI_API_KEY=<the key printed above>):',
    `  curl -s ${gateway.http}/v1/chat/completions -H "Authorization: Bearer $OPENAI_API_KEY" ` +
      `-H 'Content-Type: application/json' -d '{"model":"${model}","messages":[{"role":"user","content":"Hi"}]}'`,
    `  OPENAI_BASE_URL=${gateway.http}/v1 node -e "new (require('openai').OpenAI)().chat.completions` +
      `.create({model:'${id}',messages:[{role:'user',content:'Hi'}]})` +
      `.then(r=>console.log(r.choices[0].message))"`,
    `  grpcurl -plaintext -H "authorization: Bearer $OPENAI_API_KEY" ` +
      `-d '{"model":"${model}","messages":[{"role":"user","content":"Hi"}]}' ` +
      `${gateway.grpc} gptoss.runtime.v1.Runtime/Chat`,
    `  KUBECONFIG=${stack.kubeconfig} npm run gptoss -- keys list --namespace gptoss-demo`,
    'Straight to the pod (no key; what the gateway routes to):',
    `  grpcurl -plaintext -d '{"messages":[{"role":"user","content":"Hi"}]}' ` +
      `${stack.grpc} gptoss.runtime.v1.Runtime/Chat`,
    `  curl -s ${stack.http}/v1/chat/completions -H 'Content-Type: application/json' ` +
      `-d '{"model":"${model}","messages":[{"role":"user","content":"Hi"}]}'`,
    // the project's own kubectl, on the demo cluster: nothing of the user's needed
    '  npm run kubectl -- get gptossmodels -A',
    '',
  ].join('\n');
}

async function start(): Promise<void> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  try {
    const { startDemo, streamOneAnswer, DEMO_MODEL, DEMO_ID } = await import('../cluster/demo.js');
    const stack = await startDemo(say);
    say(
      `\nGptOssModel ${DEMO_MODEL} is Ready (pod ${stack.pod}). One answer through the gateway (gRPC, the demo key):`,
    );
    await streamOneAnswer(stack.gateway, (text) => process.stderr.write(text));
    process.stdout.write(
      `KUBECONFIG=${stack.kubeconfig}\nGRPC=${stack.grpc}\nHTTP=${stack.http}\n` +
        `GATEWAY=${stack.gateway.http}\nGATEWAY_GRPC=${stack.gateway.grpc}\nOPENAI_API_KEY=${stack.gateway.key}\n`,
    );
    say(examples(stack, DEMO_MODEL, DEMO_ID));
  } catch (error) {
    fail('start', error);
  }
}

async function stop(): Promise<void> {
  try {
    const { stopDemo } = await import('../cluster/demo.js');
    await stopDemo((line) => process.stderr.write(`${line}\n`));
  } catch (error) {
    fail('stop', error);
  }
}

/** `gptoss start` and `gptoss stop` (npm start, npm run stop). */
export function configure(command: Command, _logLevel: () => string, name: string): void {
  command.action(name === 'stop' ? stop : start);
}

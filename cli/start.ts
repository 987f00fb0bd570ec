import type { Command } from 'commander';
import { fail } from './fail.js';

/** What `npm start` prints: how to talk to the demo model with tools nobody here wrote. */
function examples(grpc: string, http: string, model: string): string {
  return [
    '',
    'Try it (the stack keeps running; npm run stop stops it):',
    `  grpcurl -plaintext -d '{"messages":[{"role":"user","content":"Hi"}]}' ${grpc} gptoss.runtime.v1.Runtime/Chat`,
    `  curl -s ${http}/v1/chat/completions -H 'Content-Type: application/json' ` +
      `-d '{"model":"${model}","messages":[{"role":"user","content":"Hi"}]}'`,
    `  node -e "new (require('openai').OpenAI)({baseURL:'${http}/v1',apiKey:'none'}).chat.completions` +
      `.create({model:'${model}',messages:[{role:'user',content:'Hi'}]}).then(r=>console.log(r.choices[0].message))"`,
    // the project's own kubectl, on the demo cluster: nothing of the user's needed
    '  npm run kubectl -- get gptossmodels -A',
    '',
  ].join('\n');
}

async function start(): Promise<void> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  try {
    const { startDemo, streamOneAnswer, DEMO_MODEL } = await import('../cluster/demo.js');
    const stack = await startDemo(say);
    say(`\nGptOssModel ${DEMO_MODEL} is Ready (pod ${stack.pod}). One answer over gRPC:`);
    await streamOneAnswer(stack.grpc, (text) => process.stderr.write(text));
    process.stdout.write(`KUBECONFIG=${stack.kubeconfig}\nGRPC=${stack.grpc}\nHTTP=${stack.http}\n`);
    say(examples(stack.grpc, stack.http, DEMO_MODEL));
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

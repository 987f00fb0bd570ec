import type { Command } from 'commander';
import { fail } from './fail.js';

/** What `npm start` prints: how to talk to the demo model with tools nobody here wrote. */
function examples(grpc: string, http: string, model: string): string {
  return [
    '',
    'Try it (the stack keeps running; npm run stop stops it):',
    `  grpcurl -plaintext -d '{"messages":[{"role":"user","content":"Hi"}]}' ${grpc} gptoss.runtime.v1.Runtime/Chat`,
    `  curl -s ${http}/v1/chat/completions -H 'Content-Type: application/json' -d '{"model":"${model}","messages":[{"role":"user","content":"Hi"}]}'`,
    `  node -e "new (require('openai').OpenAI)({baseURL:'${http}/v1',apiKey:'none'}).chat.completions.create({model:'${model}',messages:[{role:'user',content:'Hi'}]}).then(r=>console.log(r.choices[0].message))"`,
    '  kubectl --kubeconfig "$KUBECONFIG" get gptossmodels -A',
    '',
  ].join('\n');
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('the local demo: cluster, operator, dev agent and a synthetic gpt-oss model; streams one answer and leaves it running')
    .action(async () => {
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
    });

  program
    .command('stop')
    .description('stop the local demo stack that `gptoss start` left running')
    .action(async () => {
      try {
        const { stopDemo } = await import('../cluster/demo.js');
        await stopDemo((line) => process.stderr.write(`${line}\n`));
      } catch (error) {
        fail('stop', error);
      }
    });
}

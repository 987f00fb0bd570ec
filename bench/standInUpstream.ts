/**
 * The stand-in upstream of bench:gateway's routing measurement: it answers every chat completion at
 * once with the same small answer (no model behind it), and /metrics with an idle utilisation, so
 * what limits requests per second is the gateway, not a runtime. Prints HTTP=.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UTILIZATION_METRIC } from '../contract/metrics.js';

const ANSWER = JSON.stringify({
  id: 'chatcmpl-standin',
  object: 'chat.completion',
  created: 0,
  model: 'standin',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 8, completion_tokens: 1, total_tokens: 9 },
});

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.url === '/metrics') res.writeHead(200, { 'content-type': 'text/plain' }).end(`${UTILIZATION_METRIC} 0\n`);
    else res.writeHead(200, { 'content-type': 'application/json' }).end(ANSWER);
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`HTTP=http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));

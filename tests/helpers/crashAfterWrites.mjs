/**
 * Preloaded into `gptoss operator` by the crash-point tests (`node --import`): the process exits
 * with code 3 right after the API server accepted its n-th write (n from GPTOSS_CRASH_AFTER_WRITES),
 * as if it had crashed there. Writes are counted on the wire (every request that is not a read,
 * Lease renewals aside), so the operator carries no test hook of its own.
 */
import http from 'node:http';
import https from 'node:https';

const limit = Number(process.env.GPTOSS_CRASH_AFTER_WRITES);
if (!Number.isInteger(limit) || limit < 1)
  throw new Error('GPTOSS_CRASH_AFTER_WRITES must be a whole number of at least 1');

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
let writes = 0;

for (const transport of [http, https]) {
  const request = transport.request;
  transport.request = function countingRequest(...args) {
    const req = request.apply(this, args);
    req.on('response', (res) => {
      const write = !READS.has(req.method) && !req.path.startsWith('/apis/coordination.k8s.io/');
      if (!write || res.statusCode >= 300) return;
      writes += 1;
      if (writes < limit) return;
      const line = { level: 'warn', msg: 'Exited at a crash point', writes, last: `${req.method} ${req.path}` };
      process.stderr.write(`${JSON.stringify(line)}\n`);
      process.exit(3);
    });
    return req;
  };
}

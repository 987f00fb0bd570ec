import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { IncomingMessage } from 'node:http';
import type { LookupFunction } from 'node:net';
import { displayUrl, notAllowed, urlProblem, type UrlPolicy } from '../../contract/fetchUrls.js';
import { resolvedProblem, type HostAllowList } from '../../contract/net.js';
import { PermanentError } from './errors.js';
import { http, https } from '../../contract/nodeHttp.js';

/** Redirects followed per request, each checked like the first URL. */
export const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface GuardedRequest {
  method: 'GET' | 'HEAD';
  headers: Record<string, string>;
  signal: AbortSignal;
}

/** A resolved address the policy refuses: raised inside the connection, so it is its own class. */
class RefusedAddress extends PermanentError {}

type Resolve = (host: string, callback: (error: NodeJS.ErrnoException | null, all: LookupAddress[]) => void) => void;

const resolveAll: Resolve = (host, callback) => dnsLookup(host, { all: true, order: 'ipv4first' }, callback);

/**
 * net.connect's `lookup` that resolves once, checks every address and hands those to the connection:
 * what is checked is what is connected to (no second resolution a DNS server could answer
 * differently). One address the policy refuses refuses the host. `resolve` is replaced in tests only.
 */
export function guardedLookup(allowed: HostAllowList, resolve: Resolve = resolveAll): LookupFunction {
  return (host, options, callback) => {
    resolve(host, (error, all) => {
      if (error) return callback(error, '');
      const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
      const usable = all.filter((a) => !family || a.family === family);
      const problem = usable.map((a) => resolvedProblem(host, a.address, allowed)).find((p) => p !== null);
      if (problem) return callback(new RefusedAddress(notAllowed(problem)), '');
      const first = usable[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${host}`), { code: 'ENOTFOUND' }), '');
      if (options.all) callback(null, usable);
      else callback(null, first.address, first.family);
    });
  };
}

// one pool per process; every socket in it was connected through guardedLookup
const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

function requestOnce(url: URL, request: GuardedRequest, lookup: LookupFunction): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const options = { ...request, lookup, agent: secure ? agents.https : agents.http };
    (secure ? https : http).request(url, options, resolve).on('error', reject).end();
  });
}

/**
 * A request to a URL the policy allows, following at most MAX_REDIRECTS redirects, each checked
 * before it is followed: its scheme and host by urlProblem, the addresses its name resolves to when
 * connecting. The answer is the first response that is not a redirect (or a redirect without a
 * Location); a refusal is a PermanentError that names the redirect it refused.
 */
export async function guardedRequest(
  url: string,
  request: GuardedRequest,
  policy: UrlPolicy,
): Promise<IncomingMessage> {
  const lookup = guardedLookup(policy.allowHosts);
  let current = url;
  for (let redirects = 0; ; redirects++) {
    // what a failure after a redirect names: the URL it was refused or failed at
    const hop = redirects === 0 ? null : `redirected to ${displayUrl(current)}`;
    const refused = (problem: string) => new PermanentError(hop ? `${hop}: ${problem}` : problem);
    const problem = urlProblem(current, policy);
    if (problem) throw refused(problem);
    let response: IncomingMessage;
    try {
      response = await requestOnce(new URL(current), request, lookup);
    } catch (error) {
      if (error instanceof RefusedAddress) throw refused(error.message);
      throw hop ? new Error(hop, { cause: error }) : error;
    }
    const location = response.headers.location;
    if (!REDIRECTS.has(response.statusCode ?? 0) || location === undefined) return response;
    response.destroy(); // not drained: a redirect's body could be endless
    if (redirects === MAX_REDIRECTS) throw new PermanentError(`more than ${MAX_REDIRECTS} redirects`);
    try {
      current = new URL(location, current).href;
    } catch {
      throw refused(`redirected to "${displayUrl(location)}", which is not a URL`);
    }
  }
}

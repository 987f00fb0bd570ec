import { ConfigError } from './errors.js';
import { HostAllowList, hostProblem } from './net.js';

/**
 * The URLs `gptoss fetch` may request, and how messages show them. A tenant chooses the URLs and the
 * fetch runs inside the cluster network: https to public hosts only, unless an administrator allows
 * plain http (`--allow-http`) or named hosts and networks (`--allow-host`). Pure: the argument parser
 * checks every file with urlProblem, the fetcher every redirect.
 */

/** Where a fetch may go: https to public hosts, and what an administrator allowed beyond that. */
export interface UrlPolicy {
  allowHttp: boolean;
  allowHosts: HostAllowList;
}

/** The policy of `--allow-http` and `--allow-host`; a value that is no host, address or CIDR is a usage error. */
export function urlPolicy(options: { allowHttp: boolean; allowHosts: readonly string[] }): UrlPolicy {
  try {
    return { allowHttp: options.allowHttp, allowHosts: HostAllowList.parse(options.allowHosts) };
  } catch (error) {
    throw new ConfigError(`--allow-host ${(error as Error).message}`);
  }
}

/** https to public hosts only: what a fetch may do when nobody allowed more. */
export const STRICT_POLICY: UrlPolicy = { allowHttp: false, allowHosts: HostAllowList.parse([]) };

/** `scheme://user:password@`: the authority ends at the first of / ? # and backslash; the user info at its last @. */
const USER_INFO = /^([a-z][a-z\d+.-]*:\/\/)[^/?#\\]*@/i;
/** In text that is no URL, everything up to the last @ may be user info (a password with a / in it). */
const MAYBE_USER_INFO = /^([a-z][a-z\d+.-]*:\/\/)[^?#]*@/i;
const CREDENTIALS = 'must not carry credentials (user:password@)';

/**
 * A URL as messages and logs show it: credentials (refused anyway) and the query string and fragment,
 * which hold the signature of a signed URL, are left out. Works on text that does not parse.
 */
export function displayUrl(url: string): string {
  return url.replace(URL.canParse(url) ? USER_INFO : MAYBE_USER_INFO, '$1***@').replace(/([?#]).*$/s, '$1…');
}

/**
 * Why `url` may not be fetched under `policy`, from its text: scheme, credentials, an address or
 * in-cluster name for a host (a name is checked again once resolved); null when it may. Every redirect
 * is checked with it too.
 */
export function urlProblem(url: string, policy: UrlPolicy): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be an http or https URL';
  if (parsed.username !== '' || parsed.password !== '') return CREDENTIALS;
  if (parsed.protocol === 'http:' && !policy.allowHttp) return 'must be an https URL (http only with --allow-http)';
  const host = hostProblem(parsed.hostname, policy.allowHosts);
  return host && notAllowed(host);
}

/** The end of a message about a host the policy refuses. */
export const notAllowed = (problem: string) => `${problem}, not allowed without --allow-host`;

/**
 * A `--file <url>=<sha256>` value with user info is a usage error whose message shows neither the
 * user nor the password, checked on the whole value: a password may hold "=".
 */
export function refuseCredentials(fileValue: string): void {
  if (!USER_INFO.test(fileValue)) return;
  const shown = fileValue.replace(USER_INFO, '$1***@');
  const url = shown.includes('=') ? shown.slice(0, shown.lastIndexOf('=')) : shown;
  throw new ConfigError(`${displayUrl(url)}: ${CREDENTIALS}`);
}

/**
 * Which hosts a download may reach. `gptoss fetch` runs inside the cluster network with URLs a tenant
 * chose, so anything but a public unicast address (loopback, link-local and cloud metadata, private
 * networks, in-cluster service names) is refused unless an administrator allows it. Pure: the
 * argument parser, the fetcher and its redirects classify with the same functions.
 */

export type AddressKind = 'loopback' | 'link-local' | 'private' | 'unspecified' | 'multicast' | 'reserved';

/** An address or a network: 4 bytes (IPv4) or 16 (IPv6) and the bits that count. */
export interface Cidr {
  bytes: readonly number[];
  prefix: number;
}

function parseIpv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p))) return null;
  const bytes = parts.map(Number);
  return bytes.every((b) => b <= 255) ? bytes : null;
}

/** The 16-bit groups of one side of "::"; the last group of the address may be a dotted IPv4. */
function ipv6Groups(text: string, holdsLast: boolean): number[] | null {
  const groups = text === '' ? [] : text.split(':');
  const words: number[] = [];
  for (const [i, group] of groups.entries()) {
    const v4 = holdsLast && i === groups.length - 1 && group.includes('.') ? parseIpv4(group) : null;
    if (v4) words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    else if (/^[0-9a-f]{1,4}$/i.test(group)) words.push(parseInt(group, 16));
    else return null;
  }
  return words;
}

function parseIpv6(text: string): number[] | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const compressed = halves.length === 2;
  const head = ipv6Groups(halves[0]!, !compressed);
  const tail = compressed ? ipv6Groups(halves[1]!, true) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (compressed ? missing < 1 : missing !== 0) return null;
  return [...head, ...new Array<number>(compressed ? missing : 0).fill(0), ...tail].flatMap((w) => [w >> 8, w & 255]);
}

/** The bytes of an IPv4 or IPv6 address (brackets and an IPv6 zone allowed), or null when it is not one. */
export function parseIp(text: string): number[] | null {
  const bare = text.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  return bare.includes(':') ? parseIpv6(bare) : parseIpv4(bare);
}

function parseCidrOrThrow(text: string): Cidr {
  const cidr = parseCidr(text);
  if (!cidr) throw new Error(`not a CIDR: ${text}`);
  return cidr;
}

/** `10.0.0.0/8`, `fc00::/7`, or one address (all its bits count). */
export function parseCidr(text: string): Cidr | null {
  const [address, prefixText, ...rest] = text.split('/');
  const bytes = parseIp(address!);
  if (!bytes || rest.length > 0) return null;
  if (prefixText === undefined) return { bytes, prefix: bytes.length * 8 };
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  return prefix <= bytes.length * 8 ? { bytes, prefix } : null;
}

const V4_MAPPED = parseCidrOrThrow('::ffff:0:0/96');

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address: the kernel connects to that. */
const unmapped = (bytes: readonly number[]) => (inCidr(bytes, V4_MAPPED, false) ? bytes.slice(12) : bytes);

function inCidr(bytes: readonly number[], cidr: Cidr, unmap = true): boolean {
  const address = unmap ? unmapped(bytes) : bytes;
  const network = unmap ? unmapped(cidr.bytes) : cidr.bytes;
  const prefix = network.length < cidr.bytes.length ? cidr.prefix - 96 : cidr.prefix;
  if (address.length !== network.length || prefix < 0) return false;
  for (let bit = 0; bit < prefix; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((address[bit >> 3]! & mask) !== (network[bit >> 3]! & mask)) return false;
  }
  return true;
}

/** Everything that is not a public unicast address, most specific first (RFC 6890 and its updates). */
const SPECIAL: readonly [Cidr, AddressKind][] = (
  [
    ['0.0.0.0/8', 'unspecified'],
    ['10.0.0.0/8', 'private'],
    ['100.64.0.0/10', 'private'], // carrier-grade NAT, some clusters' pod or service networks
    ['127.0.0.0/8', 'loopback'],
    ['169.254.0.0/16', 'link-local'], // cloud metadata (169.254.169.254) lives here
    ['172.16.0.0/12', 'private'],
    ['192.0.0.0/24', 'reserved'],
    ['192.0.2.0/24', 'reserved'],
    ['192.88.99.0/24', 'reserved'],
    ['192.168.0.0/16', 'private'],
    ['198.18.0.0/15', 'reserved'],
    ['198.51.100.0/24', 'reserved'],
    ['203.0.113.0/24', 'reserved'],
    ['224.0.0.0/4', 'multicast'],
    ['240.0.0.0/4', 'reserved'], // and the broadcast address
    ['::/128', 'unspecified'],
    ['::1/128', 'loopback'],
    ['::/96', 'reserved'], // IPv4-compatible, deprecated
    ['64:ff9b:1::/48', 'private'],
    ['100::/64', 'reserved'],
    ['2001:db8::/32', 'reserved'],
    ['fc00::/7', 'private'],
    ['fe80::/10', 'link-local'],
    ['fec0::/10', 'private'], // site-local, deprecated
    ['ff00::/8', 'multicast'],
  ] as const
).map(([cidr, kind]) => [parseCidrOrThrow(cidr), kind]);

/** IPv6 prefixes that carry an IPv4 address (NAT64, 6to4): the IPv4 address is where the packets go. */
const EMBEDDING: readonly [Cidr, number][] = [
  [parseCidrOrThrow('64:ff9b::/96'), 12],
  [parseCidrOrThrow('2002::/16'), 2],
];

/** What kind of special address this is, or null for a public unicast one; text that is no address is 'reserved'. */
export function addressKind(address: string): AddressKind | null {
  const parsed = parseIp(address);
  if (!parsed) return 'reserved';
  const bytes = unmapped(parsed);
  const embedding = EMBEDDING.find(([cidr]) => inCidr(bytes, cidr));
  if (embedding) return addressKind(bytes.slice(embedding[1], embedding[1] + 4).join('.'));
  return SPECIAL.find(([cidr]) => inCidr(bytes, cidr))?.[1] ?? null;
}

const article = (kind: AddressKind) => (kind === 'unspecified' ? 'an' : 'a');

/** A host name as compared: lower case, without brackets or a final dot. */
export const normalHost = (host: string) =>
  host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');

/**
 * Names that only mean something inside a cluster: `kubernetes`, `kubernetes.default`, `<svc>.<ns>.svc`
 * and anything under `.svc.` (a cluster domain other than cluster.local) or `cluster.local`.
 */
export function isClusterName(host: string): boolean {
  const name = normalHost(host);
  return (
    name === 'kubernetes' ||
    name === 'kubernetes.default' ||
    /\.svc(\.|$)/.test(name) ||
    name === 'cluster.local' ||
    name.endsWith('.cluster.local')
  );
}

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** What an administrator allowed although it is not public: host names (exact), addresses and CIDRs. */
export class HostAllowList {
  private constructor(
    private readonly names: ReadonlySet<string>,
    private readonly networks: readonly Cidr[],
  ) {}

  /** Each value a host name, an address or a CIDR; anything else throws, naming the value. */
  static parse(values: readonly string[]): HostAllowList {
    const names = new Set<string>();
    const networks: Cidr[] = [];
    for (const value of values) {
      const network = parseCidr(value.replace(/^\[(.*)\](\/\d+)?$/, '$1$2'));
      if (network) networks.push(network);
      else if (!value.includes('/') && HOST_NAME.test(normalHost(value))) names.add(normalHost(value));
      else throw new Error(`${value}: not a host name, IP address or CIDR`);
    }
    return new HostAllowList(names, networks);
  }

  allowsName(host: string): boolean {
    return this.names.has(normalHost(host));
  }

  allowsAddress(address: string): boolean {
    const bytes = parseIp(address);
    return bytes !== null && this.networks.some((network) => inCidr(bytes, network));
  }
}

/**
 * Why the host of a URL may not be reached, as far as its text tells (an address, an in-cluster name),
 * or null; a name that passes is checked again once resolved (resolvedProblem).
 */
export function hostProblem(host: string, allowed: HostAllowList): string | null {
  const name = normalHost(host);
  if (parseIp(name)) {
    const kind = allowed.allowsAddress(name) ? null : addressKind(name);
    return kind && `${name} is ${article(kind)} ${kind} address`;
  }
  if (allowed.allowsName(name)) return null;
  return isClusterName(name) ? `${name} is an in-cluster name` : null;
}

/** Why `host`, resolved to `address`, may not be reached, or null; a name allowed as such may resolve to anything. */
export function resolvedProblem(host: string, address: string, allowed: HostAllowList): string | null {
  if (allowed.allowsName(host) || allowed.allowsAddress(address)) return null;
  const kind = addressKind(address);
  return kind && `${normalHost(host)} resolves to ${address}, ${article(kind)} ${kind} address`;
}

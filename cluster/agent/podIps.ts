import { readFileSync } from 'node:fs';
import { randomInt } from 'node:crypto';

/**
 * Pod IPs from a subnet of 127.0.0.0/8: all of it is loopback on Linux, so every pod can listen
 * on the same ports at an address of its own. An address is handed out only when no TCP socket on
 * the machine uses it (other agents, other programs); the search starts at a random offset so
 * agents sharing a subnet rarely meet.
 */

const toNumber = (ip: string) => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
const toIp = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');

/** Local IPv4 addresses of TCP sockets in this network namespace, read from /proc as ss does. */
export function tcpAddressesInUse(): Set<string> {
  const used = new Set<string>();
  try {
    for (const line of readFileSync('/proc/net/tcp', 'utf8').trim().split('\n').slice(1)) {
      const hex = line.trim().split(/\s+/)[1]?.split(':')[0];
      if (hex?.length === 8)
        used.add(
          hex
            .match(/../g)!
            .reverse()
            .map((b) => parseInt(b, 16))
            .join('.'),
        );
    }
  } catch {
    // no /proc: nothing known to be in use
  }
  return used;
}

export class PodIpAllocator {
  private readonly first: number;
  private readonly size: number;
  private readonly allocated = new Set<string>();

  constructor(
    subnet: string,
    private readonly inUse: () => Set<string> = tcpAddressesInUse,
  ) {
    const [address, bits] = subnet.split('/') as [string, string];
    this.size = 2 ** (32 - Number(bits));
    this.first = toNumber(address) - (toNumber(address) % this.size);
  }

  /** `preferred` (a pod's IP from before an agent restart) when it is still free here, else a free one. */
  allocate(preferred?: string): string {
    const used = this.inUse();
    const free = (ip: string) => !this.allocated.has(ip) && !used.has(ip) && !/\.(0|255)$/.test(ip);
    if (preferred && this.contains(preferred) && free(preferred)) return this.take(preferred);
    const start = randomInt(this.size);
    for (let i = 0; i < this.size; i++) {
      const ip = toIp(this.first + ((start + i) % this.size));
      if (free(ip)) return this.take(ip);
    }
    throw new Error(`no free pod IP left in ${toIp(this.first)}/${32 - Math.log2(this.size)}`);
  }

  release(ip: string): void {
    this.allocated.delete(ip);
  }

  private contains(ip: string): boolean {
    const n = toNumber(ip);
    return /^\d+\.\d+\.\d+\.\d+$/.test(ip) && n >= this.first && n < this.first + this.size;
  }

  private take(ip: string): string {
    this.allocated.add(ip);
    return ip;
  }
}

import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { HostAllowList } from '../../../contract/net.js';
import { PermanentError } from '../../../runtime/fetch/errors.js';
import { guardedLookup } from '../../../runtime/fetch/http.js';

/** A fake DNS: the one collaborator of guardedLookup, so names resolve the same on every machine. */
const fakeResolver =
  (records: Record<string, LookupAddress[]>) =>
  (host: string, callback: (error: NodeJS.ErrnoException | null, all: LookupAddress[]) => void) => {
    const all = records[host];
    if (all) callback(null, all);
    else callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }), []);
  };

const RECORDS = {
  'models.example': [{ address: '93.184.216.34', family: 4 }],
  'internal.example': [{ address: '10.0.0.5', family: 4 }],
  'metadata.example': [{ address: 'fd00:ec2::254', family: 6 }],
  // a DNS answer that mixes a public address with a private one must not get through by its order
  'mixed.example': [
    { address: '93.184.216.34', family: 4 },
    { address: '192.168.0.10', family: 4 },
  ],
};

/** What the lookup answers net.connect, as { error } or { address(es) }. */
function lookUp(allowed: string[], host: string, all: boolean) {
  const lookup = guardedLookup(HostAllowList.parse(allowed), fakeResolver(RECORDS));
  return new Promise<{ error?: Error; address?: string | LookupAddress[]; family?: number }>((resolve) =>
    lookup(host, { all }, (error, address, family) => resolve(error ? { error } : { address, family })),
  );
}

describe('guardedLookup: what is checked is what is connected to (fake DNS)', () => {
  it('a public name resolves, in both of the forms net.connect asks for', async () => {
    expect(await lookUp([], 'models.example', true)).toEqual({
      address: [{ address: '93.184.216.34', family: 4 }],
      family: undefined,
    });
    expect(await lookUp([], 'models.example', false)).toEqual({ address: '93.184.216.34', family: 4 });
  });

  it.each([
    ['internal.example', 'internal.example resolves to 10.0.0.5, a private address'],
    ['metadata.example', 'metadata.example resolves to fd00:ec2::254, a private address'],
    ['mixed.example', 'mixed.example resolves to 192.168.0.10, a private address'],
  ])('%s is refused, permanently', async (host, problem) => {
    const { error } = await lookUp([], host, true);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error!.message).toBe(`${problem}, not allowed without --allow-host`);
  });

  it('allowed by name or by network, it connects', async () => {
    expect(await lookUp(['internal.example'], 'internal.example', false)).toEqual({ address: '10.0.0.5', family: 4 });
    expect(await lookUp(['192.168.0.0/16'], 'mixed.example', true)).toMatchObject({
      address: RECORDS['mixed.example'],
    });
  });

  it("a name that does not resolve is the resolver's error (retried like any network error)", async () => {
    const { error } = await lookUp([], 'absent.example', true);
    expect(error).not.toBeInstanceOf(PermanentError);
    expect(error!.message).toBe('getaddrinfo ENOTFOUND absent.example');
  });
});

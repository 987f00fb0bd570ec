import { describe, expect, it } from 'vitest';
import {
  addressKind,
  HostAllowList,
  hostProblem,
  isClusterName,
  parseCidr,
  parseIp,
  resolvedProblem,
} from '../../contract/net.js';

const NOTHING_ALLOWED = HostAllowList.parse([]);

describe('addresses (pure)', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['::ffff:10.1.2.3', 'private'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    // NAT64 and 6to4 reach the IPv4 address they carry
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['2002:7f00:1::', 'loopback'],
    ['not an address', 'reserved'],
  ])('%s is %s', (address, kind) => {
    expect(addressKind(address)).toBe(kind);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])('%s is public', (address) => {
    expect(addressKind(address)).toBeNull();
  });

  it('parses what it should and nothing else', () => {
    expect(parseIp('1.2.3.4')).toEqual([1, 2, 3, 4]);
    expect(parseIp('::1')).toEqual([...new Array<number>(15).fill(0), 1]);
    expect(parseIp('1:2:3:4:5:6:7:8')).toHaveLength(16);
    expect(parseIp('::ffff:1.2.3.4')!.slice(10)).toEqual([255, 255, 1, 2, 3, 4]);
    for (const bad of [
      '1.2.3',
      '1.2.3.256',
      '01.2.3.4',
      '1.2.3.4.5',
      ':::',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      'g::1',
      '',
    ])
      expect(parseIp(bad), bad).toBeNull();
    expect(parseCidr('10.0.0.0/8')).toEqual({ bytes: [10, 0, 0, 0], prefix: 8 });
    expect(parseCidr('fc00::/7')).toMatchObject({ prefix: 7 });
    expect(parseCidr('10.0.0.1')).toEqual({ bytes: [10, 0, 0, 1], prefix: 32 });
    for (const bad of ['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/8/8', 'example.com/8'])
      expect(parseCidr(bad), bad).toBeNull();
  });
});

describe('host names (pure)', () => {
  it.each([
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    'kubernetes.default.svc.cluster.local',
    'KUBERNETES.DEFAULT.SVC.',
    'minio.storage.svc',
    'minio.storage.svc.cluster.local',
    'minio.storage.svc.corp.example',
    'anything.cluster.local',
  ])('%s is an in-cluster name', (name) => {
    expect(isClusterName(name)).toBe(true);
  });

  it.each(['huggingface.co', 'svc.example.com', 'models.example', 'localhost'])('%s is not', (name) => {
    expect(isClusterName(name)).toBe(false);
  });
});

describe('what may be reached (pure)', () => {
  it('a URL host: addresses and in-cluster names are refused, public names pass until resolved', () => {
    expect(hostProblem('127.0.0.1', NOTHING_ALLOWED)).toBe('127.0.0.1 is a loopback address');
    expect(hostProblem('[::1]', NOTHING_ALLOWED)).toBe('::1 is a loopback address');
    expect(hostProblem('169.254.169.254', NOTHING_ALLOWED)).toBe('169.254.169.254 is a link-local address');
    expect(hostProblem('10.1.2.3', NOTHING_ALLOWED)).toBe('10.1.2.3 is a private address');
    expect(hostProblem('0.0.0.0', NOTHING_ALLOWED)).toBe('0.0.0.0 is an unspecified address');
    expect(hostProblem('224.0.0.1', NOTHING_ALLOWED)).toBe('224.0.0.1 is a multicast address');
    expect(hostProblem('kubernetes.default.svc', NOTHING_ALLOWED)).toBe('kubernetes.default.svc is an in-cluster name');
    expect(hostProblem('huggingface.co', NOTHING_ALLOWED)).toBeNull();
    expect(hostProblem('8.8.8.8', NOTHING_ALLOWED)).toBeNull();
  });

  it('a resolved name: refused when any address is special, unless the name or the address is allowed', () => {
    expect(resolvedProblem('localhost', '127.0.0.1', NOTHING_ALLOWED)).toBe(
      'localhost resolves to 127.0.0.1, a loopback address',
    );
    expect(resolvedProblem('Internal.Example.', '10.0.0.5', NOTHING_ALLOWED)).toBe(
      'internal.example resolves to 10.0.0.5, a private address',
    );
    expect(resolvedProblem('example.com', '93.184.216.34', NOTHING_ALLOWED)).toBeNull();
    const allowed = HostAllowList.parse(['minio.storage.svc', '10.0.0.0/8', 'fd00::/8', '192.168.1.7']);
    expect(resolvedProblem('minio.storage.svc', '172.20.0.9', allowed)).toBeNull();
    expect(resolvedProblem('internal.example', '10.200.0.1', allowed)).toBeNull();
    expect(resolvedProblem('internal.example', '::ffff:10.200.0.1', allowed)).toBeNull();
    expect(resolvedProblem('v6.example', 'fd12::1', allowed)).toBeNull();
    expect(resolvedProblem('other.example', '192.168.1.8', allowed)).toBe(
      'other.example resolves to 192.168.1.8, a private address',
    );
    expect(hostProblem('minio.storage.svc', allowed)).toBeNull();
    expect(hostProblem('10.9.9.9', allowed)).toBeNull();
    expect(hostProblem('127.0.0.1', allowed)).toBe('127.0.0.1 is a loopback address');
  });

  it('an allow list takes host names, addresses and CIDRs, nothing else', () => {
    expect(() => HostAllowList.parse(['Models.Internal.', '[::1]', '[fd00::]/8', '127.0.0.0/8'])).not.toThrow();
    expect(HostAllowList.parse(['Models.Internal.']).allowsName('models.internal')).toBe(true);
    expect(HostAllowList.parse(['[::1]']).allowsAddress('::1')).toBe(true);
    for (const bad of ['10.0.0.0/33', 'example.com/8', 'http://example.com', 'a b', '-bad.example', ''])
      expect(() => HostAllowList.parse([bad]), bad).toThrow(`${bad}: not a host name, IP address or CIDR`);
  });
});

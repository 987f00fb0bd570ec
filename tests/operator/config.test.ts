import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOperatorConfig, renewDeadlineMs } from '../../operator/config.js';
import { DEFAULT_CATALOGUE } from '../../operator/planner/gpuClasses.js';
import { DEFAULT_SIZING } from '../../operator/planner/memory.js';

const dir = mkdtempSync(join(tmpdir(), 'operator-config-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('operator config (file, flags on top, validated once)', () => {
  it('defaults: every namespace, the built-in catalogue and sizing', () => {
    const c = loadOperatorConfig({});
    expect(c).toMatchObject({
      namespaces: [],
      leaseDurationSeconds: 15,
      workers: 4,
      port: 8081,
      sizing: DEFAULT_SIZING,
    });
    expect(c.catalogue).toEqual(DEFAULT_CATALOGUE);
    expect(c.autoscaler).toEqual({ intervalSeconds: 15, scrapeTimeoutMs: 2000, tolerance: 0.1, gateways: [] });
    expect(loadOperatorConfig({}, file('autoscaler.yaml', 'autoscaler: { intervalSeconds: 5 }\n')).autoscaler).toEqual({
      intervalSeconds: 5,
      scrapeTimeoutMs: 2000,
      tolerance: 0.1,
      gateways: [],
    });
    const gateways = 'autoscaler: { gateways: ["gptoss-gateway-ops.gptoss.svc:8081", "[::1]:8081"] }\n';
    expect(loadOperatorConfig({}, file('gateways.yaml', gateways)).autoscaler.gateways).toEqual([
      'gptoss-gateway-ops.gptoss.svc:8081',
      '[::1]:8081',
    ]);
  });

  it("the renew deadline: two thirds of the lease unless set (client-go's 10 of 15 s), fractions allowed", () => {
    expect(renewDeadlineMs(loadOperatorConfig({}))).toBe(10_000);
    expect(
      renewDeadlineMs(loadOperatorConfig({ leaseDurationSeconds: 3 }, file('r.yaml', 'retryPeriodMs: 200\n'))),
    ).toBe(2000);
    const set = loadOperatorConfig(
      {},
      file('renew.yaml', 'leaseDurationSeconds: 3\nrenewDeadlineSeconds: 1.5\nretryPeriodMs: 200\n'),
    );
    expect(set.renewDeadlineSeconds).toBe(1.5);
    expect(renewDeadlineMs(set)).toBe(1500);
  });

  it('the file sets the catalogue (merged over the built-in one) and sizing; flags override the file', () => {
    const path = file(
      'ok.yaml',
      [
        'namespaces: [team-a, team-b]',
        'workers: 8',
        'port: 9000',
        'catalogue:',
        '  NVIDIA-B200: { memoryMiB: 183359, cost: 20 }',
        '  nvidia-l4: { memoryMiB: 22000, resourceName: nvidia.com/mig-3g.20gb }',
        'sizing: { marginMiB: 1024 }',
      ].join('\n'),
    );
    const c = loadOperatorConfig({ workers: 2, namespaces: [] }, path);
    expect(c.namespaces).toEqual(['team-a', 'team-b']); // an empty flag list does not erase the file's
    expect(c.workers).toBe(2);
    expect(c.port).toBe(9000);
    expect(c.catalogue['NVIDIA-B200']).toEqual({ memoryMiB: 183359, cost: 20 });
    expect(c.catalogue['nvidia-l4']).toEqual({ memoryMiB: 22000, resourceName: 'nvidia.com/mig-3g.20gb' });
    expect(c.catalogue['nvidia-tesla-t4']).toEqual(DEFAULT_CATALOGUE['nvidia-tesla-t4']);
    expect(c.sizing).toEqual({ ...DEFAULT_SIZING, marginMiB: 1024 });
  });

  it.each([
    ['a flag that is not a number', { port: Number('abc') }, undefined, '--port must be a number'],
    ['a flag out of range', { workers: 100 }, undefined, '--workers must be between 1 and 64'],
    [
      'a catalogue entry without memory',
      {},
      'catalogue:\n  h100: { cost: 3 }\n',
      'catalogue.h100.memoryMiB must be a number',
    ],
    [
      'a negative GPU memory',
      {},
      'catalogue:\n  h100: { memoryMiB: -1 }\n',
      'catalogue.h100.memoryMiB must be at least 1',
    ],
    [
      'a malformed resource name',
      {},
      'catalogue:\n  h100: { memoryMiB: 81559, resourceName: gpu }\n',
      'catalogue.h100.resourceName must be an extended resource name such as nvidia.com/gpu',
    ],
    ['a misspelt setting', {}, 'workerz: 3\n', 'unknown setting(s) workerz'],
    ['a margin ratio above 1', {}, 'sizing: { marginRatio: 2 }\n', 'sizing.marginRatio'],
    [
      'an autoscaler interval of 0',
      {},
      'autoscaler: { intervalSeconds: 0 }\n',
      'autoscaler.intervalSeconds must be between 1 and 3600',
    ],
    [
      'a scrape timeout as long as the interval',
      {},
      'autoscaler: { intervalSeconds: 2, scrapeTimeoutMs: 2000 }\n',
      'autoscaler.scrapeTimeoutMs must be shorter than the interval',
    ],
    [
      'a renew deadline as long as the lease',
      {},
      'renewDeadlineSeconds: 15\n',
      'renewDeadlineSeconds (15) must be shorter than leaseDurationSeconds (15)',
    ],
    [
      'a lease the default renew deadline leaves no retry in',
      { leaseDurationSeconds: 1 },
      undefined,
      'retryPeriodMs (2000) must be shorter than the renew deadline (667 ms)',
    ],
    ['a renew deadline of 0', {}, 'renewDeadlineSeconds: 0\n', 'renewDeadlineSeconds must be more than 0'],
    ['a misspelt autoscaler setting', {}, 'autoscaler: { interval: 5 }\n', 'unknown setting(s) interval'],
    [
      'a gateway without its port',
      {},
      'autoscaler: { gateways: ["gptoss-gateway-ops"] }\n',
      'autoscaler.gateways.0 must be host:port',
    ],
    [
      'a gateway as a URL',
      {},
      'autoscaler: { gateways: ["http://gw:8081/metrics"] }\n',
      'autoscaler.gateways.0 must be host:port',
    ],
    ['not a mapping', {}, '- a\n- b\n', 'must be a YAML mapping'],
    ['not YAML', {}, 'a: [\n', '--config'],
  ] as const)('%s is refused with a message naming it', (_name, flags, text, message) => {
    const path = text === undefined ? undefined : file(`bad-${Math.random()}.yaml`, text);
    expect(() => loadOperatorConfig(flags as never, path)).toThrow(message);
  });
});

import { describe, expect, it } from 'vitest';
import { adapterArg, MAX_ADAPTERS, parseAdapterArg, serveArgs } from '../../../contract/argv/serve.js';
import { ConfigError } from '../../../contract/errors.js';
import { loadServeConfig } from '../../../runtime/config.js';

describe('parseAdapterArg (pure): NAME=PATH[:SCALE]', () => {
  it.each([
    ['fr=/a/fr.gguf', { name: 'fr', path: '/a/fr.gguf', scale: 1 }],
    ['fr=/a/fr.gguf:0.5', { name: 'fr', path: '/a/fr.gguf', scale: 0.5 }],
    ['fr=/a/fr.gguf:0', { name: 'fr', path: '/a/fr.gguf', scale: 0 }],
    ['fr=/a/fr.gguf:1e-1', { name: 'fr', path: '/a/fr.gguf', scale: 0.1 }],
    // a colon followed by something other than a number belongs to the path
    ['v1.2_x-y=C:/a/b:c.gguf', { name: 'v1.2_x-y', path: 'C:/a/b:c.gguf', scale: 1 }],
    ['fr=/a/b:2.gguf:3', { name: 'fr', path: '/a/b:2.gguf', scale: 3 }],
    ['fr', '"fr" must be NAME=PATH[:SCALE]'],
    ['=/a.gguf', 'name "" must be letters, digits and . _ - (not first)'],
    ['-fr=/a.gguf', 'name "-fr" must be letters, digits and . _ - (not first)'],
    ['f:r=/a.gguf', 'name "f:r" must be letters, digits and . _ - (not first)'],
    ['fr=', 'fr needs a file path: NAME=PATH[:SCALE]'],
    ['fr=:0.5', 'fr needs a file path: NAME=PATH[:SCALE]'],
    ['fr=/a.gguf:-1', 'fr: scale -1 must be between 0 and 10'],
    ['fr=/a.gguf:11', 'fr: scale 11 must be between 0 and 10'],
  ])('%s', (text, expected) => {
    expect(parseAdapterArg(text)).toEqual(expected);
  });

  it('what adapterArg writes parses back, whatever colons the path holds', () => {
    for (const adapter of [
      { name: 'a', path: '/x/y.gguf', scale: 1 },
      { name: 'b', path: '/x:2', scale: 0.25 },
      { name: 'c', path: 'rel:dir/z.gguf', scale: 0 },
    ]) {
      expect(parseAdapterArg(adapterArg(adapter))).toEqual(adapter);
    }
  });
});

describe('--adapter in the serve contract', () => {
  it('repeats, in order, and serveArgs writes one flag per adapter', () => {
    const adapter = [
      { name: 'fr', path: '/a/fr.gguf', scale: 0.5 },
      { name: 'de', path: '/a/de.gguf', scale: 1 },
    ];
    expect(serveArgs({ model: '/m.gguf', adapter })).toEqual([
      'serve',
      '--model',
      '/m.gguf',
      '--adapter',
      'fr=/a/fr.gguf:0.5',
      '--adapter',
      'de=/a/de.gguf:1',
    ]);
    expect(loadServeConfig({ model: '/m.gguf', adapter: ['fr=/a/fr.gguf:0.5', 'de=/a/de.gguf'] }).adapter).toEqual(
      adapter,
    );
  });

  it.each([
    [['fr'], '--adapter "fr" must be NAME=PATH[:SCALE]'],
    [['fr=/a.gguf', 'fr=/b.gguf'], '--adapter name fr is given twice'],
    [['fr=/a.gguf:12'], '--adapter fr: scale 12 must be between 0 and 10'],
    [
      [{ name: 'x y', path: '/a.gguf', scale: 1 }],
      '--adapter name "x y" must be letters, digits and . _ - (not first)',
    ],
    [
      Array.from({ length: MAX_ADAPTERS + 1 }, (_, i) => `a${i}=/a.gguf`),
      `--adapter may be given at most ${MAX_ADAPTERS} times`,
    ],
  ])('refuses %j by name', (adapter, message) => {
    const load = () => loadServeConfig({ model: '/m.gguf', adapter });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
  });
});

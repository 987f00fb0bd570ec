import { describe, expect, it } from 'vitest';
import { FetchProgress } from '../../../runtime/fetch/progress.js';

describe('FetchProgress (pure)', () => {
  // fail marks the active file
  it('phase follows the files: verifying while one is re-hashed; totals once every size is known', () => {
    const progress = new FetchProgress(['a', 'b']);
    expect(progress.snapshot()).toEqual({
      phase: 'downloading',
      bytesDone: 0,
      bytesTotal: null,
      files: [
        { name: 'a', bytesDone: 0, bytesTotal: null, state: 'pending' },
        { name: 'b', bytesDone: 0, bytesTotal: null, state: 'pending' },
      ],
    });
    progress.set('a', 'verifying');
    progress.file('a').bytesDone = 10;
    expect(progress.snapshot()).toMatchObject({ phase: 'verifying', bytesDone: 10, bytesTotal: null });
    progress.file('a').bytesTotal = 10;
    progress.set('a', 'done');
    progress.file('b').bytesTotal = 5;
    progress.set('b', 'downloading');
    progress.file('b').bytesDone = 2;
    expect(progress.snapshot()).toMatchObject({ phase: 'downloading', bytesDone: 12, bytesTotal: 15 });
    progress.fail('GET x: 404 Not Found');
    expect(progress.snapshot()).toMatchObject({
      phase: 'failed',
      error: 'GET x: 404 Not Found',
      files: [{ state: 'done' }, { state: 'failed' }],
    });
    expect(() => progress.file('c')).toThrow('no file c in this fetch');
  });
});

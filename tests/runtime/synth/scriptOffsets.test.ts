import { describe, expect, it } from 'vitest';
import { COPY_SHIFT, COPY_WINDOW, codeOf, copyScore, offsetInputs } from '../../../runtime/synth/scriptOffsets.js';

/** The positional code the scripted model's copy head matches (runtime/synth/scriptOffsets.ts). */
describe('the copy code', () => {
  it(`within ${COPY_WINDOW} positions of the anchors, the next source position scores 40 above any other`, () => {
    for (let dq = 0; dq + COPY_SHIFT < COPY_WINDOW; dq++) {
      const target = copyScore(dq, dq + COPY_SHIFT);
      for (let dk = 0; dk < COPY_WINDOW; dk++) {
        if (dk !== dq + COPY_SHIFT)
          expect(target - copyScore(dq, dk), `answer ${dq}, source ${dk}`).toBeGreaterThan(40);
      }
    }
  });

  it('an anchor in view is a view of 1 at every offset (the two parity heads share it)', () => {
    for (let d = 0; d < COPY_WINDOW; d++) expect(offsetInputs(d).view, `offset ${d}`).toBeCloseTo(1, 12);
  });

  it('no anchor in view: the code is zero, so such positions neither copy nor are copied', () => {
    const none = { parity: 0, view: 0, c4: 0, s4: 0, c16: 0, s16: 0, c64: 0, s64: 0 };
    expect(codeOf(none).map(Math.abs)).toEqual(new Array(7).fill(0));
  });
});

import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { storableText, textProblem } from './input-guard.js';

describe('storableText (text from outside the API: mail, HTML forms)', () => {
  it('removes NUL and replaces unpaired surrogates, and leaves valid text alone', () => {
    expect(storableText('a\u0000b')).toBe('ab');
    expect(storableText('x\uD800y')).toBe('x\uFFFDy');
    expect(storableText('\uDC00')).toBe('\uFFFD');
    expect(storableText('emoji 😀 ok')).toBe('emoji 😀 ok');
  });

  it('whatever the input, the result is text the API guard accepts (a property)', () => {
    fc.assert(
      // Any UTF-16 code units, lone surrogates and NUL included.
      fc.property(
        fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
        (s) => textProblem(storableText(s)) === undefined,
      ),
      { seed: 12, numRuns: 2000 },
    );
  });
});

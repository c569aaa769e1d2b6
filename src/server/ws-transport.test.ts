import { describe, expect, it } from '@jest/globals';
import { Interner } from './ws-transport.js';

/** A fresh string with the same characters (not the literal's interned copy). */
const copy = (s: string) => [...s].join('');

describe('Interner', () => {
  it('keeps one copy of equal texts (strings compare by value: the count is what shows it)', () => {
    const interner = new Interner();
    const text = '{"id":"1","type":"subscribe"}';
    expect(interner.intern(copy(text))).toBe(text);
    expect(interner.intern(copy(text))).toBe(text);
    expect(interner.size).toBe(1);
    interner.intern(copy('{"id":"2","type":"subscribe"}'));
    expect(interner.size).toBe(2);
  });

  it('starts over past its number of texts or its characters, and keeps no long text', () => {
    const byCount = new Interner(3, 1000);
    for (const t of ['a', 'b', 'c']) byCount.intern(copy(t));
    expect(byCount.size).toBe(3);
    byCount.intern(copy('d'));
    expect(byCount.size).toBe(1);

    const byChars = new Interner(100, 10);
    byChars.intern(copy('12345'));
    byChars.intern(copy('67890'));
    expect(byChars.size).toBe(2);
    byChars.intern(copy('x'));
    expect(byChars.size).toBe(1);

    const long = 'q'.repeat(5000);
    byChars.intern(long);
    expect(byChars.size).toBe(1);
  });
});

import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupHash, iso } from '../../lib/incidents/items.js';

/**
 * Group hashes are in stored keys (claims, incidents, marks): whatever groupHash remembers to go
 * faster, the hash must stay the sha256 of the group's sorted JSON, for any text, in any key order.
 */
const stored = (group: Record<string, string>): string =>
  createHash('sha256').update(JSON.stringify(Object.entries(group).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))).digest('hex').slice(0, 32);

describe('groupHash', () => {
  it('is the hash of the sorted JSON, remembered or not, whatever the order of the keys', () => {
    const text = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('1:a', '2:ab', ':', '0:', 'x'.repeat(1500)));
    fc.assert(
      fc.property(fc.dictionary(text, text, { maxKeys: 4 }), (group) => {
        const reversed = Object.fromEntries(Object.entries(group).reverse());
        expect(groupHash(group)).toBe(stored(group));
        expect(groupHash(group)).toBe(stored(group)); // the remembered answer
        expect(groupHash(reversed)).toBe(stored(group));
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps groups apart that only a careless cache key would confuse', () => {
    const pairs: Array<[Record<string, string>, Record<string, string>]> = [
      [{ a: 'bc' }, { ab: 'c' }],
      [{ a: '1:b' }, { a: '1', b: '' }],
      [{ principal: 'x', account: '1' }, { principal: 'x1', account: '' }],
    ];
    for (const [one, other] of pairs) {
      expect(groupHash(one)).toBe(stored(one));
      expect(groupHash(other)).toBe(stored(other));
      expect(groupHash(one)).not.toBe(groupHash(other));
    }
  });
});

describe('iso', () => {
  it('gives each time its own text, also when asked again and in turn', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4_102_444_800_000 }), { maxLength: 20 }), (times) => {
        for (const ms of [...times, ...times.reverse()]) expect(iso(ms)).toBe(new Date(ms).toISOString());
      }),
    );
  });
});

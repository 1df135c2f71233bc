import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTime } from '../../lib/cloudtrail/envelope.js';

/** parseTime reads CloudTrail's own form itself (it is on replay's hot path): it must agree with Date.parse. */
const dateParse = (value: string): number | undefined => {
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
};
const pad = (n: number, width: number) => String(n).padStart(width, '0');

describe('parseTime', () => {
  it('agrees with Date.parse on YYYY-MM-DDTHH:MM:SSZ, in and out of range', () => {
    const canonical = fc
      .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 19 }), fc.integer({ min: 0, max: 39 }), fc.integer({ min: 0, max: 29 }), fc.integer({ min: 0, max: 69 }), fc.integer({ min: 0, max: 69 }))
      .map(([y, mo, d, h, mi, s]) => `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}Z`);
    fc.assert(fc.property(canonical, (text) => {
      expect(parseTime(text)).toBe(dateParse(text));
    }), { numRuns: 20_000 });
  });

  it('agrees with Date.parse on near misses of that form', () => {
    const near = fc.tuple(fc.constantFrom('2026-03-02T00:00:01Z', '2024-02-29T23:59:59Z', '0099-12-31T23:59:59Z'), fc.nat(19), fc.string({ minLength: 1, maxLength: 1 })).map(([t, i, c]) => `${t.slice(0, i)}${c}${t.slice(i + 1)}`);
    fc.assert(fc.property(near, (text) => {
      expect(parseTime(text)).toBe(dateParse(text));
    }), { numRuns: 5_000 });
    for (const text of ['2026-03-02T00:00:01Z', '2026-03-02T00:00:01.123Z', '2026-03-02T24:00:00Z', '2026-02-30T00:00:00Z', '0050-01-01T00:00:00Z', '+002026-03-02T00:00:01Z', '']) {
      expect(parseTime(text)).toBe(text === '' ? undefined : dateParse(text));
    }
  });
});

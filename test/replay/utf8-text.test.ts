import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8Text } from '../../lib/replay/sources/parse.js';

/** The ASCII shortcut must decode exactly as UTF-8 does, for any bytes and any range of them. */
describe('utf8Text', () => {
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    // Mostly ASCII, as CloudTrail is, with the odd multi-byte or broken sequence.
    fc.array(fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) }, { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) }), { maxLength: 64 }).map((xs) => Uint8Array.from(xs)),
    fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => new TextEncoder().encode(s)),
  );

  it('equals toString("utf8") over the whole buffer and any slice of it', () => {
    let nonAscii = 0;
    fc.assert(
      fc.property(bytes, fc.nat(), fc.nat(), (raw, a, b) => {
        const buf = Buffer.from(raw);
        if (buf.some((x) => x > 0x7f)) nonAscii += 1;
        expect(utf8Text(buf)).toBe(buf.toString('utf8'));
        const start = buf.length === 0 ? 0 : a % buf.length;
        const end = start + (buf.length === 0 ? 0 : b % (buf.length - start + 1));
        expect(utf8Text(buf, start, end)).toBe(buf.toString('utf8', start, end));
      }),
      { numRuns: 2000 },
    );
    expect(nonAscii).toBeGreaterThan(300);
  });
});

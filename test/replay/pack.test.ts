import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPacker, createUnpacker, type PackedBatch } from '../../lib/replay/pool.js';
import type { Triaged } from '../../lib/replay/triage.js';

/**
 * What a worker packs (pool.ts) the main thread must unpack to the same items, whatever the order of
 * batches and however often the string table is emptied: a wrong rule id or memo key would turn a
 * new value into a "repeat" and lose its alert. Batches go through a real structured clone, as
 * postMessage sends them.
 */
const PATH = '/logs/file.json.gz';

const time = fc.integer({ min: 1_700_000_000_000, max: 1_800_000_000_000 });
const key = fc.constantFrom('val#a#g1\n2026#v1', 'val#a#g1\n2026#v2', 'val#b#g2\n2026#v1', 'x', '', 'é\u0000');
const probed = fc.record({ at: time, id: fc.uuid(), rules: fc.array(fc.record({ id: fc.constantFrom('r1', 'r2', 'r3'), memoKeys: fc.array(key, { maxLength: 3 }) }), { minLength: 1, maxLength: 2 }), index: fc.nat(5000) });
const item: fc.Arbitrary<Triaged> = fc.oneof(
  { weight: 4, arbitrary: time },
  { weight: 1, arbitrary: fc.constant(Number.NaN) },
  {
    weight: 3,
    arbitrary: probed.map(({ at, id, rules, index }): Triaged => ({ kind: 'probed', order: at, at, probe: { eventMs: at, eventId: id, rules }, origin: { path: PATH, index } })),
  },
  // Probed but with times that disagree: travels whole.
  {
    weight: 1,
    arbitrary: fc.tuple(probed, time).map(([{ at, id, rules, index }, order]): Triaged => ({ kind: 'probed', order, at, probe: { eventMs: at, eventId: id, rules }, origin: { path: PATH, index } })),
  },
  { weight: 1, arbitrary: time.map((at): Triaged => ({ kind: 'event', order: at, at, event: JSON.stringify({ detail: { eventTime: at } }) })) },
  { weight: 1, arbitrary: fc.constant<Triaged>({ kind: 'error', path: PATH, reason: 'corrupt' }) },
  { weight: 1, arbitrary: fc.constant<Triaged>({ kind: 'not-envelope', order: undefined, origin: `${PATH}#3` }) },
);

const cloned = (batch: PackedBatch): PackedBatch => structuredClone(batch);

describe('packing triaged batches for the main thread', () => {
  it('unpacks every batch to its items, across batches and table resets', () => {
    let resets = 0;
    let packedProbes = 0;
    fc.assert(
      fc.property(fc.array(fc.array(item, { maxLength: 30 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 8 }), (batches, maxStrings) => {
        const pack = createPacker(maxStrings);
        const unpack = createUnpacker();
        for (const batch of batches) {
          const packed = cloned(pack(batch));
          if (packed.probed?.reset) resets += 1;
          packedProbes += packed.probed?.positions.length ?? 0;
          expect(unpack(packed, PATH)).toEqual(batch);
        }
      }),
      { numRuns: 400 },
    );
    // Both the packed way and the table's bound are reached, or the property says little.
    expect(packedProbes).toBeGreaterThan(1000);
    expect(resets).toBeGreaterThan(50);
  });

  it('sends each string once per table, then numbers', () => {
    const pack = createPacker(100);
    const probe = (at: number, memoKey: string): Triaged => ({
      kind: 'probed',
      order: at,
      at,
      probe: { eventMs: at, eventId: `id-${at}`, rules: [{ id: 'secrets', memoKeys: [memoKey] }] },
      origin: { path: PATH, index: at },
    });
    const first = pack([probe(1, 'k1'), probe(2, 'k1'), 3]);
    const second = pack([probe(4, 'k1'), probe(5, 'k2')]);
    expect(first.probed?.strings).toEqual(['secrets', 'k1']);
    expect(second.probed?.strings).toEqual(['k2']);
    expect(first.others).toEqual([]);
  });

  it('refuses a batch that refers to a string it never sent (a table out of step)', () => {
    const pack = createPacker();
    const at = 1_750_000_000_000;
    pack([{ kind: 'probed', order: at, at, probe: { eventMs: at, eventId: 'e', rules: [{ id: 'r', memoKeys: ['k'] }] }, origin: { path: PATH, index: 0 } }]);
    const second = pack([{ kind: 'probed', order: at, at, probe: { eventMs: at, eventId: 'f', rules: [{ id: 'r', memoKeys: ['k'] }] }, origin: { path: PATH, index: 1 } }]);
    // A fresh unpacker never saw the first batch's strings.
    expect(() => createUnpacker()(second, PATH)).toThrow(/never defined/);
  });
});

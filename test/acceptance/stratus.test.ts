import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runReplay } from '../../lib/replay/run.js';

/**
 * Stratus Red Team as an acceptance test: each of the 35 real detonation logs is replayed through the
 * same pipeline as `trailwatch replay` (rules, EventBridge routing, state, bursts), and the rules that
 * alert must be exactly the ones the table expects. A technique that alerts nothing says why.
 */
const here = fileURLToPath(new URL('.', import.meta.url));
const SAMPLES = join(here, '..', 'fixtures', 'stratus-red-team');
interface Expectation {
  rules: string[];
  /** Required when `rules` is empty: why no rule can (or should) alert on this technique. */
  why?: string;
}
const table = JSON.parse(readFileSync(join(here, 'stratus-expected.json'), 'utf8')) as Record<string, Expectation>;
const techniques = readdirSync(SAMPLES)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''))
  .sort();

describe('Stratus Red Team detonations', () => {
  it('has one expectation per recorded technique, and no other', () => {
    expect(Object.keys(table).sort()).toEqual(techniques);
    for (const [technique, e] of Object.entries(table)) {
      if (e.rules.length === 0) expect(e.why?.trim().length ?? 0, `${technique} alerts nothing: say why`).toBeGreaterThanOrEqual(20);
    }
  });

  it('alerts on at least 32 of the 35 techniques', () => {
    expect(Object.values(table).filter((e) => e.rules.length > 0).length).toBeGreaterThanOrEqual(32);
  });

  it.each(techniques)('%s alerts the expected rules', async (technique) => {
    const fired = new Set<string>();
    const summary = await runReplay({ paths: [join(SAMPLES, `${technique}.json`)], onAlert: (a) => fired.add(a.ruleId) });
    expect(summary.malformed).toBe(0);
    expect(summary.fileErrors).toEqual([]);
    expect([...fired].sort()).toEqual([...(table[technique]?.rules ?? [])].sort());
  });

  it('replayed as one folder, in name order, every technique the table expects still alerts', async () => {
    // The files carry no delivery stamps and name order is not time order (months apart): replay sorts
    // an input this small by event time as a whole, so no technique's events arrive "late".
    const techniqueOf = new Map<string, string>();
    for (const technique of techniques) {
      const doc = JSON.parse(readFileSync(join(SAMPLES, `${technique}.json`), 'utf8')) as Array<{ eventID: string }> | { Records: Array<{ eventID: string }> };
      for (const record of Array.isArray(doc) ? doc : doc.Records) techniqueOf.set(record.eventID, technique);
    }
    const alerted = new Set<string>();
    await runReplay({
      paths: [SAMPLES],
      onAlert: (a) => {
        for (const id of a.eventIds) {
          const technique = techniqueOf.get(id);
          if (technique) alerted.add(technique);
        }
      },
    });
    const expected = techniques.filter((t) => (table[t]?.rules.length ?? 0) > 0);
    expect([...alerted].sort()).toEqual(expected);
  });
});

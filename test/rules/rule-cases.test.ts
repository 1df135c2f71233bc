import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { asEnvelope } from '../../lib/cloudtrail/wrap.js';
import { compileRules, evaluate } from '../../lib/detection/evaluate.js';
import { MAX_PATTERN_LENGTH } from '../../lib/eventbridge/pattern.js';
import { SEVERITIES } from '../../lib/detection/rule.js';
import { rules } from '../../rules/index.js';
import { allCases, caseFiles, loadCases, loadSample, RULES_DIR, SAMPLES_DIR } from '../support/rule-cases.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const compiled = compileRules(rules);
const cases = allCases();

describe('rule cases (every case against every rule)', () => {
  it.each(cases.map((c) => [`${c.file}: ${c.name}`, c] as const))('%s', (_name, c) => {
    const { matched, errors } = evaluate(compiled, c.event);
    expect(errors).toEqual([]);
    expect(matched.map((r) => r.id).sort()).toEqual([...c.matches].sort());
  });
});

describe('rule files', () => {
  it('lists every *.rule.ts file in rules/index.ts, and nothing else', () => {
    const files = readdirSync(RULES_DIR).filter((f) => f.endsWith('.rule.ts')).map((f) => f.replace('.rule.ts', '')).sort();
    expect(rules.map((r) => r.id).sort()).toEqual(files);
  });

  it.each(rules.map((r) => [r.id, r] as const))('%s has a cases file with a firing and a quiet case', (id) => {
    expect(caseFiles()).toContain(`${id}.cases.json`);
    const own = loadCases(`${id}.cases.json`);
    expect(own.some((c) => c.matches.includes(id))).toBe(true);
    expect(own.some((c) => !c.matches.includes(id))).toBe(true);
  });

  it.each(rules.map((r) => [r.id, r] as const))('%s has complete metadata', (_id, rule) => {
    expect(rule.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(SEVERITIES).toContain(rule.severity);
    expect(['live', 'staged']).toContain(rule.status);
    expect(rule.title.length).toBeGreaterThan(5);
    expect(rule.title.length).toBeLessThanOrEqual(60);
    expect(rule.description.length).toBeGreaterThan(20);
    expect(rule.runbook.length).toBeGreaterThan(20);
    expect(rule.references.length).toBeGreaterThan(0);
    for (const ref of rule.references) expect(ref).toMatch(/^https:\/\//);
    expect(rule.mitre.length).toBeGreaterThan(0);
    for (const id of rule.mitre) expect(id).toMatch(/^TA\d{4}:T\d{4}(\.\d{3})?$/);
    expect(JSON.stringify(rule.pattern).length).toBeLessThanOrEqual(MAX_PATTERN_LENGTH);
    expect(rule.dedupeMinutes).toBeGreaterThan(0);
  });

  it.each(rules.map((r) => [r.id, r] as const))('%s is deployed to see read-only events when one of its cases is read-only', (id, rule) => {
    const readOnlyHit = cases.some((c) => c.matches.includes(id) && c.event.detail.readOnly === true);
    if (readOnlyHit) expect(rule.readOnlyEvents).toBe(true);
    else expect(rule.readOnlyEvents).toBe(false);
  });
});

/**
 * The real Stratus Red Team recordings: 35 attack techniques. Which rules fire on them is pinned
 * here, so a rule that starts firing on other techniques (noise) or stops firing fails the suite.
 */
describe('real recorded attacks', () => {
  // Matches, not alerts (a burst rule matches below its threshold), one line per rule id; which rules
  // ALERT per technique is the acceptance table in test/acceptance/stratus-expected.json.
  const expected = JSON.parse(readFileSync(join(here, '..', 'acceptance', 'stratus-match-counts.json'), 'utf8')) as Record<string, number>;

  it('fires exactly the expected rules on the whole sample corpus, without errors', () => {
    const counts: Record<string, number> = {};
    let records = 0;
    for (const file of readdirSync(SAMPLES_DIR).filter((f) => f.endsWith('.json'))) {
      for (const record of loadSample(file)) {
        const event = asEnvelope(record);
        expect(event).toBeDefined();
        if (!event) continue;
        records += 1;
        const { matched, errors } = evaluate(compiled, event);
        expect(errors).toEqual([]);
        for (const r of matched) counts[r.id] = (counts[r.id] ?? 0) + 1;
      }
    }
    expect(records).toBeGreaterThan(300);
    expect(counts).toEqual(expected);
  });
});

describe('EventBridge routing of read-only events', () => {
  it('does not evaluate a rule deployed as plain ENABLED on a read-only management event', () => {
    const stop = cases.find((c) => c.name.startsWith('StopLogging by an IAM user'));
    expect(stop).toBeDefined();
    const readOnly = structuredClone(stop!.event);
    readOnly.detail.readOnly = true;
    expect(evaluate(compiled, readOnly).matched.map((r) => r.id)).toEqual([]);
    expect(evaluate(compiled, stop!.event).matched.map((r) => r.id)).toEqual(['cloudtrail-tampering']);
  });
});

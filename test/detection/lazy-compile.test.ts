import { describe, expect, it } from 'vitest';
import type { TrailEvent } from '../../lib/cloudtrail/types.js';
import { createDetector } from '../../lib/handlers/pipeline.js';
import { compileRules, evaluate, exactSources, rulesBySource } from '../../lib/detection/evaluate.js';
import type { Rule } from '../../lib/detection/rule.js';
import { rules } from '../../rules/index.js';
import { allCases } from '../support/rule-cases.js';

const T0 = Date.parse('2026-11-20T10:00:00Z');
const rule = (id: string): Rule => {
  const found = rules.find((r) => r.id === id);
  if (!found) throw new Error(`no rule ${id}`);
  return found;
};
const caseFor = (ruleId: string): TrailEvent => {
  const c = allCases().find((x) => x.matches.includes(ruleId));
  if (!c) throw new Error(`no case that fires ${ruleId}`);
  return structuredClone(c.event);
};
// A rule with a pattern EventBridge rejects (a 12-star wildcard), on a source of its own.
const broken: Rule = {
  ...rule('iam-user-deleted'),
  id: 'broken-pattern',
  pattern: { source: ['aws.iam'], detail: { eventName: [{ wildcard: '*a*b*c*d*e*f*g*h*i*j*k*l*' }] } },
};

describe('rule patterns compiled per source, on first use', () => {
  it('gives every case exactly the rules the eagerly compiled pack gives it', () => {
    const eager = compileRules(rules);
    const rulesFor = rulesBySource(rules);
    let compared = 0;
    for (const c of allCases()) {
      const lazy = evaluate(rulesFor(c.event.source), c.event);
      const all = evaluate(eager, c.event);
      expect(lazy.matched.map((r) => r.id), c.name).toEqual(all.matched.map((r) => r.id));
      expect(lazy.errors, c.name).toEqual(all.errors);
      compared++;
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('lists for one source only the rules that name it or accept any source, in pack order', () => {
    const rulesFor = rulesBySource(rules);
    const iam = rulesFor('aws.iam').map((c) => c.rule.id);
    const expected = rules.filter((r) => exactSources(r.pattern)?.includes('aws.iam') ?? true).map((r) => r.id);
    expect(iam).toEqual(expected);
    expect(iam).toContain('iam-user-deleted');
    expect(iam).not.toContain('cloudtrail-tampering');
    // A source no rule names gets the rules that accept any source, and nothing else.
    expect(rulesFor('aws.nothing-names-this').map((c) => c.rule.id)).toEqual(rules.filter((r) => exactSources(r.pattern) === undefined).map((r) => r.id));
    // Compiled once per source: the same list, and one compiled rule shared by every source it serves.
    expect(rulesFor('aws.iam')).toBe(rulesFor('aws.iam'));
    const anySource = (list: ReturnType<typeof rulesFor>) => list.find((c) => exactSources(c.rule.pattern) === undefined);
    expect(anySource(rulesFor('aws.iam'))).toBeDefined();
    expect(anySource(rulesFor('aws.ec2'))).toBe(anySource(rulesFor('aws.iam')));
  });

  it('still matches a rule for another source after the first invocation compiled one source', async () => {
    const detector = createDetector({ rules, clock: () => T0 });
    const first = await detector.process(caseFor('iam-user-deleted'));
    expect(first.matched).toContain('iam-user-deleted');
    const other = caseFor('cloudtrail-tampering');
    expect(other.source).not.toBe('aws.iam');
    const second = await detector.process(other);
    expect(second.matched).toContain('cloudtrail-tampering');
    // And the first source again, from its compiled list.
    expect((await detector.process(caseFor('iam-user-deleted'))).matched).toContain('iam-user-deleted');
  });

  it('rejects an invalid pattern when the pack is compiled whole (the rule-quality gate and replay)', () => {
    expect(() => compileRules([...rules, broken])).toThrow(/Rule broken-pattern has an invalid event pattern: .*wildcard/);
  });

  it('never compiles a pattern for a source no event came from, and isolates one that fails', async () => {
    // Building the detector compiles nothing, so the invalid pattern does not throw here...
    const detector = createDetector({ rules: [...rules, broken], clock: () => T0 });
    // ...nor on an event of another source...
    const other = await detector.process(caseFor('cloudtrail-tampering'));
    expect(other.matched).toContain('cloudtrail-tampering');
    expect(other.ruleErrors).toEqual([]);
    // ...and on its own source it is that rule's error, every time, while the other rules still match.
    for (let i = 0; i < 2; i++) {
      const iam = await detector.process(caseFor('iam-user-deleted'));
      expect(iam.matched).toContain('iam-user-deleted');
      expect(iam.ruleErrors).toEqual([{ ruleId: 'broken-pattern', message: expect.stringMatching(/invalid event pattern: .*wildcard/) }]);
    }
  });

  it('refuses two rules with one id when the detector is built, as before', () => {
    expect(() => createDetector({ rules: [...rules, { ...rule('iam-user-deleted') }] })).toThrow(/Duplicate rule id iam-user-deleted/);
  });
});

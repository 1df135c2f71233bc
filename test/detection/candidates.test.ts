import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TrailEvent } from '../../lib/cloudtrail/types.js';
import { asEnvelope } from '../../lib/cloudtrail/wrap.js';
import { createCandidateIndex } from '../../lib/detection/candidates.js';
import { compileRules, evaluate, type CompiledRule } from '../../lib/detection/evaluate.js';
import type { Rule } from '../../lib/detection/rule.js';
import { createDetector } from '../../lib/handlers/pipeline.js';
import { rules } from '../../rules/index.js';
import { allCases, FIXTURES_DIR, SAMPLES_DIR } from '../support/rule-cases.js';

/**
 * The candidate index only skips rules whose patterns cannot match: evaluating its candidates must
 * give exactly what evaluating every rule gives, on every case, every recorded event, and on events
 * generated around the rules' own names (and hostile shapes of those names).
 */
const compiled = compileRules(rules);
const index = createCandidateIndex(compiled);

const ids = (xs: readonly CompiledRule[], event: TrailEvent) => {
  const { matched, errors } = evaluate(xs, event);
  return { matched: matched.map((r) => r.id), errors: errors.map((e) => e.ruleId) };
};
const same = (event: TrailEvent) => expect(ids(index.rulesFor(event), event)).toEqual(ids(compiled, event));

function recordsIn(dir: string): unknown[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => {
      const doc: unknown = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      return Array.isArray(doc) ? doc : ((doc as { Records?: unknown[] }).Records ?? [doc]);
    });
}

/** Every string a rule pattern names, so generated events hit rules as well as miss them. */
function patternStrings(value: unknown, out: Set<string>): Set<string> {
  if (typeof value === 'string') out.add(value);
  else if (Array.isArray(value)) for (const v of value) patternStrings(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) patternStrings(v, out);
  return out;
}

describe('candidate index', () => {
  it('matches exactly as all rules on every rule case', () => {
    const cases = allCases();
    expect(cases.length).toBeGreaterThan(100);
    for (const c of cases) same(c.event);
  });

  it('matches exactly as all rules on the Stratus recordings and the everyday corpus', () => {
    const events = [...recordsIn(SAMPLES_DIR), ...recordsIn(join(FIXTURES_DIR, 'everyday'))].map((r) => asEnvelope(r)).filter((e): e is TrailEvent => e !== undefined);
    expect(events.length).toBeGreaterThan(300);
    let matched = 0;
    for (const event of events) {
      same(event);
      if (evaluate(compiled, event).matched.length) matched += 1;
    }
    expect(matched).toBeGreaterThan(30);
  });

  it('gives the detector the same matches with indexRules (as replay runs it)', async () => {
    const plain = createDetector({ rules });
    const indexed = createDetector({ rules, indexRules: true });
    let matched = 0;
    for (const c of allCases()) {
      const [a, b] = await Promise.all([plain.process(c.event), indexed.process(c.event)]);
      expect(b.matched).toEqual(a.matched);
      expect(b.ruleErrors).toEqual(a.ruleErrors);
      matched += a.matched.length;
    }
    expect(matched).toBeGreaterThan(100);
  });

  it('narrows most events to a few rules', () => {
    const event = asEnvelope({ eventVersion: '1.08', eventTime: '2026-03-02T00:00:00Z', eventSource: 'secretsmanager.amazonaws.com', eventName: 'GetSecretValue', awsRegion: 'eu-west-1', eventID: '8f2b4ab8-1b0e-4a6f-9d55-3c1a3e2f0d11', eventType: 'AwsApiCall', recipientAccountId: '111122223333' });
    expect(event).toBeDefined();
    const n = index.rulesFor(event as TrailEvent).length;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(rules.length / 5);
  });

  it('gives every rule when the names are not plain strings or a flattened key could shadow them', () => {
    const base = asEnvelope({ eventVersion: '1.08', eventTime: '2026-03-02T00:00:00Z', eventSource: 's3.amazonaws.com', eventName: 'GetObject', awsRegion: 'eu-west-1', eventID: '8f2b4ab8-1b0e-4a6f-9d55-3c1a3e2f0d12', recipientAccountId: '111122223333' }) as TrailEvent;
    expect(index.rulesFor({ ...base, 'detail.eventName': 'DeleteTrail' } as TrailEvent)).toBe(compiled);
    expect(index.rulesFor({ ...base, detail: { ...base.detail, eventName: ['DeleteTrail'] } } as unknown as TrailEvent)).toBe(compiled);
  });

  it('matches exactly as all rules on generated events (fast-check)', () => {
    const names = [...patternStrings(rules.map((r: Rule) => r.pattern), new Set<string>())];
    const text = fc.oneof(fc.constantFrom(...names), fc.constantFrom(...names).map((s) => s.slice(0, -1)), fc.constantFrom(...names).map((s) => `${s}x`), fc.string());
    const sources = fc.oneof(text, text.map((s) => `aws.${s}`));
    const record = fc.record(
      {
        eventVersion: fc.constant('1.08'),
        eventTime: fc.constant('2026-03-02T00:00:00Z'),
        eventSource: fc.oneof(text, text.map((s) => `${s}.amazonaws.com`)),
        eventName: text,
        eventType: fc.constantFrom('AwsApiCall', 'AwsConsoleSignIn', 'AwsServiceEvent', 'AwsCloudTrailInsight'),
        awsRegion: fc.constant('eu-west-1'),
        eventID: fc.uuid(),
        recipientAccountId: fc.constant('111122223333'),
        readOnly: fc.boolean(),
        errorCode: text,
        userIdentity: fc.record({ type: fc.constantFrom('Root', 'IAMUser', 'AssumedRole', 'AWSService'), arn: text }, { requiredKeys: ['type'] }),
        requestParameters: fc.dictionary(text, fc.oneof(text, fc.boolean(), fc.integer())),
        insightDetails: fc.record({ state: fc.constantFrom('Start', 'End'), eventSource: text, eventName: text, insightType: fc.constantFrom('ApiCallRateInsight', 'ApiErrorRateInsight') }),
      },
      { requiredKeys: ['eventVersion', 'eventTime', 'eventSource', 'eventName', 'eventID'] },
    );
    fc.assert(
      fc.property(record, sources, fc.boolean(), (r, source, ownSource) => {
        const event = asEnvelope(r);
        if (!event) return;
        same(event);
        // An envelope as EventBridge delivers it may name another source than the record implies.
        if (ownSource) same({ ...event, source });
      }),
      { numRuns: 3000 },
    );
  });
});

describe('residual patterns rooted at detail', () => {
  const records = [...recordsIn(SAMPLES_DIR), ...recordsIn(join(FIXTURES_DIR, 'everyday'))].filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null && !Array.isArray(r));
  const strings = [...patternStrings(rules.map((r) => r.pattern), new Set<string>())];
  const view = (record: Record<string, unknown>) => ({ source: 'aws.x', 'detail-type': 'AWS API Call via CloudTrail', detail: record });

  it('exist for most rules, and answer as the residual on the envelope view does', () => {
    const rooted = compiled.filter((rule) => index.residualInDetailOf(rule) !== undefined);
    expect(rooted.length).toBeGreaterThan(compiled.length / 2);
    let matched = 0;
    for (const rule of rooted) {
      for (const record of records) {
        const answer = index.residualOf(rule).matches(view(record));
        expect(index.residualInDetailOf(rule)?.matches(record)).toBe(answer);
        if (answer) matched += 1;
      }
    }
    expect(matched).toBeGreaterThan(100);
  });

  it('answer the same on generated records, dotted keys and arrays included (fast-check)', () => {
    const rooted = compiled.filter((rule) => index.residualInDetailOf(rule) !== undefined);
    const leaf = fc.oneof(fc.constantFrom(...strings), fc.string({ maxLength: 4 }), fc.integer(), fc.constant(null), fc.boolean());
    const key = fc.oneof(fc.constantFrom('userIdentity', 'type', 'errorCode', 'requestParameters', 'invokedBy', 'userIdentity.type', 'eventName', 'sessionContext', 'detail', 'detail.errorCode'), fc.string({ maxLength: 3 }));
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('tree'), { maxLength: 3 }), fc.dictionary(key, tie('tree'), { maxKeys: 4 })),
    }));
    fc.assert(
      fc.property(fc.dictionary(key, tree, { maxKeys: 6 }), fc.nat(rooted.length - 1), (record, which) => {
        const rule = rooted[which] as CompiledRule;
        expect(index.residualInDetailOf(rule)?.matches(record)).toBe(index.residualOf(rule).matches(view(record)));
      }),
      { numRuns: 3000 },
    );
  });
});

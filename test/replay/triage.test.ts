import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventTimeOf, parseTime, parseTrailEvent } from '../../lib/cloudtrail/envelope.js';
import { DETAIL_TYPES, type CloudTrailRecord } from '../../lib/cloudtrail/types.js';
import { quickRecordTime, recordToEnvelope } from '../../lib/cloudtrail/wrap.js';
import { compileRules } from '../../lib/detection/evaluate.js';
import { createAllowlist } from '../../lib/detection/suppress.js';
import type { RuleTuningConfig } from '../../lib/detection/tuning.js';
import { createTriage, triage } from '../../lib/replay/triage.js';
import type { SourceItem } from '../../lib/replay/sources/parse.js';
import { rules } from '../../rules/index.js';

/**
 * Replay's triage takes shortcuts for the records no rule can match (a time read without building the
 * envelope, candidate rules by name, patterns tried on a light view). They must never change what
 * triage answers: the shortcut triage is compared with the full one (every rule evaluated on the
 * wrapped, checked event) on every recorded sample and on mutations of them.
 */
const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

function recordsIn(dir: string): Array<Record<string, unknown>> {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => {
      const value = JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown;
      const list = Array.isArray(value) ? value : (value as { Records?: unknown[] }).Records ?? [value];
      return list as Array<Record<string, unknown>>;
    });
}

const samples = [...recordsIn(join(fixtures, 'stratus-red-team')), ...recordsIn(join(fixtures, 'everyday')), ...recordsIn(join(fixtures, 'derived'))];
const compiled = compileRules(rules.filter((r) => r.status === 'live'));
const item = (value: unknown, index = 0): SourceItem => ({ kind: 'event', value, origin: { path: 'sample.json', index } });

describe('quickRecordTime', () => {
  const text = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.integer(),
    fc.string({ maxLength: 12 }),
    fc.constantFrom('', 'iam.amazonaws.com', 'AwsApiCall', 'AwsCloudTrailInsight', 'AwsServiceEvent', 'x'.repeat(4001), 'x'.repeat(5000)),
    fc.constantFrom('2026-03-02T10:00:00Z', '2026-02-30T10:00:00Z', '2026-03-02T10:00:00+01:00', '2026-03-02 10:00:00', '0099-01-01T00:00:00Z'),
    fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }),
    fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
  );
  // Mostly well-formed, so that both answers are reached: each field valid, or any of `text`.
  const either = (valid: fc.Arbitrary<unknown>) => fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: text });
  const record = fc.record(
    {
      eventSource: either(fc.constantFrom('iam.amazonaws.com', 's3.amazonaws.com', 'x')),
      eventName: either(fc.constantFrom('GetObject', 'DeleteUser', '')),
      eventTime: either(fc.constantFrom('2026-03-02T10:00:00Z', '2024-02-29T23:59:59Z', '2026-12-31T00:00:00Z')),
      eventID: either(fc.uuid()),
      eventType: either(fc.constantFrom('AwsApiCall', 'AwsConsoleSignIn', 'AwsServiceEvent')),
      awsRegion: either(fc.constantFrom('us-east-1', 'eu-west-1')),
      recipientAccountId: either(fc.constantFrom('123456789012')),
      userIdentity: either(fc.constantFrom({ type: 'Root' }, { type: 'IAMUser', accountId: '123456789012' })),
      errorCode: either(fc.constantFrom('AccessDenied')),
      'detail-type': text,
      detail: text,
      time: text,
    },
    { requiredKeys: [] },
  );

  it('answers only for records the envelope check accepts, with the time the detector reads', () => {
    let answered = 0;
    fc.assert(
      fc.property(record, (r) => {
        const time = quickRecordTime(r);
        if (time === undefined) return;
        answered += 1;
        const envelope = recordToEnvelope(r as CloudTrailRecord);
        expect(() => parseTrailEvent(envelope)).not.toThrow();
        expect(envelope['detail-type']).not.toBe(DETAIL_TYPES.insight);
        expect(eventTimeOf(envelope)).toBe(time);
        expect(parseTime(r.eventTime)).toBe(time);
      }),
      { numRuns: 5000 },
    );
    // The generator reaches the answering side too, or the property says nothing.
    expect(answered).toBeGreaterThan(200);
  });

  it('answers for the recorded API calls', () => {
    const api = samples.filter((r) => typeof r.eventSource === 'string' && r.eventType !== 'AwsCloudTrailInsight');
    expect(api.length).toBeGreaterThan(100);
    expect(api.filter((r) => quickRecordTime(r) !== undefined).length).toBeGreaterThan(api.length * 0.9);
  });
});

describe('replay triage', () => {
  const tuning = JSON.parse(readFileSync(fileURLToPath(new URL('../everyday/deployment-tuning.json', import.meta.url)), 'utf8')) as RuleTuningConfig;
  const allowlist = createAllowlist(tuning);

  it('answers as evaluating every rule on the wrapped event would, on every sample', () => {
    const fast = createTriage(compiled);
    const matched = samples.filter((r, i) => {
      const full = triage(compiled, item(r, i));
      expect(fast(item(r, i))).toEqual(full);
      return typeof full === 'object' && full.kind === 'event';
    });
    // Both sides of the shortcut are exercised: samples that match, and many that do not.
    expect(matched.length).toBeGreaterThan(30);
    expect(samples.length - matched.length).toBeGreaterThan(100);
  });

  it('answers the same on mutated samples (names, times, identities, shapes)', () => {
    const fast = createTriage(compiled, allowlist ? { allowlist, overrides: tuning } : {});
    const field = fc.constantFrom('eventSource', 'eventName', 'eventTime', 'eventType', 'userIdentity', 'errorCode', 'readOnly', 'recipientAccountId', 'awsRegion', 'eventID', 'detail-type', 'detail');
    const value = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.constantFrom('Root', 'AccessDenied', 'StopLogging', 'GetSecretValue', 'cloudtrail.amazonaws.com', 'AwsConsoleSignIn', '2026-01-01T00:00:00Z', 'x'.repeat(4100)),
      fc.constantFrom({ type: 'Root' }, { type: 'IAMUser', invokedBy: 'ec2.amazonaws.com' }, [1, 2], true, 7),
      fc.string({ maxLength: 8 }),
    );
    fc.assert(
      fc.property(fc.nat(samples.length - 1), fc.array(fc.tuple(field, value), { maxLength: 3 }), (index, changes) => {
        const record: Record<string, unknown> = structuredClone(samples[index] as Record<string, unknown>);
        for (const [key, v] of changes) {
          if (v === undefined) delete record[key];
          else record[key] = v;
        }
        expect(fast(item(record, index))).toEqual(triage(compiled, item(record, index), allowlist ? { allowlist, overrides: tuning } : {}));
      }),
      { numRuns: 3000 },
    );
  });
});

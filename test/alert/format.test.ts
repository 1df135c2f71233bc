import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { emailBody, messageAttributes, SUBJECT_MAX, subjectOf, latencyWords } from '../../lib/alert/email.js';
import { humanDuration, oneLine, truncate } from '../../lib/untrusted/text.js';
import type { Alert } from '../../lib/alert/alert.js';
import { alertFixture } from '../support/alert-fixture.js';

/** The shared fixture, with no details or references: these tests look at the frame around them. */
const baseAlert = (over: Partial<Alert> = {}): Alert =>
  alertFixture({ details: [], references: [], runbook: 'Ask alice.', actor: { type: 'IAMUser', name: 'user/alice', sourceIp: '203.0.113.9' }, ...over });

describe('subjectOf', () => {
  it('names severity, title, actor and account', () => {
    expect(subjectOf(baseAlert())).toBe('[trailwatch] MEDIUM IAM user deleted - user/alice in 123456789012');
  });

  it('marks staged rules', () => {
    expect(subjectOf(baseAlert({ status: 'staged' }))).toContain('MEDIUM (staged)');
  });

  it('prefers the configured account name', () => {
    expect(subjectOf(baseAlert({ accountName: 'prod' }))).toMatch(/in prod$/);
  });

  it('stays a valid SNS subject whatever the actor name holds', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 12_000 }), (name) => {
        const subject = subjectOf(baseAlert({ actor: { type: 'IAMUser', name } }));
        expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX);
        expect(subject).toMatch(/^[\x20-\x7e]+$/);
        expect(subject.startsWith('[trailwatch]')).toBe(true);
      }),
    );
  });
});

describe('emailBody', () => {
  it('says how late the alert is in words', () => {
    expect(emailBody(baseAlert())).toContain('detected 6 min after the API call');
  });

  it('keeps every hostile value on its own line', () => {
    const body = emailBody(baseAlert({ summary: 'ok\nSubject: fake\r\nFrom: ceo@example.com', actor: { type: 'IAMUser', name: 'a\u2028b\u202ec' } }));
    expect(body).not.toMatch(/^Subject: fake/m);
    expect(body).not.toMatch(/^From: /m);
    expect(body).not.toMatch(/[\u2028\u202e\r]/);
  });

  it('caps the body far below the SNS 256 KB limit', () => {
    const huge = 'x'.repeat(300_000);
    const body = emailBody(baseAlert({ summary: huge, details: Array.from({ length: 200 }, () => ({ label: huge, value: huge })) }));
    expect(Buffer.byteLength(body)).toBeLessThan(200 * 1024);
  });
});

describe('messageAttributes', () => {
  it('carries severity, rule and account for filter policies', () => {
    const attrs = messageAttributes(baseAlert());
    expect(attrs.severity).toEqual({ DataType: 'String', StringValue: 'medium' });
    expect(attrs.ruleId?.StringValue).toBe('iam-user-deleted');
    expect(attrs.account?.StringValue).toBe('123456789012');
  });

  it('never sends an empty attribute value (SNS rejects it)', () => {
    expect(messageAttributes(baseAlert({ account: '' })).account?.StringValue).toBe('unknown');
  });
});

describe('text helpers', () => {
  it.each([
    [0, '0 s'],
    [40_000, '40 s'],
    [360_000, '6 min'],
    [7_500_000, '2 h 5 min'],
    [5 * 86_400_000, '5 days'],
  ])('humanDuration(%i) is %s', (ms, words) => {
    expect(humanDuration(ms)).toBe(words);
  });

  it('does not split a surrogate pair when truncating', () => {
    const out = truncate('😀'.repeat(10), 5);
    expect(Array.from(out)).toHaveLength(5);
    expect(out).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  it('never leaves a lone surrogate, whether given one or cutting next to one', () => {
    expect(oneLine('a\ud800b')).toBe('a\ufffdb');
    expect(oneLine(`${'\u0000'.repeat(1199)}😀`, 300)).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
  });

  it('oneLine removes controls and bidi overrides', () => {
    expect(oneLine('a\u0000b\u001bc\u202ed\ne')).toBe('a b c d e');
  });

  it('latency words flag late events', () => {
    expect(latencyWords(baseAlert({ late: true }))).toContain('allowed lateness');
  });
});

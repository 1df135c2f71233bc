import { describe, expect, it } from 'vitest';
import { ConfigurationError, parseAccountNames } from '../../lib/config/env.js';
import { applyTuning, checkRuleTuning, parseRuleTuning } from '../../lib/detection/tuning.js';
import { rules } from '../../rules/index.js';

describe('RULE_TUNING', () => {
  it('accepts thresholds and periods for known rules', () => {
    expect(parseRuleTuning('{"s3-mass-delete":{"threshold":{"count":50,"windowMinutes":10},"dedupeMinutes":120}}', rules)).toEqual({
      's3-mass-delete': { threshold: { count: 50, windowMinutes: 10 }, dedupeMinutes: 120 },
    });
    expect(parseRuleTuning('', rules)).toEqual({});
  });

  it.each([
    ['not json', /not JSON/],
    ['[1]', /JSON object/],
    ['{"no-such-rule":{}}', /unknown rule "no-such-rule"/],
    ['{"s3-mass-delete":{"treshold":{}}}', /treshold is not a setting/],
    ['{"s3-mass-delete":{"threshold":{"count":0,"windowMinutes":10}}}', /count must be a positive whole number/],
    ['{"s3-mass-delete":{"threshold":{"count":5,"windowMinutes":1.5}}}', /windowMinutes must be a positive whole number/],
    ['{"iam-user-deleted":{"threshold":{"count":5,"windowMinutes":5}}}', /has no threshold to tune/],
    ['{"iam-user-deleted":{"dedupeMinutes":"60"}}', /dedupeMinutes must be a positive whole number/],
    ['{"iam-user-deleted":{"enabled":"no"}}', /iam-user-deleted\.enabled must be true or false/],
    ['{"iam-user-deleted":{"severity":"urgent"}}', /iam-user-deleted\.severity must be one of info, low, medium, high, critical, got "urgent"/],
    ['{"iam-user-deleted":{"status":"off"}}', /iam-user-deleted\.status must be one of live, staged/],
    ['{"iam-user-deleted":{"allow":{"principal":"x","reason":"r"}}}', /iam-user-deleted\.allow must be a list/],
    ['{"iam-user-deleted":{"allow":[{"principal":"arn:aws:iam::*:user/ci"}]}}', /iam-user-deleted\.allow\[0\]\.reason is required/],
    ['{"iam-user-deleted":{"allow":[{"principal":"arn:aws:iam::*:user/ci","reason":"  "}]}}', /iam-user-deleted\.allow\[0\]\.reason is required/],
    ['{"iam-user-deleted":{"allow":[{"principal":"a","reason":"two\\nlines"}]}}', /iam-user-deleted\.allow\[0\]\.reason must be one line/],
    ['{"iam-user-deleted":{"allow":[{"reason":"allows everything"}]}}', /iam-user-deleted\.allow\[0\] must name at least one of principal, account, sourceCidr, userAgent, eventName/],
    ['{"iam-user-deleted":{"allow":[{"principal":"a","reason":"r"},{"user":"bob","reason":"r"}]}}', /iam-user-deleted\.allow\[1\]\.user is not a setting/],
    ['{"iam-user-deleted":{"allow":[{"account":"prod","reason":"r"}]}}', /iam-user-deleted\.allow\[0\]\.account must be a 12-digit account id/],
    ['{"iam-user-deleted":{"allow":[{"sourceCidr":"10.0.0.0/33","reason":"r"}]}}', /iam-user-deleted\.allow\[0\]\.sourceCidr "10\.0\.0\.0\/33" is not usable/],
    ['{"iam-user-deleted":{"allow":[{"sourceCidr":"office","reason":"r"}]}}', /iam-user-deleted\.allow\[0\]\.sourceCidr "office" is not usable: .*must be a CIDR block/],
    ['{"iam-user-deleted":{"allow":[{"sourceCidr":"10.0.0.1","reason":"r"}]}}', /iam-user-deleted\.allow\[0\]\.sourceCidr "10\.0\.0\.1" is not usable: .*one address: \/32/],
    ['{"iam-user-deleted":{"allow":[{"sourceCidr":"300.0.0.1/32","reason":"r"}]}}', /iam-user-deleted\.allow\[0\]\.sourceCidr "300\.0\.0\.1\/32" is not usable/],
    ['{"iam-user-deleted":{"allow":[{"userAgent":"a*b*c*d*e*f*g*h*i*j*k*l*","reason":"r"}]}}', /iam-user-deleted\.allow\[0\]\.userAgent .* is not usable/],
    ['{"iam-user-deleted":{"allow":[{"eventName":7,"reason":"r"}]}}', /iam-user-deleted\.allow\[0\]\.eventName must be a non-empty string/],
  ])('refuses %s', (raw, message) => {
    expect(() => parseRuleTuning(raw, rules)).toThrow(ConfigurationError);
    expect(() => parseRuleTuning(raw, rules)).toThrow(message);
  });
});

describe('RULE_TUNING: per-deployment rule settings', () => {
  const raw = JSON.stringify({
    'iam-user-deleted': { enabled: false },
    'cloudtrail-tampering': { severity: 'critical', status: 'staged', dedupeMinutes: 10 },
    's3-mass-delete': {
      threshold: { count: 50, windowMinutes: 10 },
      allow: [
        { principal: 'arn:aws:iam::*:role/ci-*', sourceCidr: '10.0.0.0/8', reason: 'CI empties its scratch buckets from the VPC' },
        { account: '123456789012', reason: 'sandbox account' },
        { sourceCidr: '2001:db8::/32', userAgent: '*terraform*', eventName: 'DeleteObject*', reason: 'terraform destroy in the lab' },
      ],
    },
  });

  it('accepts enable/disable, severity, status, period, threshold and allowlists', () => {
    const tuning = parseRuleTuning(raw, rules);
    expect(tuning['iam-user-deleted']).toEqual({ enabled: false });
    expect(tuning['cloudtrail-tampering']).toEqual({ severity: 'critical', status: 'staged', dedupeMinutes: 10 });
    expect(tuning['s3-mass-delete']?.allow?.map((a) => a.reason)).toEqual(['CI empties its scratch buckets from the VPC', 'sandbox account', 'terraform destroy in the lab']);
    expect(checkRuleTuning(JSON.parse(raw), rules)).toEqual(tuning);
  });

  it('applies the settings to the rules this deployment runs, leaving the rule files untouched', () => {
    const tuned = applyTuning(rules, parseRuleTuning(raw, rules));
    expect(tuned.map((r) => r.id)).toEqual(rules.map((r) => r.id).filter((id) => id !== 'iam-user-deleted'));
    const tampering = tuned.find((r) => r.id === 'cloudtrail-tampering');
    expect(tampering).toMatchObject({ severity: 'critical', status: 'staged', dedupeMinutes: 10 });
    expect(tuned.find((r) => r.id === 's3-mass-delete')?.threshold).toEqual({ count: 50, windowMinutes: 10 });
    const original = rules.find((r) => r.id === 'cloudtrail-tampering');
    expect(original?.severity).toBe('high');
    expect(original?.status).toBe('live');
  });
});

describe('ACCOUNT_NAMES', () => {
  it('maps 12-digit account ids to names and refuses anything else', () => {
    expect(parseAccountNames('123456789012=prod, 210987654321=staging')).toEqual({ '123456789012': 'prod', '210987654321': 'staging' });
    expect(() => parseAccountNames('prod=123456789012')).toThrow(ConfigurationError);
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigurationError, parseAccountNames } from '../../lib/config/env.js';
import { parseRuleTuning } from '../../lib/config/tuning.js';
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
  ])('refuses %s', (raw, message) => {
    expect(() => parseRuleTuning(raw, rules)).toThrow(ConfigurationError);
    expect(() => parseRuleTuning(raw, rules)).toThrow(message);
  });
});

describe('ACCOUNT_NAMES', () => {
  it('maps 12-digit account ids to names and refuses anything else', () => {
    expect(parseAccountNames('123456789012=prod, 210987654321=staging')).toEqual({ '123456789012': 'prod', '210987654321': 'staging' });
    expect(() => parseAccountNames('prod=123456789012')).toThrow(ConfigurationError);
  });
});

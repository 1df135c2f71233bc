import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord, TrailEvent } from '../../lib/cloudtrail/types.js';
import { rules } from '../../rules/index.js';
import { allCases } from '../support/rule-cases.js';

/**
 * buildAlert falls back to a generic line when a rule's summarize or details throws, so a broken
 * formatter would go unnoticed by the case tests: here every firing case of the infrastructure rules
 * is formatted directly, and a few summaries are pinned to what a reader needs first.
 */
const INFRA = new Set([
  'admin-port-open-to-internet',
  'bedrock-first-invocation',
  'bedrock-invocation-logging-deleted',
  'bedrock-model-access-enabled',
  'cloudtrail-config-changed',
  'config-changed',
  'config-recording-stopped',
  'dns-query-logging-deleted',
  'guardduty-disabled',
  'guardduty-findings-suppressed',
  'kms-key-disabled-or-deleted',
  'lambda-code-overwritten',
  'lambda-function-public',
  'lambda-layer-added',
  'network-acl-changed',
  'network-gateway-changed',
  'port-open-to-internet',
  'route-table-changed',
  'security-group-changed',
  'trailwatch-tampered',
  'vpc-changed',
  'vpc-flow-logs-deleted',
]);
const infraRules = rules.filter((r) => INFRA.has(r.id));
const cases = allCases();
const firing = infraRules.flatMap((rule) => cases.filter((c) => c.matches.includes(rule.id)).map((c) => [`${rule.id}: ${c.name}`, rule, c] as const));

const summaryOf = (ruleId: string, caseName: string): string => {
  const rule = rules.find((r) => r.id === ruleId);
  const c = cases.find((x) => x.name === caseName);
  if (!rule || !c) throw new Error(`no ${ruleId} / ${caseName}`);
  return rule.summarize(c.event.detail, c.event);
};

describe('infrastructure rules: alert text', () => {
  it('covers every infrastructure rule', () => {
    expect(infraRules.map((r) => r.id).sort()).toEqual([...INFRA].sort());
  });

  it.each(firing)('%s formats without throwing or placeholders', (_name, rule, c) => {
    const summary = rule.summarize(c.event.detail, c.event);
    expect(summary.length).toBeGreaterThan(10);
    expect(summary).not.toMatch(/undefined|\[object Object\]|NaN/);
    for (const d of rule.details?.(c.event.detail, c.event) ?? []) {
      expect(d.value).not.toMatch(/undefined|\[object Object\]/);
      expect(d.value.length).toBeGreaterThan(0);
    }
  });

  it.each([
    ['admin-port-open-to-internet', 'SSH opened to /0 in the flat request shape (real record; the anonymiser rewrote 0.0.0.0/0 as 208.236.235.254/0)', 'Security group sg-003dc7f1f1c686164 allows tcp 22 (SSH) from 208.236.235.254/0 (AuthorizeSecurityGroupIngress by user/christophe)'],
    ['admin-port-open-to-internet', 'a private range in a second permission does not hide SSH from anywhere in the first', 'Security group sg-003dc7f1f1c686164 allows tcp 22 (SSH) from 0.0.0.0/0 (AuthorizeSecurityGroupIngress by user/christophe)'],
    ['port-open-to-internet', 'network ACL allowing TCP 8443 from anywhere', 'Network ACL acl-0a1b2c3d allows tcp 8443 from 0.0.0.0/0 (CreateNetworkAclEntry by user/christophe)'],
    ['vpc-flow-logs-deleted', 'several flow logs at once (a list of FlowLogId items)', 'Flow logs fl-1, fl-2 deleted by user/christophe'],
    ['kms-key-disabled-or-deleted', 'ScheduleKeyDeletion with the shortest window (derived from a real IAM-user record)', 'KMS key arn:aws:kms:us-east-1:143434273843:key/1234abcd-12ab-34cd-56ef-1234567890ab scheduled for deletion in 7 days by user/christophe'],
    ['lambda-function-public', 'AddPermission20150331v2 with principal * (real record)', 'Lambda function stratus-red-team-backdoor-f-func invokable by anyone (lambda:InvokeFunction) after a change by user/christophe'],
    ['bedrock-first-invocation', 'a probe with an invalid request (ValidationException) counts: it tests access for free', 'InvokeModel of anthropic.claude-3-sonnet-20240229-v1:0 by role/test-role (session cli), its first in 7 days (failed: ValidationException)'],
  ])('%s says what happened: %s', (ruleId, caseName, expected) => {
    expect(summaryOf(ruleId, caseName)).toBe(expected);
  });
});

describe('infrastructure rules: hostile input', () => {
  // Every string and shape in a record is attacker-chosen: predicates and formatters must not throw on
  // any of it (the engine would isolate a throw, but count it as a rule error and lose the match).
  const names = [...new Set(cases.filter((c) => c.matches.some((id) => INFRA.has(id))).map((c) => String(c.event.detail.eventName)))];
  const base = cases.find((c) => c.matches.includes('security-group-changed'));

  it.each(infraRules.map((r) => [r.id, r] as const))('%s never throws on arbitrary request parameters and identities', (_id, rule) => {
    expect(base).toBeDefined();
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.jsonValue(), fc.jsonValue(), fc.jsonValue(), (eventName, requestParameters, responseElements, userIdentity) => {
        const event = structuredClone(base!.event) as TrailEvent;
        const detail = { ...event.detail, eventName, requestParameters, responseElements, userIdentity } as CloudTrailRecord;
        event.detail = detail;
        rule.match?.(detail, event);
        expect(typeof rule.summarize(detail, event)).toBe('string');
        rule.details?.(detail, event);
      }),
      { numRuns: 200 },
    );
  });
});

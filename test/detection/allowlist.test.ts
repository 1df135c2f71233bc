import { describe, expect, it } from 'vitest';
import { recordToEnvelope } from '../../lib/cloudtrail/wrap.js';
import type { TrailEvent } from '../../lib/cloudtrail/types.js';
import { parseRuleTuning } from '../../lib/detection/tuning.js';
import { createDetector, createWatermarkClock } from '../../lib/handlers/pipeline.js';
import { type IncidentPolicy } from '../../lib/incidents/policy.js';
import { handleEvent, type Log, type MetricSink } from '../../lib/handlers/detect.js';
import { createIncidentPolicy } from '../../lib/incidents/policy.js';
import { createEmbeddedStore } from '../../lib/state/embedded-store.js';
import { createAllowlist } from '../../lib/detection/suppress.js';
import type { Transport } from '../../lib/transport/transport.js';
import type { Alert } from '../../lib/alert/alert.js';
import { rules } from '../../rules/index.js';
import { loadSample } from '../support/rule-cases.js';

/** A real StopLogging record (cloudtrail-tampering) by user/christophe from 86.245.153.234. */
const stop = loadSample('aws.defense-evasion.cloudtrail-stop.json')[0] as Record<string, unknown>;
const event = (patch: Record<string, unknown> = {}, id = '10163ed2-2253-469d-a5ee-cbc6651f8934'): TrailEvent =>
  recordToEnvelope({ ...structuredClone(stop), eventID: id, ...patch }) as TrailEvent;
const roleSession = {
  type: 'AssumedRole',
  arn: 'arn:aws:sts::143434273843:assumed-role/ci-deploy/GitHubActions-123',
  accountId: '143434273843',
  sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::143434273843:role/ci-deploy', accountId: '143434273843', userName: 'ci-deploy' } },
};

const allowlistOf = (allow: unknown[]) => createAllowlist(parseRuleTuning(JSON.stringify({ 'cloudtrail-tampering': { allow } }), rules));

/** Which reason (if any) allows the event for cloudtrail-tampering. */
function reasonFor(allow: unknown[], e: TrailEvent): string | undefined {
  const hits: Array<{ ruleId: string; reason: string }> = [];
  const tampering = rules.filter((r) => r.id === 'cloudtrail-tampering');
  const kept = allowlistOf(allow)?.apply(tampering, e, hits);
  expect(kept?.length).toBe(hits.length === 0 ? 1 : 0);
  return hits[0]?.reason;
}

describe('allowlist entries', () => {
  it.each([
    ['a user ARN with a wildcard', { principal: 'arn:aws:iam::*:user/christ*' }, event(), true],
    ['a user ARN that differs', { principal: 'arn:aws:iam::*:user/alice' }, event(), false],
    ['a role ARN, for its sessions', { principal: 'arn:aws:iam::143434273843:role/ci-deploy' }, event({ userIdentity: roleSession }), true],
    ['a session ARN pattern', { principal: 'arn:aws:sts::*:assumed-role/ci-*/*' }, event({ userIdentity: roleSession }), true],
    ['the account', { account: '143434273843' }, event(), true],
    ['another account', { account: '111111111111' }, event(), false],
    ['an IPv4 block', { sourceCidr: '86.245.0.0/16' }, event(), true],
    ['an IPv4 block that excludes it', { sourceCidr: '10.0.0.0/8' }, event(), false],
    ['one IPv4 address', { sourceCidr: '86.245.153.234/32' }, event(), true],
    ['an IPv6 block', { sourceCidr: '2001:db8::/32' }, event({ sourceIPAddress: '2001:db8:0:1::7' }), true],
    ['an IPv6 block, IPv4 caller', { sourceCidr: '2001:db8::/32' }, event(), false],
    ['a service caller is no address', { sourceCidr: '0.0.0.0/0' }, event({ sourceIPAddress: 'cloudformation.amazonaws.com' }), false],
    ['a user agent pattern', { userAgent: 'stratus-red-team_*' }, event(), true],
    ['an event name', { eventName: 'StopLogging' }, event(), true],
    ['an event name pattern that excludes it', { eventName: 'Delete*' }, event(), false],
    ['every field of an entry must match', { principal: 'arn:aws:iam::*:user/christophe', sourceCidr: '10.0.0.0/8' }, event(), false],
  ])('%s', (_name, entry, e, allowed) => {
    expect(reasonFor([{ ...entry, reason: 'expected' }], e)).toBe(allowed ? 'expected' : undefined);
  });

  it('takes the reason of the first entry that allows the event', () => {
    expect(reasonFor([{ eventName: 'Delete*', reason: 'first' }, { account: '143434273843', reason: 'second' }, { userAgent: '*', reason: 'third' }], event())).toBe('second');
  });

  it('costs nothing when no rule has an allowlist', () => {
    expect(createAllowlist(parseRuleTuning('{"cloudtrail-tampering":{"severity":"low"}}', rules))).toBeUndefined();
  });
});

/** Records every decision the state layer is asked for. */
function recordingPolicy(): IncidentPolicy & { asked: string[] } {
  const asked: string[] = [];
  return { asked, decide: async (rule, _event, _ctx, build) => (asked.push(rule.id), { action: 'alert', alert: build({}) }) };
}

describe('the detector with an allowlist', () => {
  const allowlist = allowlistOf([{ principal: 'arn:aws:iam::*:role/ci-deploy', reason: 'CI rotates trails on deploy' }]);

  it('reports an allowlisted match with its reason and never asks the state layer about it', async () => {
    const policy = recordingPolicy();
    const detector = createDetector({ rules, policy, ...(allowlist ? { allowlist } : {}) });
    const result = await detector.process(event({ userIdentity: roleSession }));
    expect(result.allowlisted).toEqual([{ ruleId: 'cloudtrail-tampering', reason: 'CI rotates trails on deploy' }]);
    expect(result.matched).toEqual([]);
    expect(result.alerts).toEqual([]);
    expect(policy.asked).toEqual([]);

    const other = await detector.process(event());
    expect(other.allowlisted).toEqual([]);
    expect(other.alerts.map((a) => a.ruleId)).toEqual(['cloudtrail-tampering']);
    expect(policy.asked).toEqual(['cloudtrail-tampering']);
  });

  it('consumes no state: the first non-allowed match of the same incident still alerts', async () => {
    const clock = createWatermarkClock();
    const store = createEmbeddedStore({ now: clock.now });
    const allowCi = allowlistOf([{ sourceCidr: '86.245.153.0/24', reason: 'office range' }]);
    const detector = createDetector({
      rules,
      clock: clock.now,
      observeEventTime: clock.observe,
      policy: createIncidentPolicy({ store, allowedLatenessMs: 30 * 60_000 }),
      ...(allowCi ? { allowlist: allowCi } : {}),
    });
    const allowed = await detector.process(event({}, 'aaaaaaaa-0000-4000-8000-000000000001'));
    expect(allowed.allowlisted.map((a) => a.ruleId)).toEqual(['cloudtrail-tampering']);
    // Same principal, same trail, one minute later, from elsewhere: a new incident, so it alerts.
    const outside = await detector.process(event({ sourceIPAddress: '203.0.113.9', eventTime: '2024-07-31T13:07:24Z' }, 'aaaaaaaa-0000-4000-8000-000000000002'));
    expect(outside.alerts.map((a) => a.ruleId)).toEqual(['cloudtrail-tampering']);
    expect(outside.suppressed).toEqual([]);
  });
});

describe('the handler with an allowlist', () => {
  it('logs the reason and counts the allowlisted match per rule and reason, and sends nothing', async () => {
    const allowlist = allowlistOf([{ userAgent: 'stratus-red-team_*', reason: 'our own detonation tests' }]);
    const logs: Array<{ message: string; extra: Record<string, unknown> }> = [];
    const log: Log = { info: (message, extra) => logs.push({ message, extra }), warn: () => {}, error: () => {} };
    const metrics: Array<{ name: string; value: number; dimensions?: Record<string, string> }> = [];
    const sink: MetricSink = {
      addMetric: (name, _unit, value) => metrics.push({ name, value }),
      addDimensionedMetric: (name, _unit, value, dimensions) => metrics.push({ name, value, dimensions }),
    };
    const sent: Alert[] = [];
    const transport: Transport = { name: 'recording', send: async (a) => void sent.push(a) };
    const detector = createDetector({ rules, ...(allowlist ? { allowlist } : {}) });

    const summary = await handleEvent(event(), { detector, transport, log, metrics: sink });

    expect(summary.allowlisted).toEqual(['cloudtrail-tampering']);
    expect(sent).toEqual([]);
    expect(logs).toContainEqual({ message: 'Allowlisted match counted, not alerted', extra: { ruleId: 'cloudtrail-tampering', reason: 'our own detonation tests', eventId: '10163ed2-2253-469d-a5ee-cbc6651f8934' } });
    expect(metrics).toContainEqual({ name: 'Allowlisted', value: 1, dimensions: { ruleId: 'cloudtrail-tampering', reason: 'our own detonation tests' } });
    expect(metrics).toContainEqual({ name: 'Allowlisted', value: 1 });
  });
});

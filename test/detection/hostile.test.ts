import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../lib/alert/alert.js';
import { buildFollowUp, SNS_MARGIN_BYTES, SNS_MAX_BYTES } from '../../lib/alert/build.js';
import { emailBody, messageAttributes, SUBJECT_MAX, subjectOf } from '../../lib/alert/email.js';
import { escapeMrkdwn, SLACK_LIMITS, slackMessage } from '../../lib/alert/slack-blocks.js';
import type { TrailEvent } from '../../lib/cloudtrail/types.js';
import { createDetector } from '../../lib/handlers/pipeline.js';
import { flushDue } from '../../lib/incidents/followups.js';
import { createIncidentPolicy } from '../../lib/incidents/policy.js';
import { createEmbeddedStore } from '../../lib/state/embedded-store.js';
import { snsMessage } from '../../lib/transport/sns.js';
import { rules } from '../../rules/index.js';
import { assertLabelled } from '../support/email-layout.js';
import { allCases } from '../support/rule-cases.js';

/**
 * Every string in a CloudTrail event is chosen by whoever made the call. Take each firing case and
 * replace its text with hostile strings (newlines, controls, bidi, 10 KB, non-ASCII, lone surrogates)
 * or its objects with arbitrary JSON: the detector must never throw, and what it would send must be
 * a valid SNS publish.
 */
const detector = createDetector({ rules, clock: () => Date.parse('2026-11-24T00:00:00Z') });
const firing = allCases().filter((c) => c.matches.length > 0);

const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ unit: 'binary', minLength: 9_000, maxLength: 11_000 }),
  fc.constantFrom('<!channel> <@U123> <https://evil.example|click>', 'a\r\nSubject: x\r\n\r\nbody', '\u202egnp.exe', '\ud800', '${jndi:x}', '%s%n', ''),
);

/** Paths of string leaves in a JSON value. */
function stringPaths(value: unknown, path: string[] = []): string[][] {
  if (typeof value === 'string') return [path];
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => stringPaths(v, [...path, k]));
  }
  return [];
}

function setPath(target: unknown, path: string[], replacement: unknown): void {
  let node = target as Record<string, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = path[path.length - 1];
  if (last !== undefined) node[last] = replacement;
}

type Block = { type: string; text?: { type: string; text: string; verbatim?: boolean }; fields?: Array<{ type: string; text: string; verbatim?: boolean }>; elements?: Array<{ type: string; text: string }> };

/** Links trailwatch writes (rule references, the CloudTrail console) are the only `<...>` allowed in Slack text. */
const CONSOLE_LINK = /<https:\/\/[a-z0-9-]+\.console\.aws\.amazon(?:aws)?[a-z.-]*\/cloudtrailv2\/home\?region=[a-z0-9-]+#\/events\/[0-9a-f-]{36}\|Open the event in CloudTrail Event history>/g;
const withoutOurLinks = (text: string, alert: Alert) =>
  alert.references.reduce((t, r) => t.split(`<${escapeMrkdwn(r)}|${escapeMrkdwn(r)}>`).join(''), text).replace(CONSOLE_LINK, '');

/** The Slack message of an alert keeps every Block Kit limit and lets no event text mention or link. */
function assertSlackSafe(alert: Alert): void {
  const sent = JSON.parse(JSON.stringify(slackMessage(alert))) as { text: string; blocks: Block[] };
  expect(sent.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
  expect(sent.text).not.toMatch(/[<>]/);
  for (const b of sent.blocks) {
    if (b.type === 'header') expect(b.text?.text.length).toBeLessThanOrEqual(SLACK_LIMITS.header);
    expect((b.fields ?? []).length).toBeLessThanOrEqual(SLACK_LIMITS.fields);
    for (const t of [...(b.text ? [b.text] : []), ...(b.fields ?? []), ...(b.elements ?? [])]) {
      expect(t.text.length).toBeGreaterThan(0);
      expect(t.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      if (t.type === 'mrkdwn') {
        expect((t as { verbatim?: boolean }).verbatim).toBe(true);
        expect(withoutOurLinks(t.text, alert)).not.toMatch(/[<>]/);
      }
    }
  }
}

/** What SNS and email subscribers get is valid whatever the alert holds. */
function assertAlertSendable(alert: Alert): void {
  const subject = subjectOf(alert);
  expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX);
  expect(subject).toMatch(/^[\x20-\x7e]+$/);
  const body = emailBody(alert);
  expect(body).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/);
  const message = snsMessage(alert);
  expect(Buffer.byteLength(message) + 2048).toBeLessThan(SNS_MAX_BYTES - SNS_MARGIN_BYTES);
  expect(() => JSON.parse(message)).not.toThrow();
  for (const attr of Object.values(messageAttributes(alert))) expect(attr.StringValue.length).toBeGreaterThan(0);
  expect(alert.eventIds.length).toBeLessThanOrEqual(100);
  assertLabelled(alert);
  assertSlackSafe(alert);
}

function assertSendable(raw: unknown): Promise<void> {
  return detector.process(raw).then((result) => {
    for (const alert of result.alerts) assertAlertSendable(alert);
  });
}

/**
 * Two hostile calls of one incident, then the scheduled flush: the follow-up (built from state, not
 * from the event) must be as clean and as bounded as a first alert. Returns the follow-ups sent.
 */
async function followUpsOf(first: TrailEvent, secondName: string | undefined, dedupeMinutes: readonly number[], nextDay = false): Promise<Alert[]> {
  // Detected a minute after the (recorded) event, so it is on time and opens an incident.
  let now = Date.parse(first.time) + 60_000;
  const store = createEmbeddedStore({ now: () => now });
  const stateful = createDetector({ rules, clock: () => now, policy: createIncidentPolicy({ store, allowedLatenessMs: 30 * 60_000 }) });
  const second = structuredClone(first);
  second.id = `${String(first.id)}-2`;
  second.detail.eventID = `${String(first.detail.eventID)}-2`;
  if (secondName !== undefined) second.detail.eventName = secondName;
  // A rule counting distinct values (`distinct`) counts the same call again only in its next period.
  const later = (iso: unknown, ms: number): string => new Date(Date.parse(String(iso)) + ms).toISOString();
  const DAY = 24 * 3_600_000;
  if (nextDay) {
    second.time = later(first.time, DAY);
    second.detail.eventTime = later(first.detail.eventTime, DAY);
  }
  await stateful.process(first);
  if (nextDay) now += DAY;
  await stateful.process(second);
  // The scheduled flush, when each matched rule's incident is due (its period, then the lateness).
  const sent: Alert[] = [];
  const opened = nextDay ? now - DAY : now;
  for (const minutes of [...dedupeMinutes].sort((a, b) => a - b)) {
    now = Math.max(now, opened + (minutes + 40) * 60_000);
    await flushDue({ store, rules, now, allowedLatenessMs: 30 * 60_000, send: async (a) => void sent.push(a) });
  }
  return sent;
}

describe('hostile CloudTrail text', () => {
  it.each(firing.map((c) => [c.name, c] as const))('never breaks an alert: %s', async (_name, c) => {
    const paths = stringPaths(c.event.detail).map((p) => ['detail', ...p]);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...paths), hostileString), { minLength: 1, maxLength: 8 }), async (edits) => {
        const event = structuredClone(c.event);
        for (const [path, value] of edits) setPath(event, path, value);
        await assertSendable(event);
      }),
      // Shrinking 10 KB strings is slow; a failure still reports its seed and a counterexample.
      { numRuns: 40, endOnFailure: true },
    );
  });

  it.each(firing.map((c) => [c.name, c] as const))('survives arbitrary JSON in place of any object: %s', async (_name, c) => {
    const keys = ['userIdentity', 'requestParameters', 'responseElements', 'additionalEventData', 'insightDetails', 'errorCode', 'eventTime', 'resources'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 4 }), async (key, junk) => {
        const event = structuredClone(c.event) as unknown as { detail: Record<string, unknown> };
        event.detail[key] = junk;
        await assertSendable(event);
      }),
      { numRuns: 40 },
    );
  });

  const grouping = firing.filter((c) => c.matches.some((id) => rules.find((r) => r.id === id && !r.threshold && r.dedupeMinutes > 0)));
  it.each(grouping.map((c) => [c.name, c] as const))('never breaks a follow-up or its Slack message: %s', async (_name, c) => {
    const paths = stringPaths(c.event.detail).map((p) => ['detail', ...p]);
    let followUps = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...paths), hostileString), { maxLength: 6 }), hostileString, async (edits, secondName) => {
        const event = structuredClone(c.event) as TrailEvent;
        // The time stays valid, so the two calls are one incident and a follow-up is due.
        for (const [path, value] of edits) if (path.join('.') !== 'detail.eventTime') setPath(event, path, value);
        // Root activity groups calls of any API: there the second call's name is hostile too.
        const matched = rules.filter((r) => c.matches.includes(r.id));
        const periods = matched.map((r) => r.dedupeMinutes);
        const sent = await followUpsOf(event, c.matches.includes('root-account-activity') ? secondName : undefined, periods, matched.some((r) => r.distinct && !r.threshold && r.dedupeMinutes > 0));
        followUps += sent.length;
        for (const alert of sent) assertAlertSendable(alert);
      }),
      { numRuns: 25, endOnFailure: true },
    );
    // The property must have exercised follow-ups, not only events that never grouped.
    expect(followUps).toBeGreaterThan(0);
  });

  it('bounds a follow-up built from hostile state: a 3,000-character trail name with a newline, 1,000 long event ids, many API names', () => {
    const rule = rules.find((r) => r.id === 'cloudtrail-tampering');
    if (!rule) throw new Error('cloudtrail-tampering missing');
    fc.assert(
      fc.property(hostileString, fc.array(hostileString, { maxLength: 40 }), (text, names) => {
        const trail = `${'t'.repeat(1500)}\nSubject: forged\n${'😀"\\'.repeat(500)}${text}`;
        const alert = buildFollowUp(
          rule,
          {
            openerEventId: text || 'e0',
            account: text,
            region: text,
            eventSource: text,
            eventName: text,
            actor: { type: text, name: trail, arn: text },
            group: { principal: trail, trail, account: text },
            count: 1000,
            first: Date.parse('2026-11-24T00:00:00Z'),
            last: Date.parse('2026-11-24T00:29:00Z'),
            eventIds: Array.from({ length: 1000 }, (_, i) => `${'\u0000"'.repeat(200)}${i}${text}`),
            calls: names.map((n, i) => [`${n}${'\u202e'.repeat(3)}${'x'.repeat(300)}`, i + 1] as const),
          },
          { now: Date.parse('2026-11-24T01:05:00Z') },
        );
        expect(alert.summary).not.toMatch(/[\n\r]/);
        // Caps count code points (a pair of surrogates is one).
        expect(Array.from(alert.summary).length).toBeLessThanOrEqual(1000);
        expect(Array.from(alert.group?.trail ?? '').length).toBeLessThanOrEqual(200);
        assertAlertSendable(alert);
      }),
      { numRuns: 30, endOnFailure: true },
    );
  });

  it('keeps an Insight alert with thousands of long attributions under the SNS limit', async () => {
    const insight = firing.find((c) => (c.event.detail as { insightDetails?: unknown }).insightDetails !== undefined);
    if (!insight) throw new Error('no Insight case');
    const event = structuredClone(insight.event) as TrailEvent;
    const details = event.detail.insightDetails as Record<string, unknown> & { insightContext: Record<string, unknown> };
    details.insightContext.attributions = Array.from({ length: 2000 }, (_, i) => ({
      attribute: `userIdentityArn${'"'.repeat(100)}${i}`,
      insight: Array.from({ length: 50 }, (_, j) => ({ value: `${'😀"\\'.repeat(2000)}${j}`, average: j })),
      baseline: [],
    }));
    const result = await detector.process(event);
    expect(result.alerts.length).toBeGreaterThan(0);
    for (const alert of result.alerts) assertAlertSendable(alert);
  });

  it('refuses non-events with a reason instead of throwing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything(), async (junk) => {
        const result = await detector.process(junk);
        expect(result.malformed).toEqual(expect.any(String));
        expect(result.alerts).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});

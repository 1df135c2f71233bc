import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../lib/alert/alert.js';
import { escapeMrkdwn, fitEncoded, SLACK_LIMITS, slackMessage } from '../../lib/alert/slack-blocks.js';
import { alertFixture } from '../support/alert-fixture.js';

interface TextObject {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  verbatim?: boolean;
}
type Block = { type: string; text?: TextObject; fields?: TextObject[]; elements?: TextObject[] };

const blocksOf = (alert: Alert) => slackMessage(alert).blocks as Block[];
const textsOf = (blocks: Block[]): TextObject[] => blocks.flatMap((b) => [...(b.text ? [b.text] : []), ...(b.fields ?? []), ...(b.elements ?? [])]);
const mrkdwnOf = (alert: Alert) => textsOf(blocksOf(alert)).filter((t) => t.type === 'mrkdwn');
const field = (alert: Alert, label: string) => blocksOf(alert).flatMap((b) => b.fields ?? []).find((f) => f.text.startsWith(`*${label}*\n`));

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Every `&` in escaped text starts one of the three entities we write; no `<` `>` survive. */
const safelyEscaped = (text: string) => !/[<>]/.test(text) && !/&(?!amp;|lt;|gt;)/.test(text);
/**
 * The links trailwatch writes itself (the rule's references, the CloudTrail console), and nothing else
 * that looks like one, removed: what is left must be safely escaped.
 */
const CONSOLE_LINK = /<https:\/\/[a-z0-9-]+\.console\.aws\.amazon\.com\/cloudtrailv2\/home\?region=[a-z0-9-]+#\/events\/[0-9a-f-]{36}\|Open the event in CloudTrail Event history>/g;
const withoutOurLinks = (text: string, alert: Alert) =>
  alert.references.reduce((t, r) => t.split(`<${escapeMrkdwn(r)}|${escapeMrkdwn(r)}>`).join(''), text).replace(CONSOLE_LINK, '');

describe('escapeMrkdwn', () => {
  it.each([
    ['<!channel>', '&lt;!channel&gt;'],
    ['<!here>', '&lt;!here&gt;'],
    ['<!everyone>', '&lt;!everyone&gt;'],
    ['<@U1>', '&lt;@U1&gt;'],
    ['<#C123|general>', '&lt;#C123|general&gt;'],
    ['<!subteam^S123>', '&lt;!subteam^S123&gt;'],
    ['<https://x|y>', '&lt;https://x|y&gt;'],
    ['<https://evil.example/login|Reset your password>', '&lt;https://evil.example/login|Reset your password&gt;'],
    ['a & b', 'a &amp; b'],
    // Text that already looks escaped is escaped again: it must show as typed, never become `<`.
    ['&amp;', '&amp;amp;'],
    ['&lt;!channel&gt;', '&amp;lt;!channel&amp;gt;'],
    ['&#60;!here&#62;', '&amp;#60;!here&amp;#62;'],
    // Only & < > are Slack's: anything else escaped would be shown literally.
    ['"quotes" \'single\' *bold* _it_ ~s~ `code` @channel', '"quotes" \'single\' *bold* _it_ ~s~ `code` @channel'],
    ['', ''],
  ])('%j -> %j', (input, expected) => {
    expect(escapeMrkdwn(input)).toBe(expected);
  });
});

describe('fitEncoded', () => {
  it('never cuts an entity in half and stays within the budget after escaping', () => {
    const out = fitEncoded('&'.repeat(100), 23, escapeMrkdwn);
    expect(out).toBe(`${'&amp;'.repeat(4)}…`);
    expect(out.length).toBeLessThanOrEqual(23);
  });

  it('never splits a surrogate pair', () => {
    const out = fitEncoded('😀'.repeat(10), 6);
    expect(out).toBe('😀😀…');
    expect(out).not.toMatch(LONE_SURROGATE);
  });

  it('replaces lone surrogates with U+FFFD', () => {
    expect(fitEncoded('a\ud83db\ude00', 10)).toBe('a\ufffdb\ufffd');
  });
});

describe('slackMessage', () => {
  it('has a plain_text header with severity and title, the summary, the facts, the runbook and a context line', () => {
    const { text, blocks } = slackMessage(alertFixture());
    expect(text).toBe('MEDIUM: IAM user deleted: IAM user bob deleted by user/alice');
    expect(blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: 'MEDIUM: IAM user deleted', emoji: false } },
      { type: 'section', text: { type: 'plain_text', text: 'IAM user bob deleted by user/alice', emoji: false } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*Account*\n123456789012', verbatim: true },
          { type: 'mrkdwn', text: '*Region*\nus-east-1', verbatim: true },
          { type: 'mrkdwn', text: '*Who*\nuser/alice (IAMUser)', verbatim: true },
          { type: 'mrkdwn', text: '*Source IP*\n203.0.113.9', verbatim: true },
          { type: 'mrkdwn', text: '*Via*\nAWS CLI', verbatim: true },
          { type: 'mrkdwn', text: '*API*\niam.amazonaws.com DeleteUser', verbatim: true },
          { type: 'mrkdwn', text: '*Result*\nsuccess', verbatim: true },
          { type: 'mrkdwn', text: '*Event time*\n2026-11-20T10:00:00Z, detected 6 min after the API call', verbatim: true },
        ],
      },
      { type: 'section', fields: [{ type: 'mrkdwn', text: '*Deleted user*\nbob', verbatim: true }] },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: '*What to do*\nAsk alice whether the deletion was planned.\n• <https://docs.aws.amazon.com/IAM/latest/UserGuide/id_users_manage.html|https://docs.aws.amazon.com/IAM/latest/UserGuide/id_users_manage.html>',
          verbatim: true,
        },
      },
      {
        type: 'context',
        elements: [
          { type: 'plain_text', text: 'Rule iam-user-deleted', emoji: false },
          { type: 'plain_text', text: 'MITRE TA0040:T1531', emoji: false },
          { type: 'plain_text', text: 'Alert iam-user-deleted:match:e1', emoji: false },
        ],
      },
    ]);
  });

  it('escapes mentions and links an attacker put in the user name, user agent and error message', () => {
    const alert = alertFixture({
      actor: { type: 'IAMUser', name: 'user/<!channel>', sourceIp: '<@U1>', via: '<https://evil.example|Click to confirm>' },
      errorCode: 'AccessDenied',
      errorMessage: '<!here> & friends',
    });
    expect(field(alert, 'Who')?.text).toBe('*Who*\nuser/&lt;!channel&gt; (IAMUser)');
    expect(field(alert, 'Source IP')?.text).toBe('*Source IP*\n&lt;@U1&gt;');
    expect(field(alert, 'Via')?.text).toBe('*Via*\n&lt;https://evil.example|Click to confirm&gt;');
    expect(field(alert, 'Result')?.text).toBe('*Result*\nAccessDenied: &lt;!here&gt; &amp; friends');
    for (const t of mrkdwnOf(alert)) expect(safelyEscaped(withoutOurLinks(t.text, alert))).toBe(true);
  });

  it('keeps a hostile summary in plain_text, and escapes it in the notification text', () => {
    const alert = alertFixture({ summary: 'Deleted <!channel> <https://evil|click> &amp;' });
    const [, summary] = blocksOf(alert);
    expect(summary?.text).toEqual({ type: 'plain_text', text: 'Deleted <!channel> <https://evil|click> &amp;', emoji: false });
    expect(slackMessage(alert).text).toBe('MEDIUM: IAM user deleted: Deleted &lt;!channel&gt; &lt;https://evil|click&gt; &amp;amp;');
  });

  it('turns off auto-linking and mention parsing (verbatim) in every mrkdwn object, event text or not', () => {
    const alert = alertFixture({ eventIds: ['3c1d7f7e-9d5a-4a3e-8f1b-000000000101'], actor: { type: 'IAMUser', name: 'user/alice', arn: 'arn:aws:iam::123456789012:user/alice' } });
    const all = mrkdwnOf(alert);
    expect(all.map((t) => t.text.split('\n')[0])).toEqual(expect.arrayContaining(['*Next steps*', '*What to do*', '*Who*']));
    for (const t of all) expect(t.verbatim).toBe(true);
  });

  it('links the event in CloudTrail Event history, and lists the caller\'s activity in Athena, from validated parts only', () => {
    const alert = alertFixture({ region: 'eu-west-3', eventIds: ['3C1D7F7E-9D5A-4A3E-8F1B-000000000101'], actor: { type: 'IAMUser', name: 'user/alice', arn: 'arn:aws:iam::123456789012:user/alice' } });
    const next = mrkdwnOf(alert).find((t) => t.text.startsWith('*Next steps*'));
    expect(next?.text).toContain('<https://eu-west-3.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-3#/events/3c1d7f7e-9d5a-4a3e-8f1b-000000000101|Open the event in CloudTrail Event history>');
    expect(next?.text).toContain("WHERE useridentity.arn = 'arn:aws:iam::123456789012:user/alice' AND eventtime &gt;= '2026-11-20T09:00:00Z' AND eventtime &lt; '2026-11-20T11:00:00Z'");
  });

  it.each([
    ['a region that is not a region', { region: 'evil.example/x?' }],
    ['an event id that is not a UUID', { eventIds: ['x|<https://evil.example>'] }],
    ['an event id with a path', { eventIds: ['3c1d7f7e-9d5a-4a3e-8f1b-000000000101/../../x'] }],
  ])('builds no link from %s', (_name, over) => {
    const alert = alertFixture({ eventIds: ['3c1d7f7e-9d5a-4a3e-8f1b-000000000101'], ...over });
    const texts = mrkdwnOf(alert).map((t) => t.text).join('\n');
    expect(texts).not.toContain('Event history>');
    for (const t of mrkdwnOf(alert)) expect(safelyEscaped(withoutOurLinks(t.text, alert))).toBe(true);
  });

  it('puts no query in the message for a caller whose ARN does not pass the pattern', () => {
    const alert = alertFixture({ actor: { type: 'IAMUser', name: 'x', arn: "arn:aws:iam::123456789012:user/x' OR '1'='1" } });
    expect(mrkdwnOf(alert).map((t) => t.text).join('\n')).not.toContain('Athena');
  });

  it('confines control characters and line breaks to one line', () => {
    const alert = alertFixture({ actor: { type: 'IAMUser', name: 'alice\n*Account*\n999999999999\u202e' } });
    expect(field(alert, 'Who')?.text).toBe('*Who*\nalice *Account* 999999999999 (IAMUser)');
  });

  it('enforces every limit on huge values, cutting between code points', () => {
    const huge = '😀&<'.repeat(40_000);
    const details = Array.from({ length: 20 }, (_, i) => ({ label: `d${i}${huge}`, value: huge }));
    const alert = alertFixture({
      title: huge,
      summary: huge,
      runbook: huge,
      references: [huge, huge],
      account: huge,
      region: huge,
      id: huge,
      mitre: [huge],
      details,
      count: 5,
      firstEventTime: huge,
      lastEventTime: huge,
      actor: { type: huge, name: huge, sourceIp: huge, via: huge },
    });
    const { text, blocks } = slackMessage(alert);
    const typed = blocks as Block[];
    expect(typed.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    expect(typed[0]?.text?.text.length).toBeLessThanOrEqual(SLACK_LIMITS.header);
    expect(typed[0]?.text?.text.endsWith('…')).toBe(true);
    for (const b of typed) {
      if (b.type === 'section' && b.text) expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      expect((b.fields ?? []).length).toBeLessThanOrEqual(SLACK_LIMITS.fields);
      for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
    }
    for (const t of textsOf(typed)) expect(t.text).not.toMatch(LONE_SURROGATE);
    for (const t of textsOf(typed).filter((x) => x.type === 'mrkdwn')) expect(safelyEscaped(t.text)).toBe(true);
    expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallback);
    expect(safelyEscaped(text)).toBe(true);
  });

  it('never sends a lone surrogate, even when the cleaning of controls leaves one', () => {
    // oneLine cuts long input before removing controls: here that cut falls inside the emoji.
    const name = `${'\u0000'.repeat(7_999)}😀`;
    const who = field(alertFixture({ actor: { type: 'IAMUser', name } }), 'Who');
    expect(who?.text).not.toMatch(LONE_SURROGATE);
  });

  it('never sends an empty text object (Slack rejects the whole message)', () => {
    const alert = alertFixture({ summary: '', title: '', region: '', runbook: '', ruleId: '', actor: { type: '', name: '' }, details: [{ label: '', value: '' }] });
    for (const t of textsOf(blocksOf(alert))) expect(t.text.trim().length).toBeGreaterThan(0);
    expect(field(alert, 'Region')?.text).toBe('*Region*\n-');
  });

  it('shows up to 20 details, ten fields per section', () => {
    const details = Array.from({ length: 25 }, (_, i) => ({ label: `k${i}`, value: `v${i}` }));
    const sections = blocksOf(alertFixture({ details })).filter((b) => b.fields?.[0]?.text.startsWith('*k'));
    expect(sections.map((s) => s.fields?.length)).toEqual([10, 10]);
    expect(blocksOf(alertFixture({ details })).at(-1)?.type).toBe('context');
  });

  it('says follow-up, count and span for a summary alert', () => {
    const alert = alertFixture({ kind: 'summary', count: 37, firstEventTime: '2026-11-20T10:02:00Z', lastEventTime: '2026-11-20T10:41:00Z' });
    expect(blocksOf(alert)[0]?.text?.text).toBe('MEDIUM: Follow-up: IAM user deleted');
    expect(field(alert, 'Count')?.text).toBe('*Count*\n37 (2026-11-20T10:02:00Z to 2026-11-20T10:41:00Z)');
    expect(field(alert, 'Event time')?.text).toContain('after the last grouped call');
  });
});

// Strings an attacker can put in CloudTrail, mixed with anything at all (lone surrogates included).
const hostilePiece = fc.oneof(
  fc.constantFrom('<!channel>', '<!here>', '<@U1>', '<#C1>', '<https://x|y>', '&amp;', '&lt;', '&', '<', '>', '|', '*', '\n', '\u202e', '😀', ':skull:'),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
);
const hostile = fc.array(hostilePiece, { maxLength: 40 }).map((parts) => parts.join(''));
const longHostile = fc.oneof(hostile, fc.tuple(hostile, fc.integer({ min: 1, max: 2000 })).map(([s, n]) => s.repeat(n)));

describe('slackMessage on hostile alerts (property)', () => {
  it('leaves no unescaped < or > in mrkdwn, and respects every Block Kit limit', () => {
    fc.assert(
      fc.property(
        fc.record({ summary: longHostile, name: longHostile, sourceIp: hostile, via: hostile, userAgent: hostile, errorCode: hostile, errorMessage: longHostile, region: hostile, account: hostile, eventName: hostile, eventSource: hostile, label: hostile, value: longHostile, id: hostile, ruleId: hostile, mitre: hostile, accountName: hostile, eventId: hostile, arn: hostile }),
        (h) => {
          const alert = alertFixture({
            summary: h.summary,
            region: h.region,
            account: h.account,
            accountName: h.accountName,
            eventName: h.eventName,
            eventSource: h.eventSource,
            errorCode: h.errorCode,
            errorMessage: h.errorMessage,
            id: h.id,
            ruleId: h.ruleId,
            mitre: [h.mitre],
            details: [{ label: h.label, value: h.value }],
            eventIds: [h.eventId],
            actor: { type: 'IAMUser', name: h.name, sourceIp: h.sourceIp, via: h.via, userAgent: h.userAgent, arn: h.arn },
          });
          const message = slackMessage(alert);
          // What is actually sent: the JSON payload, read back.
          const sent = JSON.parse(JSON.stringify(message)) as { text: string; blocks: Block[] };
          expect(sent.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
          expect(safelyEscaped(sent.text)).toBe(true);
          for (const b of sent.blocks) {
            if (b.type === 'header') expect(b.text?.type).toBe('plain_text');
            if (b.type === 'header') expect(b.text?.text.length).toBeLessThanOrEqual(SLACK_LIMITS.header);
            if (b.type === 'section' && b.text) expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
            expect((b.fields ?? []).length).toBeLessThanOrEqual(SLACK_LIMITS.fields);
            for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
          }
          for (const t of textsOf(sent.blocks)) {
            expect(t.text.length).toBeGreaterThan(0);
            expect(t.text.length).toBeLessThanOrEqual(SLACK_LIMITS.textObject);
            expect(t.text).not.toMatch(LONE_SURROGATE);
            if (t.type === 'mrkdwn') expect(safelyEscaped(withoutOurLinks(t.text, alert))).toBe(true);
            if (t.type === 'mrkdwn') expect(t.verbatim).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

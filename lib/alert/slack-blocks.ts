import type { Alert } from './alert.js';
import { headline, insightWords, latencyWords } from './email.js';
import { nextStepsOf } from './next-steps.js';
import { oneLine } from '../untrusted/text.js';

/**
 * Block Kit limits (Slack's Block Kit reference: header 150, section text 3,000, 10 fields of 2,000,
 * 50 blocks). Lengths are checked in UTF-16 code units,
 * which is never less than the character count Slack applies, so whichever way Slack counts, we fit.
 */
export const SLACK_LIMITS = {
  header: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  blocks: 50,
  /** Any text object (context elements included) is capped at 3,000 by Block Kit. */
  textObject: 3000,
  /** The fallback text is what notifications show: short is better, and it is never rendered beside blocks. */
  fallback: 3000,
} as const;

export interface SlackMessage {
  text: string;
  blocks: unknown[];
}

interface PlainText {
  type: 'plain_text';
  text: string;
  /** false: an attacker's `:shortcode:` stays literal text, it cannot dress the alert up as a ✅. */
  emoji: false;
}
interface Mrkdwn {
  type: 'mrkdwn';
  text: string;
  /**
   * Always true: Slack does not auto-link URLs or #channels, nor parse bare mentions. The only links
   * in a message are the ones `slackLink` writes.
   */
  verbatim: true;
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * Slack's mrkdwn escaping: exactly `&`, `<` and `>`, nothing else (Slack would show any other entity
 * literally). Escaping `<` is what stops `<!channel>`, `<@U123>` and `<https://evil|click>`.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/[&<>]/g, (c) => ENTITIES[c] ?? c);
}

const MARK = '…';
const MAX_DETAILS = 20;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Fits `text` into `max` UTF-16 units AFTER `encode` (escaping lengthens text: one `&` is five units),
 * cutting between code points so a surrogate pair is never split and an entity never half-written.
 * Lone surrogates (which a cut elsewhere may have left) become U+FFFD: Slack must get valid UTF-8.
 */
export function fitEncoded(text: string, max: number, encode: (s: string) => string = (s) => s): string {
  const clean = text.replace(LONE_SURROGATE, '\ufffd');
  const whole = encode(clean);
  if (whole.length <= max) return whole;
  let out = '';
  for (const point of clean) {
    const piece = encode(point);
    if (out.length + piece.length > max - MARK.length) break;
    out += piece;
  }
  return `${out}${MARK}`;
}

/** Block Kit rejects empty text objects (minimum length 1): an empty field would fail the whole message. */
const orDash = (text: string): string => (text === '' ? '-' : text);

function plain(value: unknown, max: number): PlainText {
  return { type: 'plain_text', text: orDash(fitEncoded(oneLine(value, max), max)), emoji: false };
}

/** A bold label we wrote over an untrusted, escaped value. */
function labelled(label: string, value: unknown, max: number): Mrkdwn {
  const head = `*${orDash(fitEncoded(oneLine(label, 60), 200, escapeMrkdwn))}*\n`;
  const body = fitEncoded(oneLine(value, max), max - head.length, escapeMrkdwn);
  return { type: 'mrkdwn', text: `${head}${orDash(body)}`, verbatim: true };
}

function accountText(alert: Alert): string {
  return alert.accountName ? `${alert.account} (${alert.accountName})` : alert.account;
}

function resultText(alert: Alert): string {
  if (!alert.errorCode) return 'success';
  return alert.errorMessage ? `${alert.errorCode}: ${alert.errorMessage}` : alert.errorCode;
}

function countText(alert: Alert): string | undefined {
  if (alert.count === undefined) return undefined;
  const span = alert.firstEventTime && alert.lastEventTime ? ` (${alert.firstEventTime} to ${alert.lastEventTime})` : '';
  return `${alert.count}${span}`;
}

function titleText(alert: Alert): string {
  const staged = alert.status === 'staged' ? ' (staged)' : '';
  return `${alert.severity.toUpperCase()}${staged}: ${headline(alert)}`;
}

function factFields(alert: Alert): Mrkdwn[] {
  const a = alert.actor;
  // Always the same eight, in the same places ('-' when unknown), so alerts read alike at a glance.
  const facts: Array<[string, string | undefined]> = [
    ['Account', accountText(alert)],
    ['Region', alert.region],
    // An Insight has no caller: it says what is unusual instead.
    alert.insight ? ['Unusual', `${insightWords(alert) ?? ''} of ${alert.eventSource} ${alert.eventName}`] : ['Who', a.type && a.type !== 'Unknown' ? `${a.name} (${a.type})` : a.name],
    ['Source IP', a.sourceIp],
    ['Via', a.via],
    ['API', `${alert.eventSource} ${alert.eventName}`.trim()],
    ['Result', resultText(alert)],
    ['Event time', `${alert.eventTime}, ${latencyWords(alert)}`],
  ];
  const count = countText(alert);
  if (count !== undefined) facts.push(['Count', count]);
  return facts.slice(0, SLACK_LIMITS.fields).map(([label, value]) => labelled(label, value ?? '', SLACK_LIMITS.fieldText));
}

/** Rule-specific facts, ten fields per section (Slack's cap), at most 20 (as many as the alert builder keeps). */
function detailSections(alert: Alert): unknown[] {
  const fields = alert.details.slice(0, MAX_DETAILS).map((d) => labelled(d.label, d.value, SLACK_LIMITS.fieldText));
  const sections: unknown[] = [];
  for (let i = 0; i < fields.length; i += SLACK_LIMITS.fields) sections.push({ type: 'section', fields: fields.slice(i, i + SLACK_LIMITS.fields) });
  return sections;
}

/**
 * A link trailwatch writes itself: only an https URL made of unreserved and path characters (no `<`,
 * `>`, `|`, spaces or quotes, nothing Slack would read as the end of a link), `&` escaped as Slack
 * wants. Anything else is not a link: it is shown as escaped text.
 */
const LINKABLE = /^https:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?(?:[/?#][A-Za-z0-9._~!$&'()*+,;=:@/?#%-]*)?$/;

export function slackLink(url: string, label: string): string | undefined {
  if (url.length > 1000 || !LINKABLE.test(url)) return undefined;
  return `<${escapeMrkdwn(url)}|${escapeMrkdwn(oneLine(label, 200).replace(/[|]/g, '/')) || 'link'}>`;
}

/**
 * The runbook and references are written by rule authors, not CloudTrail; still, verbatim stays on
 * (nothing is auto-linked) and the references become links only through `slackLink`.
 */
function runbookText(alert: Alert): Mrkdwn {
  const head = '*What to do*\n';
  const runbook = fitEncoded(oneLine(alert.runbook, SLACK_LIMITS.sectionText) || '-', SLACK_LIMITS.sectionText - head.length - 1200, escapeMrkdwn);
  let refs = '';
  for (const r of alert.references.slice(0, 5)) {
    const ref = oneLine(r, 300);
    const piece = `\n• ${slackLink(ref, ref) ?? fitEncoded(ref, 300, escapeMrkdwn)}`;
    if (head.length + runbook.length + refs.length + piece.length > SLACK_LIMITS.sectionText) break;
    refs += piece;
  }
  return { type: 'mrkdwn', text: `${head}${runbook}${refs}`, verbatim: true };
}

/**
 * The event in CloudTrail Event history and the Athena query of the caller's activity. Both come from
 * `nextStepsOf`, which builds them from strictly validated parts of the alert: the only link in the
 * message besides the rule's references, and one trailwatch wrote.
 */
function nextStepsText(alert: Alert): Mrkdwn | undefined {
  const steps = nextStepsOf(alert);
  const link = steps.eventHistoryUrl ? slackLink(steps.eventHistoryUrl, 'Open the event in CloudTrail Event history') : undefined;
  const parts = ['*Next steps*'];
  if (link) parts.push(`${link} (management events, last 90 days)`);
  if (steps.athenaSql) {
    parts.push(`Athena, ${escapeMrkdwn(oneLine(steps.activityOf ?? '', 300))}:`);
    parts.push(`\`\`\`${escapeMrkdwn(steps.athenaSql.replaceAll('`', "'"))}\`\`\``);
  }
  if (parts.length === 1) return undefined;
  const text = parts.join('\n');
  // Built from bounded, validated parts: far below the limit. A cut would break the link, so a text
  // that somehow grew past it is left out rather than cut.
  return text.length <= SLACK_LIMITS.sectionText ? { type: 'mrkdwn', text, verbatim: true } : undefined;
}

function contextElements(alert: Alert): PlainText[] {
  const max = SLACK_LIMITS.textObject;
  const parts = [`Rule ${oneLine(alert.ruleId, 200)}`, alert.mitre.length ? `MITRE ${alert.mitre.join(', ')}` : undefined, `Alert ${alert.id}`];
  return parts.filter((p): p is string => p !== undefined).map((p) => plain(p, max));
}

/**
 * The alert as a Slack incoming-webhook message. Every string that may come from CloudTrail is either
 * in a `plain_text` object or escaped with `escapeMrkdwn` in a `verbatim` mrkdwn object, so no event
 * text can mention @channel, a user, or a link; every Block Kit limit is enforced here, because one
 * oversized field makes Slack refuse the whole message (400 invalid_blocks) and lose the alert.
 */
export function slackMessage(alert: Alert): SlackMessage {
  const next = nextStepsText(alert);
  const blocks: unknown[] = [
    { type: 'header', text: plain(titleText(alert), SLACK_LIMITS.header) },
    { type: 'section', text: plain(alert.summary || headline(alert), SLACK_LIMITS.sectionText) },
    { type: 'section', fields: factFields(alert) },
    ...detailSections(alert),
    ...(next ? [{ type: 'section', text: next }] : []),
    { type: 'section', text: runbookText(alert) },
    { type: 'context', elements: contextElements(alert) },
  ];
  // At most 8 blocks: the cut is a last guard on Slack's 50, should a section be added here one day.
  // Notifications show `text`; Slack reads it as mrkdwn, so it is escaped like any other.
  const fallback = fitEncoded(oneLine(`${titleText(alert)}: ${oneLine(alert.summary, SLACK_LIMITS.fallback)}`, SLACK_LIMITS.fallback), SLACK_LIMITS.fallback, escapeMrkdwn);
  return { text: fallback, blocks: blocks.slice(0, SLACK_LIMITS.blocks) };
}

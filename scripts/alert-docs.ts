/**
 * The alerts people receive, rendered for reviewers into docs/alerts/: for every rule, the email text
 * and the Slack Block Kit JSON its sample in events/ produces (the burst alert for burst rules, from
 * events/bursts/<rule id>/), plus a follow-up. Pure and deterministic (a fixed detection delay, an
 * in-memory store per rule), so `npm run docs:alerts` rewrites exactly the same files and the test
 * in test/docs/alert-docs.test.ts can compare them. In-process and cheap: no `serverless invoke`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Alert } from '../lib/alert/alert.js';
import { emailBody, subjectOf } from '../lib/alert/email.js';
import { slackMessage } from '../lib/alert/slack-blocks.js';
import type { TrailEvent } from '../lib/cloudtrail/types.js';
import { createDetector } from '../lib/handlers/pipeline.js';
import { flushDue } from '../lib/incidents/followups.js';
import { createIncidentPolicy } from '../lib/incidents/policy.js';
import type { Rule } from '../lib/detection/rule.js';
import { createEmbeddedStore } from '../lib/state/embedded-store.js';

/** Alerts in the docs say "detected 4 min after the API call", as a deployed stack would. */
const DELAY_MS = 4 * 60_000;
const LATENESS_MS = 30 * 60_000;
const ACCOUNT_NAMES = { '123456789012': 'prod' };

export interface AlertDoc {
  /** File name stem under docs/alerts/, e.g. `iam-user-deleted` or `root-account-activity.follow-up`. */
  name: string;
  /** How the alert was produced, for the index. */
  source: string;
  alert: Alert;
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));
const timeOf = (event: unknown): number => Date.parse(String((event as { time?: unknown }).time));

/** One rule's pipeline over a fresh in-memory store, its clock a fixed delay after each event. */
function pipeline(rule: Rule) {
  let now = 0;
  const store = createEmbeddedStore({ now: () => now });
  const detector = createDetector({
    rules: [rule],
    clock: () => now,
    accountNames: ACCOUNT_NAMES,
    allowedLatenessMs: LATENESS_MS,
    policy: createIncidentPolicy({ store, allowedLatenessMs: LATENESS_MS }),
  });
  return {
    store,
    async process(event: unknown): Promise<Alert[]> {
      now = timeOf(event) + DELAY_MS;
      return (await detector.process(event)).alerts;
    },
    async flush(at: number): Promise<Alert[]> {
      now = at;
      return (await flushDue({ store, rules: [rule], now, allowedLatenessMs: LATENESS_MS, accountNames: ACCOUNT_NAMES, send: async () => undefined })).sent;
    },
  };
}

/** A copy of a sample as another call of the same principal: new id, time and API name. */
function another(sample: TrailEvent, n: number, offsetMs: number, eventName: string): TrailEvent {
  const event = structuredClone(sample);
  const time = new Date(timeOf(sample) + offsetMs).toISOString().replace('.000Z', 'Z');
  const suffix = String(900 + n).padStart(12, '0');
  event.id = `${event.id.slice(0, 24)}${suffix}`;
  event.time = time;
  event.detail.eventTime = time;
  event.detail.eventID = `${String(event.detail.eventID).slice(0, 24)}${suffix}`;
  event.detail.eventName = eventName;
  return event;
}

/**
 * The follow-up example: root signs in, then calls three other APIs within the hour, one of them
 * recorded a minute before the sign-in but delivered after it (out of order).
 */
async function followUpDoc(rule: Rule, dir: string): Promise<AlertDoc | undefined> {
  const sample = readJson(join(dir, `${rule.id}.json`)) as TrailEvent;
  const run = pipeline(rule);
  await run.process(sample);
  await run.process(another(sample, 1, 5 * 60_000, 'ListBuckets'));
  await run.process(another(sample, 2, 12 * 60_000, 'GetCallerIdentity'));
  await run.process(another(sample, 3, 13 * 60_000, 'GetCallerIdentity'));
  await run.process(another(sample, 4, -60_000, 'CreateAccessKey'));
  const [alert] = await run.flush(timeOf(sample) + (rule.dedupeMinutes + 40) * 60_000);
  return alert && { name: `${rule.id}.follow-up`, source: `events/${rule.id}.json and four more calls by the same principal (one out of order), then the scheduled flush`, alert };
}

export async function renderAlertDocs(rules: readonly Rule[], dir = 'events'): Promise<AlertDoc[]> {
  const docs: AlertDoc[] = [];
  for (const rule of rules) {
    const burstDir = join(dir, 'bursts', rule.id);
    const run = pipeline(rule);
    let alerts: Alert[] = [];
    let source = `events/${rule.id}.json`;
    if (rule.threshold && existsSync(burstDir)) {
      const files = readdirSync(burstDir).filter((f) => f.endsWith('.json')).sort();
      for (const file of files) alerts = [...alerts, ...(await run.process(readJson(join(burstDir, file))))];
      source = `events/bursts/${rule.id}/ (${files.length} events, one after another)`;
    } else {
      alerts = await run.process(readJson(join(dir, `${rule.id}.json`)));
    }
    const alert = alerts.find((a) => a.ruleId === rule.id);
    if (!alert) throw new Error(`${source} produced no ${rule.id} alert: run npm run make:events, or fix the rule's first firing case`);
    docs.push({ name: rule.id, source, alert });
  }
  const root = rules.find((r) => r.id === 'root-account-activity') ?? rules.find((r) => !r.threshold && r.dedupeMinutes > 0);
  const followUp = root ? await followUpDoc(root, dir) : undefined;
  if (followUp) docs.push(followUp);
  return docs;
}

export function emailText(alert: Alert): string {
  return `Subject: ${subjectOf(alert)}\n\n${emailBody(alert)}`;
}

export function slackJson(alert: Alert): string {
  return `${JSON.stringify(slackMessage(alert), null, 2)}\n`;
}

function indexText(docs: readonly AlertDoc[]): string {
  const rows = docs.map((d) => `| ${d.name} | ${d.alert.kind} | [email](${d.name}.email.txt) | [Slack](${d.name}.slack.json) | ${d.source} |`);
  return [
    '# What trailwatch alerts look like',
    '',
    'Generated by `npm run docs:alerts` from the samples in `events/` (do not edit; a test fails when these',
    'files are stale). Regenerate after changing a rule, its cases (`npm run make:events`) or the alert format.',
    '',
    '| alert | kind | email | Slack Block Kit | produced from |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

/** Every file under docs/alerts/, by name. */
export async function alertDocFiles(rules: readonly Rule[], dir = 'events'): Promise<Map<string, string>> {
  const docs = await renderAlertDocs(rules, dir);
  const files = new Map<string, string>();
  for (const doc of docs) {
    files.set(`${doc.name}.email.txt`, emailText(doc.alert));
    files.set(`${doc.name}.slack.json`, slackJson(doc.alert));
  }
  files.set('README.md', indexText(docs));
  return files;
}

/**
 * The README shows two of these files inline, between `<!-- docs:alerts <file> -->` and
 * `<!-- /docs:alerts -->`: the README with those blocks replaced by the current files.
 */
export function readmeWithAlerts(readme: string, files: ReadonlyMap<string, string>): string {
  return readme.replace(/<!-- docs:alerts (\S+) -->\n```(\w+)\n[\s\S]*?\n```\n<!-- \/docs:alerts -->/g, (whole, name: string, lang: string) => {
    const text = files.get(name);
    return text === undefined ? whole : `<!-- docs:alerts ${name} -->\n\`\`\`${lang}\n${text.trimEnd()}\n\`\`\`\n<!-- /docs:alerts -->`;
  });
}

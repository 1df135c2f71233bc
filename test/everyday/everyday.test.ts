import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../lib/alert/alert.js';
import { parseRuleTuning } from '../../lib/detection/tuning.js';
import { SEVERITIES } from '../../lib/detection/rule.js';
import { runReplay, type ReplaySummary } from '../../lib/replay/run.js';
import { rules } from '../../rules/index.js';
import { FIXTURES_DIR } from '../support/rule-cases.js';

/**
 * A day of ordinary activity (test/fixtures/everyday, written by scripts/make-everyday-corpus.ts from
 * real record shapes) replayed through the whole pipeline: EventBridge routing, every live rule,
 * incidents and bursts on the embedded store, follow-ups. What the pack may send on it: nothing at
 * medium or above; change-monitoring alerts (CIS 4.4, 4.8-4.15) at low severity, one per rule,
 * principal and hour, and only a handful in all.
 *
 * With one exception, kept in the open: the deployment's tuning (deployment-tuning.json, what its
 * team would deploy) allowlists the expected activity a rule cannot tell from an attack, each entry
 * with its reason. Without it the only loud alerts must be the ones it allowlists, and every entry
 * must be needed, so the file cannot grow into a way of hiding noise.
 */
const DIR = join(FIXTURES_DIR, 'everyday');
const TUNING_FILE = fileURLToPath(new URL('deployment-tuning.json', import.meta.url));
/** CIS monitoring controls that watch changes rather than attacks: low severity, grouped per hour. */
const CHANGE_MONITORING = new Set(['4.4', '4.8', '4.9', '4.10', '4.11', '4.12', '4.13', '4.14', '4.15']);
const MEDIUM = SEVERITIES.indexOf('medium');
/** Low alerts the day may raise in all (each CI deploy is a few, not one per changed resource). */
const MAX_LOW_ALERTS = 12;

const describeAlert = (a: Alert) => `${a.severity} ${a.ruleId} (${a.kind}): ${a.summary}`;

describe('everyday activity', () => {
  let summary: ReplaySummary;
  let untuned: ReplaySummary;
  const alerts: Alert[] = [];
  const untunedAlerts: Alert[] = [];
  const tuning = parseRuleTuning(readFileSync(TUNING_FILE, 'utf8'), rules);
  const tmp = mkdtempSync(join(tmpdir(), 'trailwatch-everyday-'));
  beforeAll(async () => {
    // The corpus is kept by kind of activity, each file spanning the day; a trail delivers the day in
    // time order, so it is replayed as one log (file by file, each file would arrive hours "late").
    const records = readdirSync(DIR)
      .filter((f) => f.endsWith('.json'))
      .flatMap((f) => (JSON.parse(readFileSync(join(DIR, f), 'utf8')) as { Records: Array<{ eventTime: string }> }).Records)
      .sort((a, b) => a.eventTime.localeCompare(b.eventTime));
    writeFileSync(join(tmp, 'day.json'), JSON.stringify({ Records: records }));
    summary = await runReplay({ paths: [tmp], rules, overrides: tuning, onAlert: (a) => alerts.push(a) });
    untuned = await runReplay({ paths: [tmp], rules, onAlert: (a) => untunedAlerts.push(a) });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('is a real day of traffic in every shape the corpus promises', () => {
    expect(readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()).toEqual(
      ['app-traffic', 'ci-cloudformation-deploy', 'failures', 'read-only', 'self-service', 'services', 'sign-ins'].map((f) => `${f}.json`),
    );
    expect(summary.events).toBeGreaterThan(300);
    expect(summary.malformed).toBe(0);
    expect(summary.fileErrors).toEqual([]);
  });

  it("sends nothing at medium severity or above, with the deployment's allowlist", () => {
    const loud = alerts.filter((a) => a.status === 'live' && SEVERITIES.indexOf(a.severity) >= MEDIUM);
    expect(loud.map(describeAlert)).toEqual([]);
  });

  it('needs every allowlist entry, and without them is loud only on what they allow', () => {
    const reasons = Object.entries(tuning).flatMap(([id, t]) => (t.allow ?? []).map((e) => `${id}: ${e.reason}`));
    const used = Object.entries(summary.allowlisted).flatMap(([id, byReason]) => Object.keys(byReason).map((r) => `${id}: ${r}`));
    expect(used.sort()).toEqual(reasons.sort());
    const loud = untunedAlerts.filter((a) => a.status === 'live' && SEVERITIES.indexOf(a.severity) >= MEDIUM);
    expect([...new Set(loud.map((a) => a.ruleId))].sort()).toEqual(Object.keys(summary.allowlisted).sort());
    expect(untuned.events).toBe(summary.events);
  });

  it('sends only grouped change-monitoring alerts at low severity, a handful in all', () => {
    const low = alerts.filter((a) => a.status === 'live' && SEVERITIES.indexOf(a.severity) < MEDIUM);
    const notChangeMonitoring = low.filter((a) => !(rules.find((r) => r.id === a.ruleId)?.cis ?? []).some((c) => CHANGE_MONITORING.has(c)));
    expect(notChangeMonitoring.map(describeAlert)).toEqual([]);
    // One first alert per rule, principal and hour: a deploy that touches 40 security groups is one alert.
    const firsts = low.filter((a) => a.kind !== 'summary');
    const perHour = new Map<string, string[]>();
    for (const a of firsts) {
      const key = `${a.ruleId} ${a.actor.name} ${a.eventTime.slice(0, 13)}`;
      perHour.set(key, [...(perHour.get(key) ?? []), a.summary]);
    }
    expect([...perHour].filter(([, s]) => s.length > 1)).toEqual([]);
    expect(low.length, low.map(describeAlert).join('\n')).toBeLessThanOrEqual(MAX_LOW_ALERTS);
  });
});

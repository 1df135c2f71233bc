/**
 * How loud the rule pack is: alerts per day, by severity and by rule, when the benchmark generator's
 * history (bench/data/logs: everyday traffic plus the planted incidents the manifest lists) and the
 * committed everyday-activity corpus (test/fixtures/everyday, one day) are replayed through the whole
 * pipeline (`runReplay`: EventBridge routing, every live rule, incidents, bursts, follow-ups).
 *
 *   tsx bench/alerts-per-day.ts [--data bench/data/logs] [--json <file>]
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { Alert } from '../lib/alert/alert.js';
import { SEVERITIES, type Severity } from '../lib/detection/rule.js';
import { runReplay } from '../lib/replay/run.js';
import { rules } from '../rules/index.js';
import { DEFAULT_LOGS_DIR, REPO_DIR, RESULTS_DIR, fmtInt, readManifest } from './common.js';

export interface NoiseCount {
  events: number;
  days: number;
  /** Live alerts (first alerts and follow-ups) per day, by severity. */
  perDayBySeverity: Record<Severity, number>;
  /** Live alerts over the whole input, per rule: first alerts and follow-ups. */
  perRule: Record<string, { severity: Severity; alerts: number; followUps: number }>;
}

export interface AlertsPerDayResults {
  generator: NoiseCount & { source: string; plantedAlerts: number };
  everyday: NoiseCount;
}

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: DEFAULT_LOGS_DIR },
    json: { type: 'string', default: path.join(RESULTS_DIR, 'alerts-per-day.json') },
  },
  strict: true,
});

async function count(paths: string[], days: number): Promise<NoiseCount> {
  const alerts: Alert[] = [];
  const summary = await runReplay({ paths, rules, onAlert: (a) => alerts.push(a) });
  const live = alerts.filter((a) => a.status === 'live');
  const perDayBySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, live.filter((a) => a.severity === s).length / days])) as Record<Severity, number>;
  const perRule: NoiseCount['perRule'] = {};
  for (const a of live) {
    const r = (perRule[a.ruleId] ??= { severity: a.severity, alerts: 0, followUps: 0 });
    if (a.kind === 'summary') r.followUps += 1;
    else r.alerts += 1;
  }
  return { events: summary.events, days, perDayBySeverity, perRule };
}

/** The everyday corpus in one time-ordered log, as a trail delivers it (see test/everyday). */
function everydayLog(dir: string): string {
  const src = path.join(REPO_DIR, 'test', 'fixtures', 'everyday');
  const records = readdirSync(src)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => (JSON.parse(readFileSync(path.join(src, f), 'utf8')) as { Records: Array<{ eventTime: string }> }).Records)
    .sort((a, b) => a.eventTime.localeCompare(b.eventTime));
  const file = path.join(dir, 'everyday.json');
  writeFileSync(file, JSON.stringify({ Records: records }));
  return file;
}

function print(name: string, c: NoiseCount): void {
  console.log(`  ${name}: ${fmtInt(c.events)} events over ${c.days} day(s); live alerts per day: ${SEVERITIES.map((s) => `${s} ${c.perDayBySeverity[s].toFixed(1)}`).join(', ')}`);
  for (const [id, r] of Object.entries(c.perRule).sort((a, b) => b[1].alerts + b[1].followUps - (a[1].alerts + a[1].followUps))) {
    console.log(`    ${id.padEnd(36)} ${r.severity.padEnd(8)} ${String(r.alerts).padStart(6)} alerts ${String(r.followUps).padStart(6)} follow-ups`);
  }
}

async function main(): Promise<void> {
  const dataDir = path.resolve(args.data);
  const manifest = readManifest(dataDir);
  if (!manifest) throw new Error(`no generated data in ${dataDir}: run npm run bench:generate first`);
  const days = (Date.parse(manifest.end) - Date.parse(manifest.start)) / 86_400_000;
  console.log(`alerts per day: ${rules.length} rules (${rules.filter((r) => r.status === 'live').length} live)`);
  const generator = { ...(await count([dataDir], days)), source: path.relative(REPO_DIR, dataDir), plantedAlerts: Object.values(manifest.expectedAlerts).reduce((a, b) => a + b, 0) };
  print(`generator (${generator.source})`, generator);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'trailwatch-everyday-'));
  let everyday: NoiseCount;
  try {
    everyday = await count([everydayLog(tmp)], 1);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  print('everyday corpus (test/fixtures/everyday)', everyday);
  const results: AlertsPerDayResults = { generator, everyday };
  mkdirSync(path.dirname(args.json), { recursive: true });
  writeFileSync(args.json, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`  results: ${args.json}`);
}

await main();

/**
 * How loud the rule pack is: alerts per day, by severity and by rule, when the benchmark generator's
 * history (bench/data/logs: everyday traffic plus the planted incidents the manifest lists) and the
 * committed everyday-activity corpus (test/fixtures/everyday, one day) are replayed through the whole
 * pipeline (`runReplay`: EventBridge routing, every live rule, incidents, bursts, follow-ups); then
 * both again with their deployment's allowlist (`--tuning` for the generator's estate,
 * `--everyday-tuning` for the corpus). The untuned replay of the generator is also checked against
 * what the manifest planted, rule by rule (matches, first alerts, follow-ups).
 *
 *   tsx bench/alerts-per-day.ts [--data bench/data/logs] [--tuning bench/generator-tuning.json]
 *     [--everyday-tuning test/everyday/deployment-tuning.json] [--json <file>]
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { Alert } from '../lib/alert/alert.js';
import { SEVERITIES, type Severity } from '../lib/detection/rule.js';
import { parseRuleTuning, type RuleTuningConfig } from '../lib/detection/tuning.js';
import { runReplay, type ReplaySummary } from '../lib/replay/run.js';
import { rules } from '../rules/index.js';
import { DEFAULT_LOGS_DIR, REPO_DIR, RESULTS_DIR, fmtInt, readManifest, type Manifest } from './common.js';

export interface NoiseCount {
  events: number;
  days: number;
  /** Live alerts (first alerts and follow-ups) per day, by severity. */
  perDayBySeverity: Record<Severity, number>;
  /** Live alerts over the whole input, per rule: first alerts and follow-ups. */
  perRule: Record<string, { severity: Severity; alerts: number; followUps: number }>;
}

/** One planted rule: what the replay found against what the generator planted. */
export interface PlantedCheck {
  rule: string;
  matched: number;
  plantedMatches: number;
  firstAlerts: number;
  plannedFirstAlerts: number;
  followUps: number;
  plannedFollowUps: number;
  ok: boolean;
}

export interface AlertsPerDayResults {
  generator: NoiseCount & { source: string; plantedAlerts: number };
  everyday: NoiseCount;
  /** The same inputs with their deployment's allowlist (the file each was tuned with, relative to the repository). */
  tuned?: { generator: NoiseCount & { tuning: string }; everyday: NoiseCount & { tuning: string } };
  /** The planted incidents' first alerts and follow-ups, per day by severity (the rest of the generator's alerts is everyday noise). */
  plantedPerDayBySeverity?: Record<Severity, number>;
  planted?: PlantedCheck[];
}

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: DEFAULT_LOGS_DIR },
    tuning: { type: 'string', default: path.join('bench', 'generator-tuning.json') },
    'everyday-tuning': { type: 'string', default: path.join('test', 'everyday', 'deployment-tuning.json') },
    json: { type: 'string', default: path.join(RESULTS_DIR, 'alerts-per-day.json') },
  },
  strict: true,
});

async function count(paths: string[], days: number, overrides?: RuleTuningConfig): Promise<NoiseCount & { alerts: Alert[]; summary: ReplaySummary }> {
  const alerts: Alert[] = [];
  const summary = await runReplay({ paths, rules, ...(overrides ? { overrides } : {}), onAlert: (a) => alerts.push(a) });
  const live = alerts.filter((a) => a.status === 'live');
  const perDayBySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, live.filter((a) => a.severity === s).length / days])) as Record<Severity, number>;
  const perRule: NoiseCount['perRule'] = {};
  for (const a of live) {
    const r = (perRule[a.ruleId] ??= { severity: a.severity, alerts: 0, followUps: 0 });
    if (a.kind === 'summary') r.followUps += 1;
    else r.alerts += 1;
  }
  return { events: summary.events, days, perDayBySeverity, perRule, alerts, summary };
}

const noise = ({ events, days, perDayBySeverity, perRule }: NoiseCount): NoiseCount => ({ events, days, perDayBySeverity, perRule });

/** Rule by rule, what the replay matched and alerted against what the generator planted (as test/replay/generated-history.test.ts checks on a small history). */
function checkPlanted(manifest: Manifest, summary: ReplaySummary, alerts: readonly Alert[]): PlantedCheck[] {
  const planned = [...new Set([...Object.keys(manifest.expectedMatches), ...Object.keys(manifest.expectedAlerts)])].sort();
  return planned.map((rule) => {
    const c = {
      rule,
      matched: summary.perRule[rule]?.matched ?? 0,
      plantedMatches: manifest.expectedMatches[rule] ?? 0,
      firstAlerts: alerts.filter((a) => a.ruleId === rule && a.kind !== 'summary').length,
      plannedFirstAlerts: manifest.expectedAlerts[rule] ?? 0,
      followUps: alerts.filter((a) => a.ruleId === rule && a.kind === 'summary').length,
      plannedFollowUps: manifest.expectedGroupedIncidents[rule] ?? 0,
    };
    return { ...c, ok: c.matched === c.plantedMatches && c.firstAlerts === c.plannedFirstAlerts && c.followUps === c.plannedFollowUps };
  });
}

function plantedPerDay(manifest: Manifest, days: number): Record<Severity, number> {
  const severity = new Map(rules.map((r) => [r.id, r.severity]));
  const out = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const [id, n] of Object.entries(manifest.expectedAlerts)) {
    const sev = severity.get(id);
    if (sev) out[sev] += (n + (manifest.expectedGroupedIncidents[id] ?? 0)) / days;
  }
  return out;
}

const readTuning = (file: string): RuleTuningConfig => parseRuleTuning(readFileSync(path.resolve(REPO_DIR, file), 'utf8'), rules);

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
  const untuned = await count([dataDir], days);
  const generator = { ...noise(untuned), source: path.relative(REPO_DIR, dataDir), plantedAlerts: Object.values(manifest.expectedAlerts).reduce((a, b) => a + b, 0) };
  print(`generator (${generator.source})`, generator);
  const planted = checkPlanted(manifest, untuned.summary, untuned.alerts);
  for (const c of planted) {
    console.log(`    ${c.ok ? 'ok  ' : 'DIFF'} ${c.rule}: matched ${c.matched} (planted ${c.plantedMatches}), first alerts ${c.firstAlerts} (planned ${c.plannedFirstAlerts}), follow-ups ${c.followUps} (planned ${c.plannedFollowUps})`);
  }
  const tunedGenerator = { ...noise(await count([dataDir], days, readTuning(args.tuning))), tuning: path.relative(REPO_DIR, path.resolve(REPO_DIR, args.tuning)) };
  print(`generator with ${tunedGenerator.tuning}`, tunedGenerator);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'trailwatch-everyday-'));
  let everyday: NoiseCount;
  let tunedEveryday: NoiseCount & { tuning: string };
  try {
    const log = everydayLog(tmp);
    everyday = noise(await count([log], 1));
    tunedEveryday = { ...noise(await count([log], 1, readTuning(args['everyday-tuning']))), tuning: path.relative(REPO_DIR, path.resolve(REPO_DIR, args['everyday-tuning'])) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  print('everyday corpus (test/fixtures/everyday)', everyday);
  print(`everyday corpus with ${tunedEveryday.tuning}`, tunedEveryday);
  const results: AlertsPerDayResults = {
    generator,
    everyday,
    tuned: { generator: tunedGenerator, everyday: tunedEveryday },
    plantedPerDayBySeverity: plantedPerDay(manifest, days),
    planted,
  };
  mkdirSync(path.dirname(args.json), { recursive: true });
  writeFileSync(args.json, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`  results: ${args.json}`);
}

await main();

/**
 * Per-event cost of the rule pack on a warm handler.
 *
 * Loads CloudTrail records from the generated data (every n-th file, so all accounts, regions and
 * hours are represented), or from test/fixtures when there is none; wraps each with `asEnvelope` as
 * replay does; warms up; then times, per event:
 *   - evaluate(compileRules(rules), event): every rule's EventBridge pattern and predicate;
 *   - each rule alone (where the evaluate time goes);
 *   - parseTrailEvent(event): the envelope checks process() makes first;
 *   - createDetector({ rules }).process(event) with the stateless policy: checks, evaluation, alerts
 *     built for matches, awaited one event at a time as the handler does.
 * Distinct events are loaded once (--sample, default 100,000) and evaluated in several passes, for
 * --events evaluations in total (default 300,000).
 *
 *   tsx bench/rule-eval.ts [--data bench/data/logs] [--sample 100000] [--events 300000] [--json <file>]
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { parseTrailEvent } from '../lib/cloudtrail/envelope.js';
import type { TrailEvent } from '../lib/cloudtrail/types.js';
import { asEnvelope } from '../lib/cloudtrail/wrap.js';
import { createDetector } from '../lib/handlers/pipeline.js';
import { compileRules, evaluate } from '../lib/detection/evaluate.js';
import { rules } from '../rules/index.js';
import { DEFAULT_LOGS_DIR, REPO_DIR, RESULTS_DIR, fmtInt, listLogFiles, machineInfo, readManifest, type MachineInfo } from './common.js';

export interface RuleEvalResults {
  machine: MachineInfo;
  source: string;
  distinctEvents: number;
  evaluations: number;
  compileRulesMs: number;
  usPerEvent: { asEnvelope: number; evaluate: number; parseTrailEvent: number; process: number };
  /**
   * The whole pack's evaluate in CPU time (process.cpuUsage, user + system) per event: on a shared
   * machine other processes inflate wall time, not the CPU this process spent.
   */
  evaluateCpuUs: number;
  perRuleUs: Record<string, number>;
  matchesPerPass: number;
  alertsPerPass: number;
}

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: DEFAULT_LOGS_DIR },
    sample: { type: 'string', default: '100000' },
    events: { type: 'string', default: '300000' },
    json: { type: 'string', default: path.join(RESULTS_DIR, 'rule-eval.json') },
  },
  strict: true,
});

function loadRecords(want: number): { records: unknown[]; source: string } {
  const dataDir = path.resolve(args.data);
  const manifest = readManifest(dataDir);
  if (manifest) {
    const files = listLogFiles(dataDir);
    // Every n-th file, so the sample spans the whole history rather than its first hour.
    const step = Math.max(1, Math.floor(manifest.events / want / 1.05));
    const records: unknown[] = [];
    for (let i = 0; i < files.length && records.length < want; i += step) {
      const doc = JSON.parse(gunzipSync(readFileSync(files[i] as string)).toString('utf8')) as { Records: unknown[] };
      for (const r of doc.Records) if (records.length < want) records.push(r);
    }
    return { records, source: `${path.relative(REPO_DIR, dataDir)} (every ${step}th file)` };
  }
  const dir = path.join(REPO_DIR, 'test', 'fixtures', 'stratus-red-team');
  const all: unknown[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) all.push(...(JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as unknown[]));
  // Few real records: repeat them (each wrap gets its own envelope object) up to the sample size.
  const records: unknown[] = [];
  for (let i = 0; records.length < want; i++) records.push(structuredClone(all[i % all.length]));
  return { records, source: `test/fixtures/stratus-red-team (${all.length} records, repeated)` };
}

/** µs per item of fn over events, `passes` times over the list. */
function timeLoop(events: readonly TrailEvent[], passes: number, fn: (e: TrailEvent) => number): { us: number; cpuUs: number; sink: number } {
  let sink = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let p = 0; p < passes; p++) for (let i = 0; i < events.length; i++) sink += fn(events[i] as TrailEvent);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const n = events.length * passes;
  return { us: (ms * 1000) / n, cpuUs: (cpu.user + cpu.system) / n, sink };
}

async function timeAsync(events: readonly TrailEvent[], passes: number, fn: (e: TrailEvent) => Promise<number>): Promise<{ us: number; sink: number }> {
  let sink = 0;
  const t0 = performance.now();
  for (let p = 0; p < passes; p++) for (let i = 0; i < events.length; i++) sink += await fn(events[i] as TrailEvent);
  const ms = performance.now() - t0;
  return { us: (ms * 1000) / (events.length * passes), sink };
}

async function main(): Promise<void> {
  const sample = Math.max(1000, Number(args.sample));
  const evaluations = Math.max(sample, Number(args.events));
  const passes = Math.ceil(evaluations / sample);

  const { records, source } = loadRecords(sample);
  const events: TrailEvent[] = [];
  for (const r of records) {
    const e = asEnvelope(r);
    if (e) events.push(e);
  }
  console.log(`rule evaluation: ${fmtInt(events.length)} distinct events from ${source}, ${passes} passes (${fmtInt(events.length * passes)} evaluations), ${rules.length} rules, ${process.version}`);

  const tCompile = performance.now();
  const compiled = compileRules(rules);
  const compileRulesMs = performance.now() - tCompile;
  const detector = createDetector({ rules });

  // Warm-up: every path JIT-compiled before anything is timed.
  const warm = events.slice(0, Math.min(events.length, 20_000));
  for (let k = 0; k < 3; k++) {
    for (const e of warm) evaluate(compiled, e);
    for (const e of warm) parseTrailEvent(e);
    for (const e of warm) await detector.process(e);
    for (let i = 0; i < warm.length; i++) asEnvelope(records[i]);
  }

  // asEnvelope makes a new envelope (and its SHA-256 id) per call, as replay does per record.
  const wrapUs = timeLoop(records as TrailEvent[], passes, (r) => (asEnvelope(r) ? 1 : 0)).us;

  const evalRun = timeLoop(events, passes, (e) => evaluate(compiled, e).matched.length);
  const perRuleUs: Record<string, number> = {};
  for (const c of compiled) {
    const one = [c];
    perRuleUs[c.rule.id] = timeLoop(events, passes, (e) => evaluate(one, e).matched.length).us;
  }
  const parseRun = timeLoop(events, passes, (e) => (parseTrailEvent(e) === e ? 1 : 0));
  let alerts = 0;
  const procRun = await timeAsync(events, passes, async (e) => {
    const r = await detector.process(e);
    alerts += r.alerts.length;
    return r.matched.length;
  });
  // Evaluate again last, so JIT or GC drift between first and last shows (reported as the mean of both).
  const evalRun2 = timeLoop(events, passes, (e) => evaluate(compiled, e).matched.length);
  const evaluateUs = (evalRun.us + evalRun2.us) / 2;
  const evaluateCpuUs = (evalRun.cpuUs + evalRun2.cpuUs) / 2;

  const matchesPerPass = evalRun.sink / passes;
  console.log(`  compileRules: ${compileRulesMs.toFixed(2)} ms (once, at cold start)`);
  console.log(`  asEnvelope (raw record -> envelope, replay only):  ${wrapUs.toFixed(3)} us/event`);
  console.log(`  evaluate(all ${compiled.length} rules):                      ${evaluateUs.toFixed(3)} us/event (${evalRun.us.toFixed(3)} first, ${evalRun2.us.toFixed(3)} last); ${fmtInt(matchesPerPass)} matches per pass; CPU time ${evaluateCpuUs.toFixed(3)} us/event`);
  for (const [id, us] of Object.entries(perRuleUs)) console.log(`    ${id.padEnd(34)} ${us.toFixed(3)} us/event`);
  console.log(`  parseTrailEvent (envelope checks):                ${parseRun.us.toFixed(3)} us/event`);
  console.log(`  detector.process (stateless policy, awaited):     ${procRun.us.toFixed(3)} us/event (${fmtInt(alerts / passes)} alerts built per pass)`);
  console.log(`    of which evaluate ${((100 * evaluateUs) / procRun.us).toFixed(0)}%, parseTrailEvent ${((100 * parseRun.us) / procRun.us).toFixed(0)}%`);

  const results: RuleEvalResults = {
    machine: machineInfo(),
    source,
    distinctEvents: events.length,
    evaluations: events.length * passes,
    compileRulesMs,
    usPerEvent: { asEnvelope: wrapUs, evaluate: evaluateUs, parseTrailEvent: parseRun.us, process: procRun.us },
    evaluateCpuUs,
    perRuleUs,
    matchesPerPass,
    alertsPerPass: alerts / passes,
  };
  mkdirSync(path.dirname(args.json), { recursive: true });
  writeFileSync(args.json, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`  results: ${args.json}`);
}

await main();

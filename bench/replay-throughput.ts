/**
 * Replay throughput and memory, in one run, on the same generated CloudTrail files:
 *
 * - baseline: read every file, gunzip, JSON.parse, count Records: the floor any replay pays;
 * - replay: `runReplay` from lib/replay/run.ts (event-time order, every live rule, embedded state,
 *   follow-ups), over the whole data set (the logs directory) and over its first half (files by
 *   delivery stamp), to show peak memory does not grow with the length of the history.
 *
 * Each measurement runs in its own child process (Node 24, no TypeScript loader: the worker is
 * bundled with esbuild first), so peak RSS is that measurement's alone. Rounds are interleaved
 * (baseline, replay, replay half; repeat) so drift hits every variant alike; medians are reported.
 *
 * Then two diagnostic runs, not counted in the numbers above: a full replay with `order: 'input'`
 * (what the event-time reorder buffer costs, and whether alerts change without it), and a full
 * replay under `--cpu-prof` saying where the time goes by source module (bench/profile.ts);
 * --no-profile skips the latter.
 *
 *   tsx bench/replay-throughput.ts [--data bench/data/logs] [--runs 3] [--no-profile] [--json <file>]
 *
 * Not a step of `npm run bench` any more (bench/replay-workers.ts measures the replay against the same
 * floor, and bench/alerts-per-day.ts checks the planted incidents): run it by hand for the profile.
 */
import { spawnSync } from 'node:child_process';
import { NODE_FLAGS } from '../bin/node-flags.mjs';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import {
  BENCH_DIR,
  BUILD_DIR,
  DEFAULT_LOGS_DIR,
  RESULTS_DIR,
  fmtBytes,
  fmtInt,
  listLogFiles,
  machineInfo,
  node24,
  readManifest,
  summarize,
  type MachineInfo,
  type Manifest,
} from './common.js';
import { attributeProfile, type ProfileAttribution } from './profile.js';
import type { WorkerResult } from './replay-worker.js';

export const RATIO_TARGET = 0.5;
export const RSS_TARGET_MB = 256;

export interface ThroughputResults {
  machine: MachineInfo;
  data: { dir: string; files: number; events: number; gzipBytes: number; jsonBytes: number; halfFiles: number };
  runs: number;
  baseline: WorkerResult[];
  replayFull: WorkerResult[];
  replayHalf: WorkerResult[];
  /** One full replay with order: 'input', and whether it alerted exactly as the event-time replay. */
  replayInput?: WorkerResult & { sameAlerts: boolean };
  medians: { baselineEps: number; replayEps: number; replayHalfEps: number; ratio: number };
  peakRssMB: { full: number; half: number; fullMedian: number; halfMedian: number; baseline: number };
  alerting: { ok: boolean; lines: string[] };
  profile?: ProfileAttribution & { replayMs: number };
}

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: DEFAULT_LOGS_DIR },
    runs: { type: 'string', default: '3' },
    'no-profile': { type: 'boolean', default: false },
    json: { type: 'string', default: path.join(RESULTS_DIR, 'replay-throughput.json') },
  },
  strict: true,
});

const MB = 1024; // maxRSS is in KB

async function bundleWorker(): Promise<string> {
  mkdirSync(BUILD_DIR, { recursive: true });
  const outfile = path.join(BUILD_DIR, 'replay-worker.mjs');
  await build({
    entryPoints: [path.join(BENCH_DIR, 'replay-worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    // Dependencies stay in node_modules (resolved from bench/data/.build upwards), as in `npx trailwatch`.
    packages: 'external',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

/** Baseline and replay both run under the flags `trailwatch` itself uses (bin/node-flags.mjs): like for like. */
function runWorker(node: string, worker: string, mode: WorkerResult['mode'], listFile: string, nodeFlags: string[] = []): WorkerResult {
  const child = spawnSync(node, [...NODE_FLAGS, ...nodeFlags, worker, mode, listFile], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20, stdio: ['ignore', 'pipe', 'inherit'] });
  if (child.status !== 0) throw new Error(`worker ${mode} failed with status ${child.status}${child.signal ? ` (${child.signal})` : ''}`);
  const last = child.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as WorkerResult;
}

/** Two-level records (rule -> counts) as text that does not depend on key order. */
function canonical(value: Record<string, object> | undefined): string {
  return JSON.stringify(Object.entries(value ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))]));
}

/** Compares what the full replay found with what the generator planted. */
function checkAlerting(run: WorkerResult, manifest: Manifest): { ok: boolean; lines: string[] } {
  const lines: string[] = [];
  let ok = true;
  const perRule = run.summary?.perRule ?? {};
  const byKind = run.alertsByRuleAndKind ?? {};
  // The generator plans incidents for the rules its manifest names; the others (the rule pack) are
  // listed apart, their noise is measured by bench/alerts-per-day.ts.
  const planned = new Set([...Object.keys(manifest.expectedMatches), ...Object.keys(manifest.expectedAlerts)]);
  const rules = new Set([...planned, ...Object.keys(perRule)]);
  for (const rule of [...rules].sort()) {
    if (!planned.has(rule)) {
      const kinds = byKind[rule] ?? {};
      const alerts = Object.values(kinds).reduce((a, b) => a + b, 0);
      if ((perRule[rule]?.matched ?? 0) > 0) lines.push(`n/a  ${rule}: matched ${perRule[rule]?.matched ?? 0}, ${alerts} alerts (no incident planned for it; see alerts per day)`);
      continue;
    }
    const matched = perRule[rule]?.matched ?? 0;
    const kinds = byKind[rule] ?? {};
    const first = (kinds['match'] ?? 0) + (kinds['threshold'] ?? 0);
    const followUps = kinds['summary'] ?? 0;
    const wantMatched = manifest.expectedMatches[rule] ?? 0;
    const wantFirst = manifest.expectedAlerts[rule] ?? 0;
    const wantFollowUps = manifest.expectedGroupedIncidents[rule] ?? 0;
    if (matched === 0 && wantMatched === 0 && first === 0 && wantFirst === 0) continue;
    const good = matched === wantMatched && first === wantFirst && followUps === wantFollowUps;
    ok &&= good;
    lines.push(
      `${good ? 'ok  ' : 'DIFF'} ${rule}: matched ${matched} (planted ${wantMatched}), first alerts ${first} (planned ${wantFirst}), follow-ups ${followUps} (incidents with grouped matches ${wantFollowUps})`,
    );
  }
  return { ok, lines };
}

async function main(): Promise<void> {
  const dataDir = path.resolve(args.data);
  const runs = Math.max(1, Number(args.runs));
  const manifest = readManifest(dataDir);
  if (!manifest) throw new Error(`no generated data in ${dataDir}: run \`tsx bench/generate.ts\` first`);
  const node = node24();
  const nodeVersion = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();

  const files = listLogFiles(dataDir);
  const half = files.slice(0, Math.ceil(files.length / 2));
  mkdirSync(BUILD_DIR, { recursive: true });
  const fullList = path.join(BUILD_DIR, 'paths-full.json');
  const halfList = path.join(BUILD_DIR, 'paths-half.json');
  writeFileSync(fullList, JSON.stringify([dataDir])); // the directory, as a user would pass it
  writeFileSync(halfList, JSON.stringify(half));
  const worker = await bundleWorker();

  console.log(`replay throughput: ${fmtInt(manifest.events)} events in ${fmtInt(files.length)} files (${fmtBytes(manifest.gzipBytes)} gzip, ${fmtBytes(manifest.jsonBytes)} JSON), ${runs} round(s), ${nodeVersion}`);
  // Same page-cache state for everything: read every file once first.
  let warm = 0;
  for (const f of files) warm += readFileSync(f).length;
  console.log(`  page cache warmed (${fmtBytes(warm)})`);

  const baseline: WorkerResult[] = [];
  const replayFull: WorkerResult[] = [];
  const replayHalf: WorkerResult[] = [];
  for (let round = 1; round <= runs; round++) {
    const b = runWorker(node, worker, 'baseline', fullList);
    baseline.push(b);
    console.log(`  round ${round}: baseline     ${fmtInt(b.eventsPerSec).padStart(9)} events/s  ${(b.elapsedMs / 1000).toFixed(1)} s  peak RSS ${fmtInt(b.maxRssKB / MB)} MB`);
    const r = runWorker(node, worker, 'replay', fullList);
    replayFull.push(r);
    console.log(`  round ${round}: replay       ${fmtInt(r.eventsPerSec).padStart(9)} events/s  ${(r.elapsedMs / 1000).toFixed(1)} s  peak RSS ${fmtInt(r.maxRssKB / MB)} MB  (${r.summary?.alerts ?? 0} alerts)`);
    const h = runWorker(node, worker, 'replay', halfList);
    replayHalf.push(h);
    console.log(`  round ${round}: replay half  ${fmtInt(h.eventsPerSec).padStart(9)} events/s  ${(h.elapsedMs / 1000).toFixed(1)} s  peak RSS ${fmtInt(h.maxRssKB / MB)} MB  (${fmtInt(h.events)} events)`);
  }

  const med = (rs: WorkerResult[], f: (r: WorkerResult) => number): number => summarize(rs.map(f)).median;
  const baselineEps = med(baseline, (r) => r.eventsPerSec);
  const replayEps = med(replayFull, (r) => r.eventsPerSec);
  const replayHalfEps = med(replayHalf, (r) => r.eventsPerSec);
  const ratio = replayEps / baselineEps;
  const peak = {
    full: Math.max(...replayFull.map((r) => r.maxRssKB)) / MB,
    half: Math.max(...replayHalf.map((r) => r.maxRssKB)) / MB,
    fullMedian: med(replayFull, (r) => r.maxRssKB) / MB,
    halfMedian: med(replayHalf, (r) => r.maxRssKB) / MB,
    baseline: Math.max(...baseline.map((r) => r.maxRssKB)) / MB,
  };
  const firstFull = replayFull[0] as WorkerResult;

  const input = runWorker(node, worker, 'replay-input', fullList);
  const sameAlerts =
    canonical(input.alertsByRuleAndKind) === canonical(firstFull.alertsByRuleAndKind) && canonical(input.summary?.perRule) === canonical(firstFull.summary?.perRule);
  const replayInput = { ...input, sameAlerts };

  let profile: ThroughputResults['profile'];
  if (!args['no-profile']) {
    const dir = path.join(BUILD_DIR, 'cpu-profile');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const run = runWorker(node, worker, 'replay', fullList, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (file) profile = { ...attributeProfile(path.join(dir, file), worker), replayMs: run.elapsedMs };
  }
  const alerting = checkAlerting(firstFull, manifest);

  // RSS over the run (first full replay), at a few points, to show it levels off.
  const trace = firstFull.rssTrace ?? [];
  const points = [0.1, 0.25, 0.5, 0.75, 1].map((q) => trace[Math.min(trace.length - 1, Math.max(0, Math.round(q * trace.length) - 1))]);

  console.log('');
  console.log(`  baseline (read+gunzip+JSON.parse)  ${fmtInt(baselineEps)} events/s (median)`);
  console.log(`  trailwatch replay                  ${fmtInt(replayEps)} events/s (median); half the data ${fmtInt(replayHalfEps)} events/s`);
  console.log(`  ratio replay/baseline              ${ratio.toFixed(2)} (target >= ${RATIO_TARGET}: ${ratio >= RATIO_TARGET ? 'pass' : 'FAIL'})`);
  console.log(`  replay peak RSS, all data          ${fmtInt(peak.full)} MB max, ${fmtInt(peak.fullMedian)} MB median (target < ${RSS_TARGET_MB} MB: ${peak.full < RSS_TARGET_MB ? 'pass' : 'FAIL'})`);
  console.log(`  replay peak RSS, half the data     ${fmtInt(peak.half)} MB max, ${fmtInt(peak.halfMedian)} MB median (growth full/half: ${(peak.fullMedian / peak.halfMedian).toFixed(2)}x)`);
  console.log(`  baseline peak RSS (reference)      ${fmtInt(peak.baseline)} MB`);
  console.log(
    `  RSS during the full replay: ${points
      .filter((p) => p !== undefined)
      .map((p) => `${fmtInt(p.events / 1000)}k ev: ${fmtInt(p.rssMB)} MB (V8 heap ${fmtInt(p.heapTotalMB)} MB, used ${fmtInt(p.heapUsedMB)})`)
      .join('; ')}`,
  );
  console.log(
    `  diagnostic, replay with order 'input' (no reorder buffer): ${fmtInt(replayInput.eventsPerSec)} events/s, peak RSS ${fmtInt(replayInput.maxRssKB / MB)} MB, alerts ${replayInput.sameAlerts ? 'identical to' : 'DIFFERENT from'} the event-time replay`,
  );
  console.log(`  alerting vs what the generator planted: ${alerting.ok ? 'as planned' : 'DIFFERENT'}`);
  for (const line of alerting.lines) console.log(`    ${line}`);
  if (profile) {
    console.log(`  where the replay's time goes (one extra profiled full replay, ${(profile.replayMs / 1000).toFixed(1)} s; self time by module):`);
    for (const m of profile.byModule.slice(0, 12)) console.log(`    ${(100 * m.share).toFixed(1).padStart(5)}%  ${m.module}`);
    console.log('    hottest functions:');
    for (const f of profile.topFunctions.slice(0, 10)) console.log(`    ${(100 * f.share).toFixed(1).padStart(5)}%  ${f.fn} (${f.module})`);
  }

  const results: ThroughputResults = {
    machine: machineInfo(nodeVersion),
    data: { dir: dataDir, files: files.length, events: manifest.events, gzipBytes: manifest.gzipBytes, jsonBytes: manifest.jsonBytes, halfFiles: half.length },
    runs,
    baseline,
    replayFull,
    replayHalf,
    replayInput,
    medians: { baselineEps, replayEps, replayHalfEps, ratio },
    peakRssMB: peak,
    alerting,
    ...(profile ? { profile } : {}),
  };
  mkdirSync(path.dirname(args.json), { recursive: true });
  writeFileSync(args.json, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`  results: ${args.json}`);
}

await main();

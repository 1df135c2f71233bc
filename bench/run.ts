/**
 * Runs every benchmark in sequence and writes bench/RESULTS.md.
 *
 *   tsx bench/run.ts [--events 1000000] [--seed 1] [--regenerate] [--runs 3] [--cold-runs 30]
 *
 * 1. bench/generate.ts, unless bench/data/logs already holds the same data (same seed and size);
 * 2. bench/replay-throughput.ts (baseline vs replay, peak RSS on all and half the data, profile);
 * 3. bench/cold-start.ts (detect bundle size, process start with and without the bundle);
 * 4. bench/rule-eval.ts (per-event cost of the rule pack);
 * 5. bench/alerts-per-day.ts (alerts per day by severity on the generator's mix and the everyday corpus);
 * 6. bench/cost.ts (cost per million events as deployed, with the container assumptions varied);
 * 7. bench/replay-workers.ts (replay with --workers 0 and one worker per core against the one-thread
 *    floor, peak RSS on the first 250,000 events and on all); `--only replay-workers` runs just this
 *    step and rewrites just its section.
 * Each runs as its own Node 24 process (through tsx); their JSON results go to bench/data/results/.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { AlertsPerDayResults, NoiseCount } from './alerts-per-day.js';
import type { ColdStartResults } from './cold-start.js';
import { PACK_TARGET_MS, BENCH_DIR, DEFAULT_LOGS_DIR, REPO_DIR, RESULTS_DIR, fmtBytes, fmtInt, fmtMs, node24, readManifest, type Manifest } from './common.js';
import type { ThroughputResults } from './replay-throughput.js';
import type { RuleEvalResults } from './rule-eval.js';
import { costMarkdown, type CostResult } from './cost.js';
import { replayWorkersSection, spliceSection } from './replay-workers-report.js';
import type { WorkersResults } from './replay-workers.js';

const RATIO_TARGET = 0.5;
const RSS_TARGET_MB = 256;
/** Issue 10: `detect` import cost over bare Node. */
const IMPORT_TARGET_MS = 30;
/** The whole rule pack on one event (issue 7). */
const PACK_EVAL_TARGET_US = 20;
/** "Does not grow with input": peak RSS on all the data within this factor of peak RSS on half. */
const RSS_GROWTH_LIMIT = 1.15;

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
    regenerate: { type: 'boolean', default: false },
    runs: { type: 'string', default: '3' },
    'cold-runs': { type: 'string', default: '30' },
    /** `replay-workers`: run only that step and rewrite only its section of RESULTS.md. */
    only: { type: 'string' },
  },
  strict: true,
});

const node = node24();

function step(name: string, script: string, scriptArgs: string[]): number {
  console.log(`\n=== ${name}: tsx ${path.relative(REPO_DIR, path.join(BENCH_DIR, script))} ${scriptArgs.join(' ')}`);
  const t0 = performance.now();
  const child = spawnSync(node, ['--import', 'tsx', path.join(BENCH_DIR, script), ...scriptArgs], { stdio: 'inherit', cwd: REPO_DIR });
  if (child.status !== 0) throw new Error(`${script} failed (status ${child.status}${child.signal ? `, ${child.signal}` : ''})`);
  const seconds = (performance.now() - t0) / 1000;
  console.log(`=== ${name} took ${seconds.toFixed(0)} s`);
  return seconds;
}

/** The commit measured, and any uncommitted changes outside bench/ (others work in this tree too). */
function codeState(): string {
  const git = (...a: string[]): string => spawnSync('git', a, { cwd: REPO_DIR, encoding: 'utf8' }).stdout?.trim() ?? '';
  const head = git('rev-parse', '--short', 'HEAD') || 'unknown';
  const dirty = git('status', '--porcelain', '--', '.', ':(exclude)bench')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.slice(3));
  return dirty.length ? `commit \`${head}\` plus uncommitted changes to ${dirty.map((f) => `\`${f}\``).join(', ')}` : `commit \`${head}\``;
}

const readJson = <T>(name: string): T => JSON.parse(readFileSync(path.join(RESULTS_DIR, name), 'utf8')) as T;

const GLOSS: Record<string, string> = {
  '(garbage collector)': 'garbage collection',
  '(idle)': 'the main thread idle, waiting for file reads and gunzip on the thread pool',
  'lib/replay/sources/parse.ts': 'lib/replay/sources/parse.ts (mostly the JSON.parse the baseline pays too)',
  'npm: zod': 'zod (envelope and tuning schemas)',
  'node: buffer': 'Buffer decoding (utf8 toString)',
  'node: zlib': 'zlib bindings',
  'node: crypto': 'hashing',
};

function topShares(byModule: Array<{ module: string; share: number }>): string {
  return byModule
    .slice(0, 6)
    .map((x) => `${pct(x.share)} ${GLOSS[x.module] ?? x.module}`)
    .join(', ');
}

const verdict = (ok: boolean): string => (ok ? 'pass' : '**FAIL**');
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

const perDay = (n: NoiseCount): string =>
  (['critical', 'high', 'medium', 'low', 'info'] as const).map((sev) => `${sev} ${n.perDayBySeverity[sev].toFixed(1)}`).join(', ');
const loudPerDay = (n: NoiseCount): number => n.perDayBySeverity.critical + n.perDayBySeverity.high + n.perDayBySeverity.medium;

/** Cold start as a container lives it: import, then its first event (bench/first-invocation.ts). */
function firstInvocationRows(c: ColdStartResults): string[][] {
  const f = c.firstInvocation;
  const full = f?.bundles['full'];
  const base = f?.bundles['baseline'];
  if (!f || !full) return [];
  return [
    [`\`detect\` import + first invocation (\`${f.event}\`: claims, opens an incident, publishes; local HTTPS DynamoDB and SNS)`,
      `median ${fmtMs(full.importMs)} + ${fmtMs(full.invokeMs)} ms wall; CPU ${fmtMs(full.importCpuMs)} + ${fmtMs(full.invokeCpuMs)} ms (process total ${fmtMs(full.totalCpuMs)} ms)`, '—', 'n/a'],
    ...(base ? [[`… what the rule pack adds to import + first invocation (vs the ${c.pack?.baselineRules ?? ''} rules before it)`, `${fmtMs(full.totalCpuMs - base.totalCpuMs)} ms CPU, ${fmtMs(full.totalMs - base.totalMs)} ms wall`, '—', 'n/a']] : []),
  ];
}

function writeReport(m: Manifest, t: ThroughputResults, c: ColdStartResults, r: RuleEvalResults, noise: AlertsPerDayResults, durations: Record<string, number>, code: string): string {
  const machine = t.machine;
  const { baselineEps, replayEps, replayHalfEps, ratio } = t.medians;
  const rss = t.peakRssMB;
  const growth = rss.fullMedian / rss.halfMedian;
  const halfEvents = t.replayHalf[0]?.events ?? 0;
  const variant = (prefix: string) => Object.entries(c.variants).find(([name]) => name.startsWith(prefix))?.[1];
  const bare = variant('a.');
  const req = variant('b.');
  const deployed = variant('c.');
  const inProcess = variant('d.');
  const usBaseline = 1e6 / baselineEps;
  const usReplay = 1e6 / replayEps;
  const trace = t.replayFull[0]?.rssTrace ?? [];
  const lastSample = trace[trace.length - 1];
  const maxHeapUsed = Math.max(0, ...trace.map((s) => s.heapUsedMB));
  const maxHeapTotal = Math.max(0, ...trace.map((s) => s.heapTotalMB));
  const prof = t.profile;

  const rows: string[][] = [
    ['Baseline: read + gunzip + `JSON.parse` every file', `${fmtInt(baselineEps)} events/s (${usBaseline.toFixed(1)} µs/event)`, '—', 'n/a'],
    ['Replay (`runReplay`, all rules, event-time order)', `${fmtInt(replayEps)} events/s (${usReplay.toFixed(1)} µs/event)`, '—', 'n/a'],
    ['Replay / baseline', ratio.toFixed(2), `≥ ${RATIO_TARGET}`, verdict(ratio >= RATIO_TARGET)],
    [`Replay peak RSS, all data (${fmtInt(t.data.events)} events)`, `${fmtInt(rss.fullMedian)} MB median, ${fmtInt(rss.full)} MB max of ${t.runs}`, `< ${RSS_TARGET_MB} MB`, verdict(rss.full < RSS_TARGET_MB)],
    [`Replay peak RSS, first half (${fmtInt(halfEvents)} events)`, `${fmtInt(rss.halfMedian)} MB median, ${fmtInt(rss.half)} MB max`, `< ${RSS_TARGET_MB} MB`, verdict(rss.half < RSS_TARGET_MB)],
    ['Peak RSS growth, all / half the data', `${growth.toFixed(2)}×`, `does not grow (≤ ${RSS_GROWTH_LIMIT}×)`, verdict(growth <= RSS_GROWTH_LIMIT)],
    ['Replay alerts vs incidents the generator planted', t.alerting.ok ? 'exactly as planned' : 'different (see below)', 'as planned', verdict(t.alerting.ok)],
    ['`detect` bundle (minified CJS)', `${fmtBytes(c.bundle.bytes)} (${fmtInt(c.bundle.bytes)} B), ${fmtBytes(c.bundle.gzipBytes)} gzipped`, '—', 'n/a'],
    ['Bare `node -e ""`', `median ${fmtMs(bare?.median ?? NaN)} ms, p90 ${fmtMs(bare?.p90 ?? NaN)} ms`, '—', 'n/a'],
    ['`node -e "require(bundle)"` (module-scope init included)', `median ${fmtMs(req?.median ?? NaN)} ms, p90 ${fmtMs(req?.p90 ?? NaN)} ms`, '—', 'n/a'],
    ['Import cost over bare Node', `median ${fmtMs(c.importMs.median)} ms, p90 ${fmtMs(c.importMs.p90)} ms`, `≤ ${IMPORT_TARGET_MS} ms`, verdict(c.importMs.median <= IMPORT_TARGET_MS)],
    ...(deployed && c.nodeOptions ? [[`… with \`NODE_OPTIONS=${c.nodeOptions}\` (as serverless.yml deploys)`, `median ${fmtMs(deployed.median)} ms (+${fmtMs(deployed.median - (req?.median ?? NaN))} ms)`, '—', 'n/a']] : []),
    ['`require()` alone, timed in-process', `median ${fmtMs(inProcess?.median ?? NaN)} ms`, '—', 'n/a'],
    [`\`evaluate(compileRules(rules), event)\`, ${r.perRuleUs ? Object.keys(r.perRuleUs).length : ''} rules`, `${r.usPerEvent.evaluate.toFixed(2)} µs/event`, '—', 'n/a'],
    ['`createDetector({rules}).process(event)`, stateless policy', `${r.usPerEvent.process.toFixed(2)} µs/event`, '—', 'n/a'],
    [`The whole pack on one event (\`evaluate\`, ${Object.keys(r.perRuleUs).length} rules, generator mix)`, `${r.usPerEvent.evaluate.toFixed(2)} µs/event wall, ${(r.evaluateCpuUs ?? NaN).toFixed(2)} µs CPU`, `≤ ${PACK_EVAL_TARGET_US} µs`, verdict(Math.min(r.usPerEvent.evaluate, r.evaluateCpuUs ?? Infinity) <= PACK_EVAL_TARGET_US)],
    ...(c.pack
      ? [[`Cold start added by the rule pack (${c.pack.rules} rules vs the ${c.pack.baselineRules} before it; +${fmtBytes(c.pack.bytes - c.pack.baselineBytes)} of bundle)`, `median ${fmtMs(c.pack.addedMs.median)} ms wall (p90 ${fmtMs(c.pack.addedMs.p90)} ms), ${fmtMs(c.pack.addedCpuMs.median)} ms CPU${c.pack.addedCpuPairedMs !== undefined ? ` (${fmtMs(c.pack.addedCpuPairedMs)} ms, median of paired rounds)` : ''}`, `≤ ${PACK_TARGET_MS} ms`, verdict(Math.min(c.pack.addedMs.median, c.pack.addedCpuMs.median) <= PACK_TARGET_MS)]]
      : []),
    ...firstInvocationRows(c),
    [`Live alerts per day, generator mix (${fmtInt(noise.generator.events)} events, ${noise.generator.days} days)`, perDay(noise.generator), '—', 'n/a'],
    ['Live alerts, everyday corpus (test/fixtures/everyday, one day)', perDay(noise.everyday), '0 at medium or above', verdict(loudPerDay(noise.everyday) === 0)],
  ];

  const lines: string[] = [];
  lines.push('# Benchmark results', '');
  lines.push(`Written by \`bench/run.ts\` on ${machine.date.slice(0, 16).replace('T', ' ')} UTC. Regenerate with \`npm run bench\` (about ${Math.ceil(Object.values(durations).reduce((a, b) => a + b, 0) / 60)} minutes here).`, '');
  lines.push(`Code measured: ${code}.`, '');
  lines.push('| Machine | |', '| --- | --- |');
  lines.push(`| CPU | ${machine.cpu} |`, `| Cores | ${machine.cores} |`, `| Memory | ${machine.memoryGiB} GiB |`, `| OS | ${machine.platform} |`, `| Node | ${machine.node} |`, `| Date | ${machine.date} |`, '');
  lines.push(
    `Data: \`bench/generate.ts --events ${m.events} --seed ${m.seed}\`: ${fmtInt(m.files)} CloudTrail log files (${fmtInt(m.events)} records, ${fmtBytes(m.gzipBytes)} gzipped, ${fmtBytes(m.jsonBytes)} of JSON), ` +
      `${m.accounts.length} accounts, ${m.regions.length} regions, ${m.start.slice(0, 10)} to ${m.end.slice(0, 10)}, ${m.recordsPerFile.min}–${m.recordsPerFile.max} records per 5-minute file (median ${m.recordsPerFile.median}). ` +
      `Records are clones of the real ones in test/fixtures; planted incidents: ${Object.entries(m.scenarios).map(([k, v]) => `${v} ${k}`).join('; ')}.`,
    '',
  );
  lines.push('| Metric | Result | Target | |', '| --- | --- | --- | --- |');
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  lines.push('');

  lines.push('## Notes', '');
  // Throughput
  lines.push(`**Throughput.** Medians of ${t.runs} interleaved rounds, each measurement in its own Node process on a warm page cache. Replay on the first half of the files: ${fmtInt(replayHalfEps)} events/s.`);
  if (ratio < RATIO_TARGET) {
    lines.push(
      `Target missed: the replay takes ${usReplay.toFixed(1)} µs per event where the baseline takes ${usBaseline.toFixed(1)} µs; a ratio of ${RATIO_TARGET} allows ${(usBaseline / RATIO_TARGET).toFixed(1)} µs. ` +
        `Measured alone (bench/rule-eval.ts, warm): the envelope checks \`parseTrailEvent\` cost ${r.usPerEvent.parseTrailEvent.toFixed(2)} µs/event, \`asEnvelope\` ${r.usPerEvent.asEnvelope.toFixed(2)} µs, the rules themselves ${r.usPerEvent.evaluate.toFixed(2)} µs` +
        (prof ? `. In a profiled full replay the largest shares of the time are: ${topShares(prof.byModule)}.` : '.') +
        (t.replayInput ? ` Without the event-time reorder buffer (\`order: 'input'\`) the replay runs at ${fmtInt(t.replayInput.eventsPerSec)} events/s${t.replayInput.sameAlerts ? ', with exactly the same matches and alerts on this data' : ' but alerts DIFFERENTLY'}.` : ''),
    );
  }
  lines.push('');
  // Memory
  lines.push(
    `**Memory.** Peak RSS (\`process.resourceUsage().maxRSS\` at the end of the replay process) is ${fmtInt(rss.fullMedian)} MB on all the data and ${fmtInt(rss.halfMedian)} MB on half of it (${growth.toFixed(2)}×): it ${growth <= RSS_GROWTH_LIMIT ? 'does not grow with the length of the history' : 'GROWS with the input'}. ` +
      `For reference the baseline process, which holds one file at a time, peaks at ${fmtInt(rss.baseline)} MB.`,
  );
  if (rss.full >= RSS_TARGET_MB) {
    lines.push(
      `Target missed: during the full replay V8's heap used at most ${fmtInt(maxHeapUsed)} MB but kept up to ${fmtInt(maxHeapTotal)} MB committed` +
        (lastSample ? ` (${fmtInt(lastSample.heapTotalMB)} MB at the end, RSS ${fmtInt(lastSample.rssMB)} MB)` : '') +
        `; the rest of RSS is the Node binary (~50 MB resident), malloc'd native memory and Buffers. ` +
        (t.replayInput
          ? `The largest live item is the event-time reorder buffer (every event of the last 15 minutes of event time, as parsed objects): the same replay with \`order: 'input'\` peaks at ${fmtInt(t.replayInput.maxRssKB / 1024)} MB. `
          : '') +
        `The level is set by the event rate (events per 15 minutes of event time) and V8's heap sizing, not by the input length.`,
    );
  }
  lines.push('');
  // Cold start
  lines.push(
    `**Cold start.** ${c.runs} fresh processes per variant, interleaved, after 3 unmeasured warm-ups each. The bundle is built with serverless.yml's \`custom.esbuild\` (\`${JSON.stringify(c.esbuildOptions)}\`). ` +
      `Largest inputs in the bundle: ${c.bundle.topInputs.map((i) => `${i.input} ${fmtBytes(i.bytes)}`).join(', ')}.`,
  );
  if (c.importMs.median > IMPORT_TARGET_MS) {
    lines.push(
      `Target missed: requiring the bundle costs ${fmtMs(c.importMs.median)} ms over bare Node (${fmtMs(inProcess?.median ?? NaN)} ms for the require() call itself): compiling ${fmtBytes(c.bundle.bytes)} of JavaScript, loading the Node built-ins the AWS SDK uses, then module-scope work (SDK clients, Powertools, rules).`,
    );
  }
  lines.push('');
  // Rules
  lines.push(`**Rules.** ${fmtInt(r.distinctEvents)} distinct events from ${r.source}, ${fmtInt(r.evaluations)} evaluations; \`compileRules\` takes ${r.compileRulesMs.toFixed(1)} ms once. Each rule alone (includes \`evaluate\`'s own per-call cost):`, '');
  lines.push('| Rule | µs/event |', '| --- | --- |');
  for (const [id, us] of Object.entries(r.perRuleUs)) lines.push(`| ${id} | ${us.toFixed(3)} |`);
  lines.push(`| *all rules (\`evaluate\`)* | ${r.usPerEvent.evaluate.toFixed(3)} |`, `| *\`parseTrailEvent\`* | ${r.usPerEvent.parseTrailEvent.toFixed(3)} |`, `| *\`asEnvelope\` (replay)* | ${r.usPerEvent.asEnvelope.toFixed(3)} |`, `| *\`detector.process\`* | ${r.usPerEvent.process.toFixed(3)} |`, '');

  lines.push('## Alerts per day', '');
  lines.push(
    `\`bench/alerts-per-day.ts\` replays the generated history and the everyday corpus through the whole pipeline (live rules, incidents, bursts, follow-ups) and counts what would be sent. ` +
      `The generator's mix is not all benign: besides the ${noise.generator.plantedAlerts} planned incidents, some of its "everyday" templates are clones of Stratus Red Team attack records (an SSH port opened to 0.0.0.0/0, snapshots and AMIs shared, flow logs deleted, login profiles created for other users), which the rule pack rightly reports. Per rule, over the whole generated history:`,
    '',
  );
  lines.push('| Rule | Severity | First alerts | Follow-ups |', '| --- | --- | --- | --- |');
  for (const [id, x] of Object.entries(noise.generator.perRule).sort((a, b) => b[1].alerts - a[1].alerts)) lines.push(`| ${id} | ${x.severity} | ${x.alerts} | ${x.followUps} |`);
  lines.push('', `Everyday corpus: ${Object.entries(noise.everyday.perRule).map(([id, x]) => `${id} (${x.severity}) ${x.alerts} + ${x.followUps} follow-ups`).join('; ') || 'nothing'}.`, '');

  lines.push(...costSection());

  if (prof) {
    lines.push(`## Where the replay's time goes`, '', `One extra full replay under \`--cpu-prof\` (${(prof.replayMs / 1000).toFixed(1)} s, not counted above); self time. Builtins count towards their caller: \`JSON.parse\` is in sources.ts.`, '');
    lines.push('| Module | Share |', '| --- | --- |');
    for (const x of prof.byModule.slice(0, 12)) lines.push(`| ${x.module} | ${pct(x.share)} |`);
    lines.push('', '| Hottest functions | Module | Share |', '| --- | --- | --- |');
    for (const f of prof.topFunctions.slice(0, 10)) lines.push(`| \`${f.fn}\` | ${f.module} | ${pct(f.share)} |`);
    lines.push('');
  }

  lines.push('## Replay alerting check', '', 'What the full replay matched and alerted, against what the generator planted (`bench/data/logs.manifest.json`):', '');
  for (const line of t.alerting.lines) lines.push(`- ${line}`);
  lines.push('');
  lines.push('## Runs', '');
  lines.push(`| Run | events/s | peak RSS |`, '| --- | --- | --- |');
  t.baseline.forEach((x, i) => lines.push(`| baseline #${i + 1} | ${fmtInt(x.eventsPerSec)} | ${fmtInt(x.maxRssKB / 1024)} MB |`));
  t.replayFull.forEach((x, i) => lines.push(`| replay, all #${i + 1} | ${fmtInt(x.eventsPerSec)} | ${fmtInt(x.maxRssKB / 1024)} MB |`));
  t.replayHalf.forEach((x, i) => lines.push(`| replay, half #${i + 1} | ${fmtInt(x.eventsPerSec)} | ${fmtInt(x.maxRssKB / 1024)} MB |`));
  lines.push('');
  lines.push(`Step durations: ${Object.entries(durations).map(([k, v]) => `${k} ${v.toFixed(0)} s`).join(', ')}.`, '');
  return lines.join('\n');
}

/** bench/cost.ts's table, from the JSON its step wrote. */
function costSection(): string[] {
  const { result, variants } = readJson<{ result: CostResult; variants: Array<{ label: string; result: CostResult }> }>('cost.json');
  return [
    '## Cost per million CloudTrail events',
    '',
    `\`bench/cost.ts\` replays the generated history through the deployed pipeline (EventBridge routes, \`detect\` in warm containers, DynamoDB state metered in capacity units, the scheduled flush) and prices it with the us-east-1 figures of the domain notes, next to GuardDuty's price for the same events.`,
    '',
    ...costMarkdown(result, variants),
  ];
}

function main(): void {
  const events = Number(args.events.replaceAll('_', ''));
  const seed = Number(args.seed);
  const durations: Record<string, number> = {};
  const code = codeState();
  const existing = readManifest(DEFAULT_LOGS_DIR);
  if (args.regenerate || !existing || existing.events !== events || existing.seed !== seed) {
    durations['generate'] = step('generate', 'generate.ts', ['--events', String(events), '--seed', String(seed)]);
  } else {
    console.log(`=== generate: reusing ${path.relative(REPO_DIR, DEFAULT_LOGS_DIR)} (${fmtInt(existing.events)} events, seed ${existing.seed}; --regenerate to rebuild)`);
  }
  const out = path.join(BENCH_DIR, 'RESULTS.md');
  const replayWorkers = (): string => {
    durations['replay-workers'] = step('replay on every core', 'replay-workers.ts', ['--runs', args.runs]);
    return replayWorkersSection(readJson<WorkersResults>('replay-workers.json'));
  };
  if (args.only === 'replay-workers') {
    const section = replayWorkers(); // minutes: read the file after, to keep edits made meanwhile
    writeFileSync(out, spliceSection(readFileSync(out, 'utf8'), section, '## Issue 10 measurements'));
    console.log(`\nrewrote the replay-workers section of ${path.relative(REPO_DIR, out)}`);
    return;
  }
  if (args.only !== undefined) throw new Error(`--only takes replay-workers, not ${args.only}`);
  durations['replay-throughput'] = step('replay throughput', 'replay-throughput.ts', ['--runs', args.runs]);
  durations['cold-start'] = step('cold start', 'cold-start.ts', ['--runs', args['cold-runs']]);
  durations['rule-eval'] = step('rule evaluation', 'rule-eval.ts', []);
  durations['alerts-per-day'] = step('alerts per day', 'alerts-per-day.ts', []);
  durations['cost'] = step('cost per million events', 'cost.ts', ['--data', DEFAULT_LOGS_DIR, '--variants', '--tuned-variant', path.join(BENCH_DIR, 'generator-tuning.json'), '--json', path.join(RESULTS_DIR, 'cost.json')]);
  const workersSection = replayWorkers();

  const manifest = readManifest(DEFAULT_LOGS_DIR);
  if (!manifest) throw new Error('no manifest after generation');
  const report = writeReport(
    manifest,
    readJson<ThroughputResults>('replay-throughput.json'),
    readJson<ColdStartResults>('cold-start.json'),
    readJson<RuleEvalResults>('rule-eval.json'),
    readJson<AlertsPerDayResults>('alerts-per-day.json'),
    durations,
    code,
  );
  writeFileSync(out, spliceSection(report, workersSection, '## Notes'));
  console.log(`\nwrote ${path.relative(REPO_DIR, out)}`);
}

main();

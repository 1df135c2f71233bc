/**
 * `npm run bench`: every benchmark bench/RESULTS.md reports, one after the other, then the whole file
 * written from their results (bench/report.ts assembles it; the text around each number lives in the
 * step's own `*-report.ts`).
 *
 *   tsx bench/run.ts [--events 1000000] [--seed 1] [--regenerate] [--runs 3] [--cold-runs 30]
 *                    [--only <step>] [--assemble] [--out <file>]
 *
 * Steps, each in its own Node 24 processes (through tsx), results as JSON in the results directory:
 *   replay-workers  bench/replay-workers.ts: the one-thread floor, `--workers 0` and one worker per
 *                   core, side by side, on the first 250,000 events and on all (memory);
 *   cost            bench/cost.ts with its variants and the estate's tuning (bench/generator-tuning.json);
 *   cold-start      bench/cold-start.ts: bundle, import cost, what the pack adds, the first invocation;
 *   rule-eval       bench/rule-eval.ts: the pack on one event;
 *   alerts-per-day  bench/alerts-per-day.ts: with and without the allowlists, planted incidents checked.
 * bench/replay-throughput.ts is no longer a step: replay-workers measures the same replay against the
 * same floor, side by side, at two sizes, with CPU time and the multi-core variant, and the planted-
 * incident check moved to alerts-per-day. Run it by hand for its CPU profile of a replay.
 *
 * Data: bench/data/logs (`tsx bench/generate.ts --events 1000000 --seed 1`), generated when missing or
 * different. `--events N` (or `--seed S`) other than that is a quick run: its data, results and report
 * go to bench/data/events-N-seed-S/, never to bench/RESULTS.md, and the steps are scaled down (one
 * round, 3 cold processes, smaller samples): `--events 20000` exercises everything in about a minute.
 *
 * `--only <step>` runs that step alone and rewrites its section only (the rest of the file is kept
 * byte for byte). `--assemble` measures nothing: it writes the report from the results already there.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { NODE_FLAGS } from '../bin/node-flags.mjs';
import { DATA_DIR, DEFAULT_LOGS_DIR, REPO_DIR, RESULTS_DIR, fmtInt, machineInfo, node24, readManifest } from './common.js';
import { assembleReport, findParts, isStepId, renderSection, replacePart, STEP_IDS, type RunInfo, type StepId, type StepResults, type StepRun } from './report.js';

const STANDARD = { events: 1_000_000, seed: 1 };

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: String(STANDARD.events) },
    seed: { type: 'string', default: String(STANDARD.seed) },
    regenerate: { type: 'boolean', default: false },
    runs: { type: 'string' },
    'cold-runs': { type: 'string' },
    only: { type: 'string' },
    assemble: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
  strict: true,
});

const node = node24();
const rel = (p: string): string => path.relative(REPO_DIR, p) || '.';

interface Plan {
  quick: boolean;
  events: number;
  seed: number;
  logs: string;
  results: string;
  out: string;
  runs: number;
  coldRuns: number;
  /** How a reader re-runs the whole thing. */
  command: string;
}

function plan(): Plan {
  const events = Number(args.events.replaceAll('_', ''));
  const seed = Number(args.seed);
  if (!Number.isInteger(events) || events < 1000) throw new Error(`--events must be an integer of at least 1000, got ${args.events}`);
  const quick = events !== STANDARD.events || seed !== STANDARD.seed;
  const base = path.join(DATA_DIR, `events-${events}-seed-${seed}`);
  return {
    quick,
    events,
    seed,
    logs: quick ? path.join(base, 'logs') : DEFAULT_LOGS_DIR,
    results: quick ? path.join(base, 'results') : RESULTS_DIR,
    out: path.resolve(args.out ?? (quick ? path.join(base, 'RESULTS.md') : path.join(REPO_DIR, 'bench', 'RESULTS.md'))),
    runs: Math.max(1, Number(args.runs ?? (quick ? 1 : 3))),
    coldRuns: Math.max(3, Number(args['cold-runs'] ?? (quick ? 3 : 30))),
    command: quick ? `npx tsx bench/run.ts --events ${events}${seed !== STANDARD.seed ? ` --seed ${seed}` : ''}` : 'npm run bench',
  };
}

/** Each step's script and arguments; paths relative to the repository, defaults left out, so the command reads as one would type it. */
function stepArgs(id: StepId, p: Plan): string[] {
  const data = p.quick ? ['--data', rel(p.logs)] : [];
  const json = p.quick ? ['--json', rel(path.join(p.results, `${id}.json`))] : [];
  switch (id) {
    case 'replay-workers':
      return ['bench/replay-workers.ts', ...data, '--runs', String(p.runs), '--first-events', String(p.quick ? Math.round(p.events / 4) : 250_000), ...json];
    case 'cost':
      return ['bench/cost.ts', '--data', rel(p.logs), '--variants', '--tuned-variant', 'bench/generator-tuning.json', '--json', rel(path.join(p.results, 'cost.json'))];
    case 'cold-start':
      return ['bench/cold-start.ts', '--runs', String(p.coldRuns), ...json];
    case 'rule-eval': {
      const sample = Math.min(100_000, Math.max(1000, Math.round(p.events / 10)));
      return ['bench/rule-eval.ts', ...data, ...(p.quick ? ['--sample', String(sample), '--events', String(3 * sample)] : []), ...json];
    }
    case 'alerts-per-day':
      return ['bench/alerts-per-day.ts', ...data, ...json];
  }
}

/** The commit measured, and any uncommitted changes (others work in this tree too) but the report this run writes. */
function codeState(): string {
  const git = (...a: string[]): string => spawnSync('git', a, { cwd: REPO_DIR, encoding: 'utf8' }).stdout?.trim() ?? '';
  const head = git('rev-parse', '--short', 'HEAD') || 'unknown';
  const dirty = git('status', '--porcelain', '--', '.', ':(exclude)bench/RESULTS.md')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.slice(3));
  return dirty.length ? `commit \`${head}\` plus uncommitted changes to ${dirty.map((f) => `\`${f}\``).join(', ')}` : `commit \`${head}\``;
}

const load1 = (): number => os.loadavg()[0] ?? Number.NaN;

/** Runs one script in its own Node 24 process; what it ran, how long it took and the load around it. */
function spawnStep(name: string, argv: string[], code: string): StepRun {
  const command = `npx tsx ${argv.join(' ')}`;
  console.log(`\n=== ${name}: ${command}`);
  const before = load1();
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const child = spawnSync(node, ['--import', 'tsx', ...argv], { stdio: 'inherit', cwd: REPO_DIR });
  const seconds = (performance.now() - t0) / 1000;
  if (child.status !== 0) throw new Error(`${argv[0]} failed (status ${child.status}${child.signal ? `, ${child.signal}` : ''})`);
  console.log(`=== ${name} took ${seconds.toFixed(0)} s`);
  return { command, startedAt, seconds, load: { before, after: load1() }, code };
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const runFile = (p: Plan, id: StepId): string => path.join(p.results, `${id}.run.json`);
/** The whole run's record (RunInfo), for --assemble. */
const runInfoFile = (p: Plan): string => path.join(p.results, 'run.json');
const resultFile = (p: Plan, id: StepId): string => path.join(p.results, `${id}.json`);

function ensureData(p: Plan, code: string): StepRun | undefined {
  const existing = readManifest(p.logs);
  if (!args.regenerate && existing && existing.events === p.events && existing.seed === p.seed) {
    console.log(`=== generate: reusing ${rel(p.logs)} (${fmtInt(existing.events)} events, seed ${existing.seed}; --regenerate to rebuild)`);
    return undefined;
  }
  return spawnStep('generate', ['bench/generate.ts', ...(p.quick ? ['--out', rel(p.logs)] : []), '--events', String(p.events), '--seed', String(p.seed)], code);
}

function runInfo(p: Plan, startedAt: string, seconds: number, code: string, generated: StepRun | undefined): RunInfo {
  const manifest = readManifest(p.logs);
  if (!manifest) throw new Error(`no generated data in ${rel(p.logs)}`);
  const { cpu, cores, memoryGiB, platform } = machineInfo();
  return {
    command: p.command,
    startedAt,
    seconds,
    code,
    machine: { cpu, cores, memoryGiB, platform },
    node: spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim(),
    nodeFlags: NODE_FLAGS,
    data: {
      dir: rel(p.logs),
      generate: `npx tsx bench/generate.ts${p.quick ? ` --out ${rel(p.logs)}` : ''} --events ${p.events} --seed ${p.seed}`,
      ...(generated ? { generated } : {}),
      manifest,
    },
    quick: p.quick,
  };
}

/** The results and step records found in the results directory (for --assemble and --only). */
function stored(p: Plan): { results: Partial<StepResults>; steps: Partial<Record<StepId, StepRun>> } {
  const results: Partial<Record<StepId, unknown>> = {};
  const steps: Partial<Record<StepId, StepRun>> = {};
  for (const id of STEP_IDS) {
    if (!existsSync(resultFile(p, id)) || !existsSync(runFile(p, id))) continue;
    results[id] = readJson(resultFile(p, id));
    steps[id] = readJson<StepRun>(runFile(p, id));
  }
  return { results: results as Partial<StepResults>, steps };
}

function main(): void {
  const p = plan();
  const code = codeState();
  mkdirSync(p.results, { recursive: true });

  if (args.assemble) {
    if (!existsSync(runInfoFile(p))) throw new Error(`${rel(runInfoFile(p))} is missing: run the whole bench first`);
    const { results, steps } = stored(p);
    writeFileSync(p.out, assembleReport(readJson<RunInfo>(runInfoFile(p)), results, steps));
    console.log(`\nwrote ${rel(p.out)} from the results in ${rel(p.results)} (${Object.keys(results).join(', ')})`);
    return;
  }

  if (args.only !== undefined) {
    const id = args.only;
    if (!isStepId(id)) throw new Error(`--only takes one of ${STEP_IDS.join(', ')}, not ${id}`);
    if (!existsSync(p.out)) throw new Error(`${rel(p.out)} does not exist: run the whole bench first (${p.command})`);
    ensureData(p, code);
    const run = spawnStep(id, stepArgs(id, p), code);
    writeFileSync(runFile(p, id), `${JSON.stringify(run, null, 2)}\n`);
    const info = runInfo(p, run.startedAt, run.seconds, code, undefined);
    const section = renderSection(id, readJson(resultFile(p, id)) as never, { run, data: info.data, cores: info.machine.cores, quick: p.quick });
    // Read after the step (minutes later), so edits made meanwhile are kept.
    writeFileSync(p.out, replacePart(readFileSync(p.out, 'utf8'), id, section));
    console.log(`\nrewrote the ${id} section of ${rel(p.out)}`);
    return;
  }

  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const generated = ensureData(p, code);
  const results: Partial<Record<StepId, unknown>> = {};
  const steps: Partial<Record<StepId, StepRun>> = {};
  const failed: string[] = [];
  for (const id of STEP_IDS) {
    try {
      steps[id] = spawnStep(id, stepArgs(id, p), code);
      writeFileSync(runFile(p, id), `${JSON.stringify(steps[id], null, 2)}\n`);
      // Only what this run measured: an older result left in the directory would mix two runs.
      results[id] = readJson(resultFile(p, id));
    } catch (err) {
      console.error(`=== ${id} failed: ${(err as Error).message}`);
      failed.push(id);
      delete steps[id];
    }
  }
  const info = runInfo(p, startedAt, (performance.now() - t0) / 1000, code, generated);
  writeFileSync(runInfoFile(p), `${JSON.stringify(info, null, 2)}\n`);
  const report = assembleReport(info, results as Partial<StepResults>, steps);
  writeFileSync(p.out, report);
  const summary = findParts(report).find((part) => part.id === 'summary');
  if (summary) console.log(`\n${report.slice(summary.start, summary.end)}`);
  console.log(`\nwrote ${rel(p.out)} (${(info.seconds / 60).toFixed(1)} min)`);
  if (failed.length) {
    console.error(`steps that failed, reported as not measured: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

main();

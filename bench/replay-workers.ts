/**
 * Replay on every core, measured side by side in one run on the same generated files against the
 * one-thread floor (read + gunzip + JSON.parse of every file in one thread, `replay-worker.ts
 * baseline`): `runReplay` with `workers: 0` (everything on the main thread) and with one worker per
 * core, on all the files and on the first files (by delivery stamp) that hold `--first-events`
 * events, so that peak RSS can be compared between a short and a long history. Rounds interleave the
 * variants; medians are reported, with the CPU time of each process (all its threads) beside wall
 * time, and the machine's load average, since the machine may be shared. Each measurement is its own
 * process (`node --import tsx`, under the CLI's V8 flags), so its peak RSS is its own.
 *
 *   tsx bench/replay-workers.ts [--data bench/data/logs] [--runs 3] [--first-events 250000] [--json <file>]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { NODE_FLAGS } from '../bin/node-flags.mjs';
import { BENCH_DIR, BUILD_DIR, DEFAULT_LOGS_DIR, REPO_DIR, RESULTS_DIR, fmtInt, listLogFiles, node24, summarize } from './common.js';
import type { WorkerResult } from './replay-worker.js';
import { ALL_CORES_TARGET, ONE_THREAD_TARGET } from './replay-workers-report.js';


export interface Variant {
  /** Medians over the rounds. */
  eventsPerSec: number;
  /** CPU time of the whole process (all threads) per event, µs. */
  cpuUsPerEvent: number;
  peakRssMB: number;
  runs: Array<{ eventsPerSec: number; cpuUsPerEvent: number; peakRssMB: number }>;
}

export interface WorkersResults {
  date: string;
  /** The data directory, relative to the repository when inside it. */
  data: string;
  cores: number;
  runs: number;
  node: string;
  nodeFlags: string[];
  events: { first: number; all: number };
  files: { first: number; all: number };
  /** 1-minute load average before each round and after the last. */
  loadAverage: number[];
  floor: Variant;
  /**
   * Peak RSS within the first round's all-data run, up to the first files' events and at its end:
   * growth within one process, free of a shorter run's smaller V8 heap. Absent in older results.
   */
  inRun?: { oneThread: { atFirst: number; atEnd: number }; allCores: { atFirst: number; atEnd: number } };
  /** One floor process per core at once (floorOnEveryCore): what the cores give parallel work. Absent in results stored before it. */
  floorAllCores?: Variant;
  /**
   * The floor inflating as replay does (one output chunk sized from the gzip trailer): how much of
   * replay's lead is a faster gunzip than the floor's. Absent in results stored before it.
   */
  floorOneChunk?: Variant;
  /**
   * The floor on the first files alone: its peak RSS against the floor's on all of them is what V8's
   * heap sizing and the files' sizes do to a process that holds one file at a time, which cannot grow
   * with the input. Absent in results stored before it.
   */
  floorFirst?: Variant;
  /**
   * The live heap (heapUsed after a full collection, every 10,000 events) of one \`--workers 0\` run
   * under --expose-gc: its largest up to the first files' events and over the whole run, MB. What
   * replay keeps does not grow with the input when the two are alike. Absent in results stored before it.
   */
  liveHeap?: { atFirst: number; atEnd: number };
  oneThread: Variant;
  allCores: Variant;
  oneThreadFirst: Variant;
  allCoresFirst: Variant;
  ratios: { oneThread: number; allCores: number };
  /** Same alerts and summary with and without workers (all the data, first round). */
  sameAlerts: boolean;
  alerts: number;
  matchedEvents: number;
}

function run(node: string, mode: 'baseline' | 'baseline-one-chunk' | 'replay', list: string, workers = 0, extraFlags: readonly string[] = []): WorkerResult {
  const child = spawnSync(node, [...NODE_FLAGS, ...extraFlags, '--import', 'tsx', path.join(BENCH_DIR, 'replay-worker.ts'), mode, list, String(workers)], {
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.status !== 0) throw new Error(`replay-worker ${mode} (${workers} workers) failed with status ${child.status}`);
  return JSON.parse(child.stdout.trim().split('\n').pop() ?? '') as WorkerResult;
}

/**
 * The floor on every core at once: one floor process per core, each on its share of the files, all
 * started together; throughput is all their events over the slowest one's time. It says what this
 * machine's cores give any parallel work of this kind (shared memory bandwidth, a hypervisor's
 * siblings, other load): the ceiling for `--workers N`.
 */
async function floorOnEveryCore(node: string, files: readonly string[], cores: number): Promise<WorkerResult> {
  const shares = Array.from({ length: cores }, (_, i) => files.filter((_, j) => j % cores === i));
  const results = await Promise.all(
    shares.map((share, i) => {
      const list = path.join(BUILD_DIR, `workers-floor-${i}.json`);
      writeFileSync(list, JSON.stringify(share));
      return new Promise<WorkerResult>((resolve, reject) => {
        const child = spawn(node, [...NODE_FLAGS, '--import', 'tsx', path.join(BENCH_DIR, 'replay-worker.ts'), 'baseline', list], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => void (out += chunk.toString('utf8')));
        child.on('error', reject);
        child.on('close', (status) => (status === 0 ? resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as WorkerResult) : reject(new Error(`floor share ${i} failed with status ${status}`))));
      });
    }),
  );
  const events = results.reduce((sum, r) => sum + r.events, 0);
  const elapsedMs = Math.max(...results.map((r) => r.elapsedMs));
  const cpuMs = results.reduce((sum, r) => sum + (r.cpuMs ?? Number.NaN), 0);
  return { mode: 'baseline', node: results[0]?.node ?? '', events, files: files.length, elapsedMs, eventsPerSec: events / (elapsedMs / 1000), maxRssKB: Math.max(...results.map((r) => r.maxRssKB)), cpuMs };
}

function variant(xs: WorkerResult[]): Variant {
  const runs = xs.map((r) => ({ eventsPerSec: r.eventsPerSec, cpuUsPerEvent: ((r.cpuMs ?? Number.NaN) * 1000) / r.events, peakRssMB: r.maxRssKB / 1024 }));
  const med = (f: (r: (typeof runs)[number]) => number) => summarize(runs.map(f)).median;
  return { eventsPerSec: med((r) => r.eventsPerSec), cpuUsPerEvent: med((r) => r.cpuUsPerEvent), peakRssMB: med((r) => r.peakRssMB), runs };
}

/** The first files, in replay's order, that together hold at least `events` records. */
function firstFiles(files: readonly string[], counts: Readonly<Record<string, number>>, events: number): { files: string[]; events: number } {
  const out: string[] = [];
  let total = 0;
  for (const file of files) {
    if (total >= events) break;
    out.push(file);
    total += counts[file] ?? 0;
  }
  return { files: out, events: total };
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      data: { type: 'string', default: DEFAULT_LOGS_DIR },
      runs: { type: 'string', default: '3' },
      'first-events': { type: 'string', default: '250000' },
      json: { type: 'string', default: path.join(RESULTS_DIR, 'replay-workers.json') },
    },
    strict: true,
  });
  const dataDir = path.resolve(args.data);
  const files = listLogFiles(dataDir);
  if (files.length === 0) throw new Error(`no generated data in ${dataDir}: run \`npm run bench:generate\` first`);
  mkdirSync(BUILD_DIR, { recursive: true });
  const allList = path.join(BUILD_DIR, 'workers-all.json');
  const firstList = path.join(BUILD_DIR, 'workers-first.json');
  writeFileSync(allList, JSON.stringify([dataDir]));
  const node = node24();
  const cores = availableParallelism();
  const runs = Math.max(1, Number(args.runs));

  const floor: WorkerResult[] = [];
  const floorAll: WorkerResult[] = [];
  const floorOneChunk: WorkerResult[] = [];
  const floorFirst: WorkerResult[] = [];
  const one: WorkerResult[] = [];
  const all: WorkerResult[] = [];
  const oneFirst: WorkerResult[] = [];
  const allFirst: WorkerResult[] = [];
  const load: number[] = [];
  let first = { files: [] as string[], events: 0 };
  for (let round = 1; round <= runs; round++) {
    load.push(loadavg()[0] ?? Number.NaN);
    floor.push(run(node, 'baseline', allList));
    if (round === 1) {
      first = firstFiles(files, floor[0]?.recordsByFile ?? {}, Number(args['first-events']));
      writeFileSync(firstList, JSON.stringify(first.files));
    }
    floorFirst.push(run(node, 'baseline', firstList));
    floorAll.push(await floorOnEveryCore(node, files, cores));
    floorOneChunk.push(run(node, 'baseline-one-chunk', allList));
    one.push(run(node, 'replay', allList, 0));
    all.push(run(node, 'replay', allList, cores));
    oneFirst.push(run(node, 'replay', firstList, 0));
    allFirst.push(run(node, 'replay', firstList, cores));
    const last = (xs: WorkerResult[]) => xs[xs.length - 1] as WorkerResult;
    console.log(
      `round ${round} (load ${load[load.length - 1]?.toFixed(1)}): floor ${fmtInt(last(floor).eventsPerSec)}/s (on every core ${fmtInt(last(floorAll).eventsPerSec)}/s), --workers 0 ${fmtInt(last(one).eventsPerSec)}/s, --workers ${cores} ${fmtInt(last(all).eventsPerSec)}/s; ` +
        `peak RSS ${fmtInt(last(oneFirst).maxRssKB / 1024)} -> ${fmtInt(last(one).maxRssKB / 1024)} MB (--workers 0), ${fmtInt(last(allFirst).maxRssKB / 1024)} -> ${fmtInt(last(all).maxRssKB / 1024)} MB (--workers ${cores})`,
    );
  }
  load.push(loadavg()[0] ?? Number.NaN);
  // Once, after the timed rounds: collecting every 10,000 events makes it useless for timing.
  const live = run(node, 'replay', allList, 0, ['--expose-gc']).rssTrace ?? [];
  const same = (a: WorkerResult | undefined, b: WorkerResult | undefined): boolean =>
    a !== undefined && b !== undefined && JSON.stringify(a.alertsByRuleAndKind) === JSON.stringify(b.alertsByRuleAndKind) && JSON.stringify(a.summary) === JSON.stringify({ ...b.summary, elapsedMs: a.summary?.elapsedMs });
  const results: WorkersResults = {
    date: new Date().toISOString(),
    data: path.relative(REPO_DIR, dataDir).startsWith('..') ? dataDir : path.relative(REPO_DIR, dataDir),
    cores,
    runs,
    node: floor[0]?.node ?? '',
    nodeFlags: NODE_FLAGS,
    events: { first: first.events, all: floor[0]?.events ?? 0 },
    files: { first: first.files.length, all: files.length },
    loadAverage: load,
    floor: variant(floor),
    floorAllCores: variant(floorAll),
    floorOneChunk: variant(floorOneChunk),
    floorFirst: variant(floorFirst),
    oneThread: variant(one),
    allCores: variant(all),
    oneThreadFirst: variant(oneFirst),
    allCoresFirst: variant(allFirst),
    ratios: { oneThread: 0, allCores: 0 },
    sameAlerts: same(one[0], all[0]),
    alerts: one[0]?.summary?.alerts ?? 0,
    matchedEvents: one[0]?.summary?.matchedEvents ?? 0,
  };
  const inRun = (r: WorkerResult | undefined): { atFirst: number; atEnd: number } => ({
    atFirst: Math.max(...(r?.rssTrace ?? []).filter((t) => t.events <= first.events).map((t) => t.rssMB)),
    atEnd: (r?.maxRssKB ?? Number.NaN) / 1024,
  });
  if (live.length) {
    results.liveHeap = {
      atFirst: Math.max(...live.filter((t) => t.events <= first.events).map((t) => t.heapUsedMB)),
      atEnd: Math.max(...live.map((t) => t.heapUsedMB)),
    };
  }
  if (one[0]?.rssTrace?.length && all[0]?.rssTrace?.length) results.inRun = { oneThread: inRun(one[0]), allCores: inRun(all[0]) };
  results.ratios = { oneThread: results.oneThread.eventsPerSec / results.floor.eventsPerSec, allCores: results.allCores.eventsPerSec / results.floor.eventsPerSec };
  mkdirSync(path.dirname(args.json), { recursive: true });
  writeFileSync(args.json, `${JSON.stringify(results, null, 2)}\n`);
  console.log(
    `one thread ${results.ratios.oneThread.toFixed(2)}x the floor (target ${ONE_THREAD_TARGET}), ${cores} workers ${results.ratios.allCores.toFixed(2)}x (target ${ALL_CORES_TARGET}); ` +
      `peak RSS ${fmtInt(results.oneThreadFirst.peakRssMB)} -> ${fmtInt(results.oneThread.peakRssMB)} MB (one thread), ${fmtInt(results.allCoresFirst.peakRssMB)} -> ${fmtInt(results.allCores.peakRssMB)} MB (workers); same alerts: ${results.sameAlerts}`,
  );
}

await main();

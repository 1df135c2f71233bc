/**
 * Replay on every core, measured side by side in one run on the same generated files against the
 * one-thread floor (read + gunzip + JSON.parse of every file, `replay-worker.ts baseline`):
 * `runReplay` with `workers: 0` (everything on the main thread) and with one worker per core, on a
 * quarter of the files and on all of them (peak RSS must not grow with the input). Rounds interleave
 * the variants; medians are reported. Each measurement is its own process (`node --import tsx`, under
 * the CLI's V8 flags), so peak RSS is its own.
 *
 *   tsx bench/replay-workers.ts [--data bench/data/logs] [--runs 3] [--json <file>]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { NODE_FLAGS } from '../bin/node-flags.mjs';
import { BENCH_DIR, BUILD_DIR, DEFAULT_LOGS_DIR, RESULTS_DIR, fmtInt, listLogFiles, node24, summarize } from './common.js';
import type { WorkerResult } from './replay-worker.js';

export const ONE_THREAD_TARGET = 0.8;
export const ALL_CORES_TARGET = 1.3;

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: DEFAULT_LOGS_DIR },
    runs: { type: 'string', default: '3' },
    json: { type: 'string', default: path.join(RESULTS_DIR, 'replay-workers.json') },
  },
  strict: true,
});

export interface WorkersResults {
  cores: number;
  runs: number;
  events: { quarter: number; all: number };
  /** events/s medians on all the data */
  floorEps: number;
  oneThreadEps: number;
  allCoresEps: number;
  /** peak RSS medians, MB: quarter and all of the data */
  rssMB: { oneThread: [number, number]; allCores: [number, number]; floor: number };
  sameAlerts: boolean;
}

function run(node: string, mode: 'baseline' | 'replay', list: string, workers = 0): WorkerResult {
  const child = spawnSync(node, [...NODE_FLAGS, '--import', 'tsx', path.join(BENCH_DIR, 'replay-worker.ts'), mode, list, String(workers)], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.status !== 0) throw new Error(`replay-worker ${mode} (${workers} workers) failed with status ${child.status}`);
  return JSON.parse(child.stdout.trim().split('\n').pop() ?? '') as WorkerResult;
}

const dataDir = path.resolve(args.data);
const files = listLogFiles(dataDir);
if (files.length === 0) throw new Error(`no generated data in ${dataDir}: run \`npm run bench:generate\` first`);
mkdirSync(BUILD_DIR, { recursive: true });
const allList = path.join(BUILD_DIR, 'workers-all.json');
const quarterList = path.join(BUILD_DIR, 'workers-quarter.json');
writeFileSync(allList, JSON.stringify([dataDir]));
writeFileSync(quarterList, JSON.stringify(files.slice(0, Math.ceil(files.length / 4))));
const node = node24();
const cores = availableParallelism();
const runs = Math.max(1, Number(args.runs));

const floor: WorkerResult[] = [];
const one: WorkerResult[] = [];
const all: WorkerResult[] = [];
const oneQ: WorkerResult[] = [];
const allQ: WorkerResult[] = [];
for (let round = 1; round <= runs; round++) {
  floor.push(run(node, 'baseline', allList));
  one.push(run(node, 'replay', allList, 0));
  all.push(run(node, 'replay', allList, cores));
  oneQ.push(run(node, 'replay', quarterList, 0));
  allQ.push(run(node, 'replay', quarterList, cores));
  const last = (xs: WorkerResult[]) => xs[xs.length - 1] as WorkerResult;
  console.log(
    `round ${round}: floor ${fmtInt(last(floor).eventsPerSec)}/s, --workers 0 ${fmtInt(last(one).eventsPerSec)}/s, --workers ${cores} ${fmtInt(last(all).eventsPerSec)}/s`,
  );
}
const med = (xs: WorkerResult[], f: (r: WorkerResult) => number) => summarize(xs.map(f)).median;
const eps = (r: WorkerResult) => r.eventsPerSec;
const rss = (r: WorkerResult) => r.maxRssKB / 1024;
const results: WorkersResults = {
  cores,
  runs,
  events: { quarter: oneQ[0]?.events ?? 0, all: one[0]?.events ?? 0 },
  floorEps: med(floor, eps),
  oneThreadEps: med(one, eps),
  allCoresEps: med(all, eps),
  rssMB: { oneThread: [med(oneQ, rss), med(one, rss)], allCores: [med(allQ, rss), med(all, rss)], floor: med(floor, rss) },
  sameAlerts: JSON.stringify(one[0]?.alertsByRuleAndKind) === JSON.stringify(all[0]?.alertsByRuleAndKind) && one[0]?.summary?.alerts === all[0]?.summary?.alerts,
};
mkdirSync(path.dirname(args.json), { recursive: true });
writeFileSync(args.json, `${JSON.stringify(results, null, 2)}\n`);
console.log(
  `one thread ${(results.oneThreadEps / results.floorEps).toFixed(2)}x the floor (target ${ONE_THREAD_TARGET}), ${cores} workers ${(results.allCoresEps / results.floorEps).toFixed(2)}x (target ${ALL_CORES_TARGET}); ` +
    `peak RSS ${fmtInt(results.rssMB.oneThread[0])} -> ${fmtInt(results.rssMB.oneThread[1])} MB (one thread), ${fmtInt(results.rssMB.allCores[0])} -> ${fmtInt(results.rssMB.allCores[1])} MB (workers); same alerts: ${results.sameAlerts}`,
);

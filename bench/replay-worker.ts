/**
 * Child process of bench/replay-throughput.ts (bundled by it with esbuild and run with plain Node 24,
 * so no TypeScript loader sits in the measured process). One measurement per process, so that peak
 * RSS (`process.resourceUsage().maxRSS`) is that measurement's alone.
 *
 *   node replay-worker.mjs baseline <paths.json>   read, gunzip, JSON.parse every file, count Records
 *   node replay-worker.mjs baseline-one-chunk <paths.json>   the same, inflating as replay does (one chunk)
 *   node replay-worker.mjs replay <paths.json>     trailwatch replay (runReplay) over the same inputs
 *   node replay-worker.mjs replay-input <paths.json>   the same with order: 'input' (no reorder buffer)
 *   a third argument sets runReplay's `workers` (default 0: one thread); worker threads load the
 *   TypeScript through tsx, so bench/replay-workers.ts runs this file under `--import tsx`.
 *
 * paths.json is a JSON array of files and/or directories. Prints one JSON line (WorkerResult).
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Alert } from '../lib/alert/alert.js';
import { runReplay, type ReplaySummary } from '../lib/replay/run.js';
// Loaded here, with the rest of the code, before anything is timed: module loading is start-up, not
// replay work (runReplay imports the rules itself, which is then a cache hit). Starting the worker
// threads, which load their own bundle, is timed: every replay with workers pays it.
import '../rules/index.js';

export interface RssSample {
  /** Events replayed when sampled (from the progress callback, about every 10,000 input items). */
  events: number;
  rssMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  /** Memory outside the V8 heap that V8 knows of (Buffers, zlib). */
  externalMB: number;
}

export interface WorkerResult {
  mode: 'baseline' | 'baseline-one-chunk' | 'replay' | 'replay-input';
  node: string;
  events: number;
  files: number;
  /** Wall time of the work itself (listing, reading, parsing, detecting), not process start-up. */
  elapsedMs: number;
  eventsPerSec: number;
  /** Peak resident set size of this process, KB (getrusage maxrss). */
  maxRssKB: number;
  /** CPU time of the work, all threads (workers and the thread pool included), ms. */
  cpuMs?: number;
  /** Records per file (baseline only), so a caller can take the first files that hold N events. */
  recordsByFile?: Record<string, number>;
  /** RSS as the replay went, sampled every 10,000 events (replay only). */
  rssTrace?: RssSample[];
  summary?: Omit<ReplaySummary, 'fileErrors' | 'malformedReasons'> & { fileErrors: number; malformedReasons: string[] };
  alertsByKind?: Record<string, number>;
  alertsByRuleAndKind?: Record<string, Record<string, number>>;
}

const MB = 2 ** 20;

function listGz(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    let entries;
    try {
      entries = readdirSync(p, { withFileTypes: true });
    } catch {
      if (p.endsWith('.json.gz')) out.push(p);
      return;
    }
    for (const e of entries) {
      const full = path.join(p, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.json.gz')) out.push(full);
    }
  };
  for (const p of paths) walk(p);
  return out;
}

const cpuMsSince = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};

/**
 * The floor's gunzip, or replay's: one output chunk the size the gzip trailer announces
 * (lib/replay/sources/read.ts), which is about a quarter faster than zlib's 16 KB chunks joined.
 */
function inflater(oneChunk: boolean): (bytes: Buffer) => Buffer {
  if (!oneChunk) return (bytes) => gunzipSync(bytes);
  return (bytes) => gunzipSync(bytes, { chunkSize: Math.max((bytes.length >= 18 ? bytes.readUInt32LE(bytes.length - 4) : 0) + 64, 64 << 10) });
}

function baseline(paths: string[], oneChunk = false): WorkerResult {
  const inflate = inflater(oneChunk);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const files = listGz(paths);
  let events = 0;
  const recordsByFile: Record<string, number> = {};
  for (const file of files) {
    const doc = JSON.parse(inflate(readFileSync(file)).toString('utf8')) as { Records: unknown[] };
    events += doc.Records.length;
    recordsByFile[file] = doc.Records.length;
  }
  const elapsedMs = performance.now() - t0;
  const cpuMs = cpuMsSince(cpu0);
  return {
    mode: oneChunk ? 'baseline-one-chunk' : 'baseline',
    node: process.version,
    events,
    files: files.length,
    elapsedMs,
    eventsPerSec: events / (elapsedMs / 1000),
    maxRssKB: process.resourceUsage().maxRSS,
    cpuMs,
    recordsByFile,
  };
}

async function replay(paths: string[], order: 'event-time' | 'input', workers = 0): Promise<WorkerResult> {
  const alertsByKind: Record<string, number> = {};
  const alertsByRuleAndKind: Record<string, Record<string, number>> = {};
  const rssTrace: RssSample[] = [];
  let files = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const summary = await runReplay({
    paths,
    order,
    workers,
    onAlert: (alert: Alert) => {
      alertsByKind[alert.kind] = (alertsByKind[alert.kind] ?? 0) + 1;
      const perRule = (alertsByRuleAndKind[alert.ruleId] ??= {});
      perRule[alert.kind] = (perRule[alert.kind] ?? 0) + 1;
    },
    onProgress: ({ events, filesStarted }) => {
      files = filesStarted;
      // Under --expose-gc (replay-workers.ts's live-heap run, timed for nothing else) heapUsed is then
      // what is still reachable: replay's state and buffers, without garbage not yet collected.
      (globalThis as { gc?: () => void }).gc?.();
      const mem = process.memoryUsage();
      rssTrace.push({ events, rssMB: mem.rss / MB, heapUsedMB: mem.heapUsed / MB, heapTotalMB: mem.heapTotal / MB, externalMB: mem.external / MB });
    },
  });
  const elapsedMs = performance.now() - t0;
  const cpuMs = cpuMsSince(cpu0);
  return {
    mode: order === 'input' ? 'replay-input' : 'replay',
    cpuMs,
    node: process.version,
    events: summary.events,
    files,
    elapsedMs,
    eventsPerSec: summary.events / (elapsedMs / 1000),
    maxRssKB: process.resourceUsage().maxRSS,
    rssTrace,
    summary: { ...summary, fileErrors: summary.fileErrors.length, malformedReasons: summary.malformedReasons },
    alertsByKind,
    alertsByRuleAndKind,
  };
}

const [mode, listFile, workersArg] = process.argv.slice(2);
if ((mode !== 'baseline' && mode !== 'baseline-one-chunk' && mode !== 'replay' && mode !== 'replay-input') || !listFile) {
  console.error('usage: replay-worker (baseline|baseline-one-chunk|replay|replay-input) <paths.json> [workers]');
  process.exit(2);
}
const paths = JSON.parse(readFileSync(listFile, 'utf8')) as string[];
const result = mode === 'baseline' || mode === 'baseline-one-chunk' ? baseline(paths, mode === 'baseline-one-chunk') : await replay(paths, mode === 'replay-input' ? 'input' : 'event-time', Number(workersArg ?? 0));
process.stdout.write(`${JSON.stringify(result)}\n`);

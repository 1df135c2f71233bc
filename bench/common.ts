/**
 * Helpers shared by the benchmarks: paths, machine facts, a seeded PRNG, statistics and formatting.
 * Nothing here is measured.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_DIR = path.resolve(BENCH_DIR, '..');
export const DATA_DIR = path.join(BENCH_DIR, 'data');
export const DEFAULT_LOGS_DIR = path.join(DATA_DIR, 'logs');
/** Machine-readable results of each benchmark, read by bench/run.ts to write RESULTS.md. */
export const RESULTS_DIR = path.join(DATA_DIR, 'results');
/** Bundles built by the benchmarks (ignored by git with the rest of bench/data). */
export const BUILD_DIR = path.join(DATA_DIR, '.build');

/** The generator's summary, written beside the logs directory as `<out>.manifest.json`. */
export const manifestPathOf = (logsDir: string): string => `${path.resolve(logsDir).replace(/\/+$/, '')}.manifest.json`;

export interface Manifest {
  generator: string;
  seed: number;
  events: number;
  files: number;
  gzipBytes: number;
  jsonBytes: number;
  start: string;
  end: string;
  accounts: string[];
  regions: string[];
  recordsPerFile: { min: number; median: number; p90: number; max: number };
  /** Events the generator put in that match each rule (pattern and predicate), burst or not. */
  expectedMatches: Record<string, number>;
  /** First alerts the incidents were designed to raise, one per incident. */
  expectedAlerts: Record<string, number>;
  /** Incidents with more matches than the one that alerted (a replay may send a follow-up for each). */
  expectedGroupedIncidents: Record<string, number>;
  scenarios: Record<string, number>;
}

export function readManifest(logsDir: string): Manifest | undefined {
  const file = manifestPathOf(logsDir);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as Manifest;
}

/** Every `.json.gz` under dir, sorted by CloudTrail's delivery stamp then path (as replay reads them). */
export function listLogFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith('.json.gz')) out.push(full);
    }
  };
  walk(dir);
  const stamp = (f: string): string => /_(\d{8}T\d{4}Z)_/.exec(path.basename(f))?.[1] ?? '';
  return out
    .map((file) => ({ file, stamp: stamp(file) }))
    .sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
    .map((k) => k.file);
}

// ---------------------------------------------------------------------------------------------------
// Node

/** Node 24: this process's when it is one, else the copy the `node` devDependency installs. */
export function node24(): string {
  if (process.versions.node.startsWith('24.')) return process.execPath;
  const local = path.join(REPO_DIR, 'node_modules', 'node', 'bin', 'node');
  if (existsSync(local)) return local;
  throw new Error(`Node 24 is needed (running ${process.version}, and ${local} is missing): run through npm scripts`);
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  date: string;
}

export function machineInfo(nodeVersion = process.version): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: (cpus[0]?.model ?? 'unknown').replace(/\s+/g, ' ').trim(),
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: nodeVersion,
    date: new Date().toISOString(),
  };
}

// ---------------------------------------------------------------------------------------------------
// Seeded PRNG: sfc32 seeded through splitmix32. Fast, 128-bit state, good enough for test data.

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** [0, 1) */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  /** Derived generator, so one stream's length does not shift another's values. */
  fork(salt: number): Rng {
    return new Rng((this.u32() ^ Math.imul(salt, 0x85ebca6b)) >>> 0);
  }
}

// ---------------------------------------------------------------------------------------------------
// Statistics and formatting

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

export function summarize(values: readonly number[]): { n: number; min: number; median: number; p90: number; max: number; mean: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / Math.max(1, sorted.length);
  return {
    n: sorted.length,
    min: sorted[0] ?? NaN,
    median: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    max: sorted[sorted.length - 1] ?? NaN,
    mean,
  };
}

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

export function fmtBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}

export const fmtMs = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

/** The rule pack may not make the `detect` cold start slower than this (issue 7). */
export const PACK_TARGET_MS = 5;

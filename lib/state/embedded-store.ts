/**
 * The embedded adapter of the state port: an in-process Map, optionally persisted to a JSON file.
 * Used by `serverless invoke local`, replay and tests. It is also the reference for the port's
 * semantics: the pure helpers below (expiry, conditions, update ops, sort-key order) are reused by
 * the DynamoDB adapter wherever it has to reproduce them client-side.
 */
// fs.promises, not node:fs/promises: Node loads it at first use, so the Lambda bundles, which use this
// store only under invoke local, do not load it at every cold start (lib/config/fs-promises-read-file.ts).
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import type {
  Condition,
  PutResult,
  StateItem,
  StateKey,
  StateStore,
  StoreCallCounts,
  UpdateOps,
} from './store.js';
import {
  applyUpdateOps,
  compareSortKeys,
  conditionHolds,
  isLive,
  stateItemProblem,
  validateCondition,
  validateItem,
  validateItemSize,
  validateKey,
  validateUpdateOps,
} from './semantics.js';

export interface EmbeddedStoreOptions {
  /** Persist to this JSON file: loaded lazily at the first operation, written by flush(). */
  file?: string;
  /** Clock in epoch ms (default Date.now). Replay injects event time, so expiry follows event time. */
  now?: () => number;
  counts?: StoreCallCounts;
  /** Flush after every write, for callers whose process ends after one run (invoke local). */
  autoFlush?: boolean;
}

export type EmbeddedStore = StateStore & {
  /** Items held in memory, including expired ones not pruned yet (0 before the lazy file load). */
  size(): number;
  /** Drops expired items now (they are absent anyway) and returns how many items are held. */
  prune(): number;
  /** Drops all state, in memory and (with a file) on disk. Also the way out of a corrupt file. */
  reset(): Promise<void>;
};

const FILE_FORMAT_VERSION = 1;
/** Prune expired items after this many writes at least (and at least as many as were live), so pruning costs O(1) amortized per write. */
const PRUNE_MIN_WRITES = 1024;

// ---------------------------------------------------------------------------------------------
// Sorted partitions
// ---------------------------------------------------------------------------------------------

/** One pk: items by sk, plus the sks kept sorted so range queries are a binary search and a scan. */
interface Partition {
  sks: string[];
  items: Map<string, StateItem>;
}

/** First index whose sk is >= target. */
function lowerBound(sks: readonly string[], target: string): number {
  let lo = 0;
  let hi = sks.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareSortKeys(sks[mid] as string, target) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSortKey(sks: string[], sk: string): void {
  // Sort keys are usually time-ordered, so appending is the common case.
  const last = sks[sks.length - 1];
  if (last === undefined || compareSortKeys(last, sk) < 0) sks.push(sk);
  else sks.splice(lowerBound(sks, sk), 0, sk);
}

function removeSortKey(sks: string[], sk: string): void {
  const index = lowerBound(sks, sk);
  if (sks[index] === sk) sks.splice(index, 1);
}

// ---------------------------------------------------------------------------------------------
// File format
// ---------------------------------------------------------------------------------------------

function corruptFileError(file: string, reason: string): Error {
  return new Error(
    `trailwatch state file ${file} is corrupt (${reason}). Delete it (rm '${file}') to reset the local state; all local incident state is lost.`,
  );
}

export function parseStateFile(text: string, file: string): StateItem[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw corruptFileError(file, error instanceof Error ? error.message : String(error));
  }
  if (typeof parsed !== 'object' || parsed === null) throw corruptFileError(file, 'not a JSON object');
  const { version, items } = parsed as { version?: unknown; items?: unknown };
  if (version !== FILE_FORMAT_VERSION) throw corruptFileError(file, `unsupported version ${JSON.stringify(version)}`);
  if (!Array.isArray(items)) throw corruptFileError(file, 'items is not an array');
  items.forEach((item: unknown, index) => {
    const problem = stateItemProblem(item);
    if (problem) throw corruptFileError(file, `items[${index}]: ${problem}`);
  });
  return items as StateItem[];
}

/** One item per line keeps the file readable and diffable when debugging a local run. */
export function serializeStateFile(items: readonly StateItem[]): string {
  return `{"version":${FILE_FORMAT_VERSION},"items":[\n${items.map((item) => JSON.stringify(item)).join(',\n')}\n]}\n`;
}

let tempCounter = 0;

/** Write-then-rename, so a crash mid-write leaves the previous file intact. */
async function writeFileAtomically(file: string, content: string): Promise<void> {
  await fs.mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${++tempCounter}.tmp`;
  try {
    await fs.writeFile(temp, content, 'utf8');
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}

function isMissingFile(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'ENOENT';
}

// ---------------------------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------------------------

/**
 * Every operation awaits only the (memoized) file load before its read-check-write, which then runs
 * synchronously: concurrent calls in one process are therefore atomic, like DynamoDB conditional writes.
 */
class EmbeddedStateStore implements EmbeddedStore {
  readonly #partitions = new Map<string, Partition>();
  readonly #file: string | undefined;
  readonly #now: () => number;
  readonly #counts: StoreCallCounts | undefined;
  readonly #autoFlush: boolean;
  #itemCount = 0;
  #loading: Promise<void> | undefined;
  /** Bumped on every change; flush skips the write when the file already holds this version. */
  #version = 0;
  #flushedVersion = 0;
  #flushChain: Promise<void> = Promise.resolve();
  #writesSincePrune = 0;
  #pruneEvery = PRUNE_MIN_WRITES;

  constructor(options: EmbeddedStoreOptions) {
    this.#file = options.file;
    this.#now = options.now ?? Date.now;
    this.#counts = options.counts;
    this.#autoFlush = options.autoFlush ?? false;
  }

  async put(item: StateItem, condition?: Condition): Promise<PutResult> {
    validateItem(item);
    validateCondition(condition);
    await this.#ready();
    this.#count('writes');
    const current = this.#live(item);
    if (!conditionHolds(current, condition)) return current ? { written: false, current: { ...current } } : { written: false };
    this.#store({ ...item });
    await this.#afterWrite();
    return current ? { written: true, previous: current } : { written: true };
  }

  async update(key: StateKey, ops: UpdateOps, condition?: Condition): Promise<StateItem | undefined> {
    validateKey(key);
    validateUpdateOps(ops);
    validateCondition(condition);
    await this.#ready();
    this.#count('writes');
    const current = this.#live(key);
    if (!conditionHolds(current, condition)) return undefined;
    const next = applyUpdateOps(current, key, ops);
    validateItemSize(next);
    this.#store(next);
    await this.#afterWrite();
    return { ...next };
  }

  async get(key: StateKey): Promise<StateItem | undefined> {
    validateKey(key);
    await this.#ready();
    this.#count('reads');
    const item = this.#live(key);
    return item && { ...item };
  }

  async query(pk: string, range: { from?: string; to?: string; limit?: number } = {}): Promise<StateItem[]> {
    validateKey({ pk, sk: range.from || range.to || '-' });
    await this.#ready();
    this.#count('reads');
    const partition = this.#partitions.get(pk);
    const { from, to, limit = Infinity } = range;
    const result: StateItem[] = [];
    if (!partition) return result;
    const nowMs = this.#now();
    const sks = partition.sks;
    for (let i = from === undefined ? 0 : lowerBound(sks, from); i < sks.length && result.length < limit; i++) {
      const sk = sks[i] as string;
      if (to !== undefined && compareSortKeys(sk, to) > 0) break;
      const item = partition.items.get(sk);
      if (item && isLive(item, nowMs)) result.push({ ...item });
    }
    return result;
  }

  async delete(key: StateKey): Promise<void> {
    validateKey(key);
    await this.#ready();
    this.#count('writes');
    if (this.#remove(key)) await this.#afterWrite();
  }

  flush(): Promise<void> {
    const file = this.#file;
    if (file === undefined) return Promise.resolve();
    // Serialize flushes so an older snapshot never overwrites a newer one; the chain swallows errors
    // so one failed flush does not poison later ones (the caller of that flush still gets the error).
    const task = this.#flushChain.then(() => this.#writeSnapshot(file));
    this.#flushChain = task.catch(() => undefined);
    return task;
  }

  size(): number {
    return this.#itemCount;
  }

  prune(): number {
    this.#prune();
    return this.#itemCount;
  }

  async reset(): Promise<void> {
    await this.#flushChain;
    this.#partitions.clear();
    this.#itemCount = 0;
    this.#version = 0;
    this.#flushedVersion = 0;
    this.#loading = Promise.resolve();
    if (this.#file !== undefined) await fs.rm(this.#file, { force: true });
  }

  #count(kind: keyof StoreCallCounts): void {
    if (this.#counts) this.#counts[kind]++;
  }

  #ready(): Promise<void> {
    this.#loading ??= this.#load();
    return this.#loading;
  }

  async #load(): Promise<void> {
    if (this.#file === undefined) return;
    let text: string;
    try {
      text = await fs.readFile(this.#file, 'utf8');
    } catch (error) {
      if (isMissingFile(error)) return;
      throw error;
    }
    const nowMs = this.#now();
    for (const item of parseStateFile(text, this.#file)) {
      if (isLive(item, nowMs)) this.#store(item);
    }
    // Loading is not a change: the file already holds this state.
    this.#flushedVersion = this.#version;
  }

  #live(key: StateKey): StateItem | undefined {
    const item = this.#partitions.get(key.pk)?.items.get(key.sk);
    return item && isLive(item, this.#now()) ? item : undefined;
  }

  #store(item: StateItem): void {
    let partition = this.#partitions.get(item.pk);
    if (!partition) {
      partition = { sks: [], items: new Map() };
      this.#partitions.set(item.pk, partition);
    }
    if (!partition.items.has(item.sk)) {
      insertSortKey(partition.sks, item.sk);
      this.#itemCount++;
    }
    partition.items.set(item.sk, item);
    this.#version++;
  }

  #remove(key: StateKey): boolean {
    const partition = this.#partitions.get(key.pk);
    if (!partition?.items.delete(key.sk)) return false;
    removeSortKey(partition.sks, key.sk);
    if (partition.items.size === 0) this.#partitions.delete(key.pk);
    this.#itemCount--;
    this.#version++;
    return true;
  }

  async #afterWrite(): Promise<void> {
    if (++this.#writesSincePrune >= this.#pruneEvery) this.#prune();
    if (this.#autoFlush) await this.flush();
  }

  /** Drops expired items so a long replay keeps memory bounded by the live set. */
  #prune(): void {
    const nowMs = this.#now();
    for (const [pk, partition] of this.#partitions) {
      const before = partition.items.size;
      partition.sks = partition.sks.filter((sk) => {
        const item = partition.items.get(sk);
        if (item && isLive(item, nowMs)) return true;
        partition.items.delete(sk);
        return false;
      });
      this.#itemCount -= before - partition.items.size;
      if (partition.items.size === 0) this.#partitions.delete(pk);
    }
    this.#writesSincePrune = 0;
    this.#pruneEvery = Math.max(PRUNE_MIN_WRITES, this.#itemCount);
  }

  async #writeSnapshot(file: string): Promise<void> {
    await this.#ready();
    const countBefore = this.#itemCount;
    this.#prune();
    if (this.#itemCount !== countBefore) this.#version++;
    if (this.#version === this.#flushedVersion) return;
    const version = this.#version;
    const items: StateItem[] = [];
    // A loop, not push(...spread): a partition can hold more items than the engine's argument limit.
    for (const partition of this.#partitions.values()) for (const item of partition.items.values()) items.push(item);
    await writeFileAtomically(file, serializeStateFile(items));
    this.#flushedVersion = version;
  }
}

export function createEmbeddedStore(options: EmbeddedStoreOptions = {}): EmbeddedStore {
  return new EmbeddedStateStore(options);
}

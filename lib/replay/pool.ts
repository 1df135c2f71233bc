import { Worker } from 'node:worker_threads';
import type { RuleTuningConfig } from '../detection/tuning.js';
import { listInputs } from './sources/list.js';
import { reasonOf } from './sources/parse.js';
import { bundledWorkerEntry } from './worker-bundle.js';
import type { Triaged } from './triage.js';

/**
 * Replay on several cores: worker threads read, inflate, parse and triage whole files (triage.ts);
 * the main thread gets each file's triaged batches back in file order and does what must be done in
 * one place, in order: event-time ordering, state, alerts. Files are handed out as workers finish
 * them, with a bounded number in flight, so memory stays a few files' worth however long the history.
 */
export interface WorkerSetup {
  ruleIds?: string[];
  staged: boolean;
  overrides?: RuleTuningConfig;
}
export interface WorkerRequest {
  file: string;
  seq: number;
}
export interface WorkerResponse {
  seq: number;
  items: PackedBatch;
  done: boolean;
  /** An unexpected failure while reading the file (not a corrupt file: that is an error item). */
  failure?: string;
}

/**
 * A triaged batch as it crosses threads. Nine in ten items are bare times: they travel as one
 * transferred Float64Array instead of being serialised one by one, and the few others (events, as
 * JSON text; errors) beside it with their positions.
 */
export interface PackedBatch {
  times: Float64Array;
  positions: number[];
  others: Triaged[];
}

export function packBatch(items: readonly Triaged[]): PackedBatch {
  const times = new Float64Array(items.length);
  const positions: number[] = [];
  const others: Triaged[] = [];
  items.forEach((item, i) => {
    if (typeof item === 'number') {
      times[i] = item;
      return;
    }
    positions.push(i);
    // An event crosses as JSON text: cheaper than a structured clone of the object.
    others.push(item.kind === 'event' && typeof item.event !== 'string' ? { ...item, event: JSON.stringify(item.event) } : item);
  });
  return { times, positions, others };
}

export function unpackBatch(batch: PackedBatch): Triaged[] {
  const items: Triaged[] = Array.from(batch.times);
  batch.positions.forEach((position, k) => {
    items[position] = batch.others[k] as Triaged;
  });
  return items;
}

const WORKER_ENTRY = new URL('./triage-worker.mjs', import.meta.url);
/** Files assigned per worker ahead of the one being consumed: enough to keep every worker busy. */
const AHEAD_PER_WORKER = 2;

interface FileState {
  batches: Triaged[][];
  done: boolean;
}

export async function* triagedFromWorkers(
  paths: string[],
  setup: WorkerSetup,
  count: number,
  onFile?: (path: string) => void,
  /** The worker's entry module (default: triage-worker.ts bundled, else through tsx). */
  entry?: URL | string,
): AsyncGenerator<Triaged[]> {
  const { files, errors } = await listInputs(paths);
  const listingErrors = errors.flatMap((e): Triaged[] => (e.kind === 'error' ? [{ kind: 'error', path: e.path, reason: e.reason }] : []));
  if (listingErrors.length) yield listingErrors;
  if (files.length === 0) return;

  const script = entry ?? (await bundledWorkerEntry()) ?? WORKER_ENTRY;
  const workers = Array.from({ length: Math.min(count, files.length) }, () => new Worker(script, { workerData: setup }));
  const states = new Map<number, FileState>();
  let wake: (() => void) | undefined;
  let crash: Error | undefined;
  let next = 0;
  // Files read but not yet consumed are held here: workers run at most this many files ahead of the
  // one being consumed, so memory stays a few files' worth however fast they are.
  let consuming = 0;
  const window = workers.length * (AHEAD_PER_WORKER + 1);
  const idle: Worker[] = [];
  const assign = (worker: Worker): boolean => {
    if (next >= files.length) return true;
    if (next >= consuming + window) return false;
    states.set(next, { batches: [], done: false });
    worker.postMessage({ file: files[next] as string, seq: next } satisfies WorkerRequest);
    next += 1;
    return true;
  };
  const assignIdle = () => {
    while (idle.length > 0 && assign(idle[0] as Worker)) idle.shift();
  };
  for (const worker of workers) {
    worker.on('message', (response: WorkerResponse) => {
      const state = states.get(response.seq);
      if (!state) return;
      if (response.items.times.length) state.batches.push(unpackBatch(response.items));
      if (response.failure !== undefined) state.batches.push([{ kind: 'error', path: files[response.seq] as string, reason: response.failure }]);
      if (response.done) {
        state.done = true;
        if (!assign(worker)) idle.push(worker);
      }
      wake?.();
    });
    worker.on('error', (error) => {
      crash = error;
      wake?.();
    });
    for (let i = 0; i < AHEAD_PER_WORKER; i++) assign(worker);
  }

  try {
    for (let seq = 0; seq < files.length; seq++) {
      consuming = seq;
      assignIdle();
      onFile?.(files[seq] as string);
      for (;;) {
        if (crash) throw new Error(`a replay worker failed: ${reasonOf(crash)}`, { cause: crash });
        const state = states.get(seq);
        if (state === undefined) throw new Error(`replay file ${seq} was never assigned`);
        const batch = state.batches.shift();
        if (batch) {
          yield batch;
          // Worker messages are macrotasks, and consuming a batch runs only microtasks: let them in, so
          // a worker that finished a file gets its next one while this thread is busy.
          await new Promise<void>((resolve) => setImmediate(resolve));
          continue;
        }
        if (state.done) break;
        await new Promise<void>((resolve) => (wake = resolve));
      }
      states.delete(seq);
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

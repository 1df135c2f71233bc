import { Worker } from 'node:worker_threads';
import type { RuleTuningConfig } from '../detection/tuning.js';
import type { Listing } from './sources/list.js';
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
 * transferred Float64Array instead of being serialised one by one. Most of the rest are repeats a
 * worker sends without their event (triage-worker.ts): packed below. The few others (events, as JSON
 * text; errors) travel beside them with their positions.
 */
export interface PackedBatch {
  times: Float64Array;
  positions: number[];
  others: Triaged[];
  probed?: PackedProbes;
}

/**
 * Probed items whose ordering time, event time and probe time are one number (every record of a
 * CloudTrail file), in typed arrays and a string table: as objects, their structured clone cost the
 * worker and the main thread more than the rest of a batch together. Rule ids and memo keys are sent
 * once per worker and then referred to by number; the table is emptied (and `reset` says so) when it
 * grows past a bound, since memo keys are made of attacker-chosen text.
 */
export interface PackedProbes {
  /** Each item's position in the batch, and its event's index in its file (to read it again). */
  positions: Int32Array;
  indexes: Int32Array;
  eventIds: string[];
  /** Per item: its rule count, then per rule its id's string number, its key count and key numbers. */
  refs: Int32Array;
  /** Strings this batch adds to the table, numbered on from the table's size. */
  strings: string[];
  /** The table was emptied before this batch's strings were added. */
  reset: boolean;
}

type Probed = Extract<Triaged, { kind: 'probed' }>;

/** Bound on a worker's string table (rule ids and memo keys). */
export const MAX_PACKED_STRINGS = 100_000;

function packable(item: Triaged): item is Probed {
  return typeof item !== 'number' && item.kind === 'probed' && typeof item.at === 'number' && item.order === item.at && item.probe.eventMs === item.at;
}

/** The worker's side: one packer per worker, since its string table spans the batches it sends. */
export function createPacker(maxStrings = MAX_PACKED_STRINGS): (items: readonly Triaged[]) => PackedBatch {
  const table = new Map<string, number>();
  return (items) => {
    const times = new Float64Array(items.length);
    const positions: number[] = [];
    const others: Triaged[] = [];
    const probed: Probed[] = [];
    const probedAt: number[] = [];
    items.forEach((item, i) => {
      if (typeof item === 'number') {
        times[i] = item;
      } else if (packable(item)) {
        times[i] = item.at as number;
        probed.push(item);
        probedAt.push(i);
      } else {
        times[i] = Number.NaN;
        positions.push(i);
        // An event crosses as JSON text: cheaper than a structured clone of the object.
        others.push(item.kind === 'event' && typeof item.event !== 'string' ? { ...item, event: JSON.stringify(item.event) } : item);
      }
    });
    if (probed.length === 0) return { times, positions, others };
    const reset = table.size > maxStrings;
    if (reset) table.clear();
    const strings: string[] = [];
    const ref = (text: string): number => {
      let n = table.get(text);
      if (n === undefined) {
        n = table.size;
        table.set(text, n);
        strings.push(text);
      }
      return n;
    };
    const refs: number[] = [];
    for (const { probe } of probed) {
      refs.push(probe.rules.length);
      for (const rule of probe.rules) {
        refs.push(ref(rule.id), rule.memoKeys.length);
        for (const key of rule.memoKeys) refs.push(ref(key));
      }
    }
    return {
      times,
      positions,
      others,
      probed: {
        positions: Int32Array.from(probedAt),
        indexes: Int32Array.from(probed, (item) => item.origin.index),
        eventIds: probed.map((item) => item.probe.eventId),
        refs: Int32Array.from(refs),
        strings,
        reset,
      },
    };
  };
}

/** The main thread's side: one unpacker per worker, holding that worker's string table. */
export function createUnpacker(): (batch: PackedBatch, path: string) => Triaged[] {
  let table: string[] = [];
  return (batch, path) => {
    const items: Triaged[] = Array.from(batch.times);
    batch.positions.forEach((position, k) => {
      items[position] = batch.others[k] as Triaged;
    });
    const packed = batch.probed;
    if (packed === undefined) return items;
    if (packed.reset) table = [];
    for (const text of packed.strings) table.push(text);
    const text = (n: number): string => {
      const found = table[n];
      if (found === undefined) throw new Error(`replay worker sent string ${n}, which it never defined`);
      return found;
    };
    const refs = packed.refs;
    let r = 0;
    for (let k = 0; k < packed.positions.length; k++) {
      const position = packed.positions[k] as number;
      const at = batch.times[position] as number;
      const rules: Array<{ id: string; memoKeys: string[] }> = [];
      const ruleCount = refs[r++] as number;
      for (let j = 0; j < ruleCount; j++) {
        const id = text(refs[r++] as number);
        const keyCount = refs[r++] as number;
        const memoKeys: string[] = [];
        for (let q = 0; q < keyCount; q++) memoKeys.push(text(refs[r++] as number));
        rules.push({ id, memoKeys });
      }
      items[position] = {
        kind: 'probed',
        order: at,
        at,
        probe: { eventMs: at, eventId: packed.eventIds[k] as string, rules },
        origin: { path, index: packed.indexes[k] as number },
      };
    }
    return items;
  };
}

const WORKER_ENTRY = new URL('./triage-worker.mjs', import.meta.url);
/**
 * Files queued in each worker: its next file is assigned when it reports one done, which waits for
 * the main thread's turn on a core; with two queued, workers idled 3% of a replay, with four 1%.
 */
const AHEAD_PER_WORKER = 4;
/**
 * How many files per worker may be read before the one being consumed. Files are consumed in order,
 * so a worker that finished its files waits while another reads a large one; with three per worker
 * they still idled 6% of a replay, with twelve 3%. A read file waits as its triaged batches (times
 * and probes in typed arrays, a few events as text): a few KB each.
 */
const WINDOW_PER_WORKER = 12;

interface FileState {
  batches: Triaged[][];
  done: boolean;
}

/** Triaged batches from worker threads, and a way to stop them. */
export interface TriagePool {
  /** Every file's batches, in the listing's order (listing errors first). Ending or leaving it stops the workers. */
  batches: AsyncGenerator<Triaged[]>;
  /** Stops the workers, for a caller that gives up before reading `batches`. */
  close(): Promise<void>;
}

/**
 * Starts the workers at once: each loads its bundle and compiles its rules (about 55 ms of CPU) while
 * the caller still prepares (imports its own rules, sizes the reorder buffer), instead of when the
 * first batch is asked for.
 */
export function startTriageWorkers(
  listing: Promise<Listing> | Listing,
  setup: WorkerSetup,
  count: number,
  onFile?: (path: string) => void,
  /** The worker's entry module (default: triage-worker.ts bundled, else through tsx). */
  entry?: URL | string,
): TriagePool {
  let workers: Worker[] = [];
  let closed = false;
  const close = async (): Promise<void> => {
    closed = true;
    const running = workers;
    workers = [];
    await Promise.all(running.map((w) => w.terminate()));
  };
  const states = new Map<number, FileState>();
  let wake: (() => void) | undefined;
  let crash: Error | undefined;
  let next = 0;
  // Files read but not yet consumed are held here: workers run at most this many files ahead of the
  // one being consumed, so memory stays a few files' worth however fast they are.
  let consuming = 0;
  let window = 0;
  let files: readonly string[] = [];
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
  const spawn = (script: URL | string): Worker => {
    // No inherited Node options: a host started with `--import tsx` (bench/, tests) would load tsx in
    // every worker, about 50 ms each, for an entry that registers what it needs itself.
    const worker = new Worker(script, { workerData: setup, execArgv: [] });
    const unpack = createUnpacker();
    worker.on('message', (response: WorkerResponse) => {
      const state = states.get(response.seq);
      if (!state) return;
      if (response.items.times.length) state.batches.push(unpack(response.items, files[response.seq] as string));
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
    return worker;
  };

  const ready = (async (): Promise<Listing> => {
    const [listed, script] = await Promise.all([listing, entry ?? bundledWorkerEntry().then((bundled) => bundled ?? WORKER_ENTRY)]);
    files = listed.files;
    if (closed || files.length === 0) return listed;
    workers = Array.from({ length: Math.min(count, files.length) }, () => spawn(script));
    window = workers.length * WINDOW_PER_WORKER;
    for (const worker of workers) for (let i = 0; i < AHEAD_PER_WORKER; i++) assign(worker);
    return listed;
  })();
  ready.catch(() => undefined); // reported when the batches are read

  async function* batches(): AsyncGenerator<Triaged[]> {
    try {
      const { errors } = await ready;
      const listingErrors = errors.flatMap((e): Triaged[] => (e.kind === 'error' ? [{ kind: 'error', path: e.path, reason: e.reason }] : []));
      if (listingErrors.length) yield listingErrors;
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
      await close();
    }
  }
  return { batches: batches(), close };
}

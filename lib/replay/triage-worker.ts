import { parentPort, workerData } from 'node:worker_threads';
import { compileRules } from '../detection/evaluate.js';
import type { Rule } from '../detection/rule.js';
import { readSourceBatches } from './sources/read.js';
import { createTriage, type Triaged } from './triage.js';
import { selectReplayRules } from './select.js';
import type { SourceItem } from './sources/parse.js';
import { createAllowlist } from '../detection/suppress.js';
import { createPacker, type PackedBatch, type WorkerRequest, type WorkerResponse, type WorkerSetup } from './pool.js';

/**
 * A replay worker: reads, inflates and parses the files it is given and triages every record
 * (triage.ts), posting each batch back with the file's sequence number. Rules are code, so the worker
 * loads and selects them itself from the same settings as the main thread.
 */
const setup = workerData as WorkerSetup;
const port = parentPort;
if (!port) throw new Error('triage-worker.ts runs as a worker thread');

const { rules: all } = (await import('../../rules/index.js')) as { rules: readonly Rule[] };
const allowlist = setup.overrides ? createAllowlist(setup.overrides) : undefined;
const triage = createTriage(compileRules(selectReplayRules(all, setup)), { ...(allowlist ? { allowlist } : {}), ...(setup.overrides ? { overrides: setup.overrides } : {}) });

const pack = createPacker();

/**
 * The earliest event time at which this worker sent each mark (distinct rule, group, period, value)
 * with an event. Bounded: forgetting only means sending more events.
 */
const sent = new Map<string, number>();
const MAX_SENT = 200_000;

/**
 * Most matches of a history are repeats: an app reading its own secrets all day. Turning each into
 * JSON text for the main thread cost about as much as parsing it. A probed event whose every mark this
 * worker already sent with an event at an earlier or equal time goes without it: the main thread
 * handles events in event-time order, and this worker's in the order sent among equal times, so that
 * earlier event was decided first and its marks are in the policy's memo, and the probe decides this
 * one as a repeat. When it cannot after all (the earlier match was late, or outside --since/--until,
 * or the memo forgot it), the main thread reads the event again from its file (run.ts): slower,
 * never different.
 */
function lighten(item: Triaged, source: SourceItem): Triaged {
  if (typeof item === 'number' || item.kind !== 'event' || item.probe === undefined || source.kind !== 'event') return item;
  const { eventMs, rules } = item.probe;
  let known = true;
  for (const { memoKeys } of rules) {
    for (const key of memoKeys) {
      const at = sent.get(key);
      if (at === undefined || at > eventMs) known = false;
    }
  }
  if (known) return { kind: 'probed', order: item.order, at: item.at, probe: item.probe, origin: source.origin };
  if (sent.size >= MAX_SENT) sent.clear();
  for (const { memoKeys } of rules) for (const key of memoKeys) sent.set(key, Math.min(sent.get(key) ?? Infinity, eventMs));
  return item;
}

async function handle(request: WorkerRequest): Promise<void> {
  // A batch is held until the next one is read, so the last goes with `done`: one message per small
  // file instead of two (each wakes the main thread).
  let held: PackedBatch | undefined;
  const post = (items: PackedBatch, done: boolean, failure?: string): void => {
    const response: WorkerResponse = { seq: request.seq, items, done, ...(failure === undefined ? {} : { failure }) };
    port?.postMessage(response, [items.times.buffer as ArrayBuffer]);
  };
  try {
    // Inflated here, on this worker's own thread: the thread pool would only add a hand-off.
    for await (const batch of readSourceBatches([request.file], { inflate: 'sync', listing: { files: [request.file], errors: [] } })) {
      if (held) post(held, false);
      held = pack(batch.map((source) => lighten(triage(source), source)));
    }
    post(held ?? pack([]), true);
  } catch (error) {
    if (held) post(held, false);
    post(pack([]), true, (error as Error)?.message ?? String(error));
  }
}

// One file at a time, in the order given: the main thread consumes files in sequence.
let queue = Promise.resolve();
port.on('message', (request: WorkerRequest) => {
  queue = queue.then(() => handle(request));
});

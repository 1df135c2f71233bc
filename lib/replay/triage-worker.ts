import { parentPort, workerData } from 'node:worker_threads';
import { compileRules } from '../detection/evaluate.js';
import type { Rule } from '../detection/rule.js';
import { readSourceBatches } from './sources/read.js';
import { createTriage } from './triage.js';
import { createAllowlist } from '../detection/suppress.js';
import { packBatch, type WorkerRequest, type WorkerResponse, type WorkerSetup } from './pool.js';

/**
 * A replay worker: reads, inflates and parses the files it is given and triages every record
 * (triage.ts), posting each batch back with the file's sequence number. Rules are code, so the worker
 * loads and selects them itself from the same settings as the main thread.
 */
const setup = workerData as WorkerSetup;
const port = parentPort;
if (!port) throw new Error('triage-worker.ts runs as a worker thread');

const { rules: all } = (await import('../../rules/index.js')) as { rules: readonly Rule[] };
const { selectReplayRules } = await import('./run.js');
const allowlist = setup.overrides ? createAllowlist(setup.overrides) : undefined;
const triage = createTriage(compileRules(selectReplayRules(all, setup)), { ...(allowlist ? { allowlist } : {}), ...(setup.overrides ? { overrides: setup.overrides } : {}) });

const NONE = packBatch([]);

async function handle(request: WorkerRequest): Promise<void> {
  try {
    // Inflated here, on this worker's own thread: the thread pool would only add a hand-off.
    for await (const batch of readSourceBatches([request.file], { inflate: 'sync' })) {
      const items = packBatch(batch.map(triage));
      port?.postMessage({ seq: request.seq, items, done: false } satisfies WorkerResponse, [items.times.buffer as ArrayBuffer]);
    }
    port?.postMessage({ seq: request.seq, items: NONE, done: true } satisfies WorkerResponse);
  } catch (error) {
    port?.postMessage({ seq: request.seq, items: NONE, done: true, failure: (error as Error)?.message ?? String(error) } satisfies WorkerResponse);
  }
}

// One file at a time, in the order given: the main thread consumes files in sequence.
let queue = Promise.resolve();
port.on('message', (request: WorkerRequest) => {
  queue = queue.then(() => handle(request));
});

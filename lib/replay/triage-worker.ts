import { parentPort, workerData } from 'node:worker_threads';
import { compileRules } from '../detection/evaluate.js';
import type { Rule } from '../detection/rule.js';
import { readSourceBatches } from './sources/read.js';
import { createTriage, type Triaged } from './triage.js';
import { createAllowlist } from '../detection/suppress.js';
import type { WorkerRequest, WorkerResponse, WorkerSetup } from './pool.js';

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

/** An event crosses to the main thread as JSON text: cheaper than a structured clone of the object. */
function forTransfer(item: Triaged): Triaged {
  return typeof item === 'object' && item.kind === 'event' && typeof item.event !== 'string' ? { ...item, event: JSON.stringify(item.event) } : item;
}

async function handle(request: WorkerRequest): Promise<void> {
  try {
    for await (const batch of readSourceBatches([request.file])) {
      port?.postMessage({ seq: request.seq, items: batch.map((item) => forTransfer(triage(item))), done: false } satisfies WorkerResponse);
    }
    port?.postMessage({ seq: request.seq, items: [], done: true } satisfies WorkerResponse);
  } catch (error) {
    port?.postMessage({ seq: request.seq, items: [], done: true, failure: (error as Error)?.message ?? String(error) } satisfies WorkerResponse);
  }
}

// One file at a time, in the order given: the main thread consumes files in sequence.
let queue = Promise.resolve();
port.on('message', (request: WorkerRequest) => {
  queue = queue.then(() => handle(request));
});

import { stat } from 'node:fs/promises';
import type { Alert } from '../alert/alert.js';
import { asEnvelope } from '../cloudtrail/wrap.js';
import { compileRules } from '../detection/evaluate.js';
import type { RuleTuningConfig } from '../detection/tuning.js';
import { createDetector, createWatermarkClock, DEFAULT_ALLOWED_LATENESS_MS } from '../handlers/pipeline.js';
import { flushDue } from '../incidents/followups.js';
import { createIncidentPolicy } from '../incidents/policy.js';
import { BUCKET_MS } from '../incidents/items.js';
import type { Rule } from '../detection/rule.js';
import { createEmbeddedStore } from '../state/embedded-store.js';
import type { StoreCallCounts } from '../state/store.js';
import { createAllowlist } from '../detection/suppress.js';
import { orderBatchesByEventTime } from './order.js';
import { startTriageWorkers } from './pool.js';
import { listInputs } from './sources/list.js';
import { type SourceItem } from './sources/parse.js';
import { readSourceBatches } from './sources/read.js';
import { createTriage, timeOfTriaged, type Triaged, type TriageOptions } from './triage.js';
import { selectReplayRules } from './select.js';

export { selectReplayRules, selectRules } from './select.js';

/**
 * Replay: the deployed pipeline (EventBridge routing, rules, state, alerts) run over recorded
 * CloudTrail, on an event-time clock and the embedded store. What it alerts is what trailwatch
 * would have alerted live, given the same order of arrival.
 */

export interface ReplayOptions {
  paths: string[];
  /** Read these batches instead of `paths` (e.g. CloudTrail Event history, `lib/replay/lookup.ts`). */
  source?: AsyncIterable<SourceItem[]>;
  /** `event-time` (default): sorted by eventTime within a bounded buffer; `input`: as read. */
  order?: 'event-time' | 'input';
  since?: Date;
  until?: Date;
  /** Rule ids to run (default: all live rules, plus staged ones with `staged`). */
  ruleIds?: string[];
  staged?: boolean;
  rules?: readonly Rule[];
  /** Per-deployment settings (`--tuning`), applied exactly as the deployed alerter applies them. */
  overrides?: RuleTuningConfig;
  allowedLatenessMs?: number;
  onAlert?: (alert: Alert) => void;
  /** Called every `progressEvery` input items (default 10,000) with the files started so far and the state items held. */
  onProgress?: (progress: { events: number; filesStarted: number; stateItems: number }) => void;
  progressEvery?: number;
  /**
   * Worker threads that read, parse and triage files (pool.ts); 0 (the default) does it all on this
   * thread. Either way the alerts are the same. Ignored with `source` or with `rules` other than
   * rules/index.ts's list (rules are code and cannot be sent to a worker).
   */
  workers?: number;
  /** Counts the state operations (each one DynamoDB request when deployed; bench/cost.ts meters its own store). */
  storeCounts?: StoreCallCounts;
  /** The workers' entry module (default: lib/replay/triage-worker.ts bundled by worker-bundle.ts). */
  workerEntry?: URL | string;
  /**
   * Tell repeats of distinct rules from triage's probes (default true); false runs every match through
   * the detector in full. The outcome is the same either way (test/replay/workers.test.ts compares).
   */
  probes?: boolean;
  /** Called each time an event a worker did not send is read from its file again (tests count them). */
  onRefetch?: () => void;
}

export interface ReplaySummary {
  events: number;
  matchedEvents: number;
  alerts: number;
  /** Values that were not CloudTrail events, or that the detector refused. */
  malformed: number;
  malformedReasons: string[];
  /** Unreadable or corrupt inputs (whole files, or NDJSON lines), with their path. */
  fileErrors: Array<{ path: string; reason: string }>;
  /** Events outside --since/--until. */
  skipped: number;
  perRule: Record<string, { matched: number; alerts: number }>;
  /** Matches an allowlist covered (counted, not alerted), per rule id and reason. */
  allowlisted: Record<string, Record<string, number>>;
  elapsedMs: number;
}

/**
 * How far apart in event time records of one replay may arrive and still be put in order. Files are
 * already read in the order of their CloudTrail delivery stamps, so what is left is the ~5 minutes one
 * file covers; anything later still counts (the detector allows 30 minutes of lateness), only out of
 * order. 15 minutes cost 25% of replay speed and 60 MB of memory for the same alerts (bench/RESULTS.md).
 */
const REORDER_MS = 5 * 60_000;
/**
 * Inputs this small are sorted by event time as a whole instead. A folder of unrelated recordings (one
 * file per Stratus Red Team technique, samples exported by hand) has no delivery stamps in its names,
 * so name order can put events months apart side by side, and the later files' events arrive "late"
 * and miss their bursts and sequences. Counted in bytes on disk, gzip as ten times its size (about
 * what CloudTrail's JSON inflates to), so what is held while sorting stays small.
 */
export const WHOLE_SORT_BYTES = 32 * 1024 * 1024;
const GZIP_FACTOR = 10;

/** True when the inputs are small enough to sort whole (an unreadable path counts as nothing here). */
export async function sortsWhole(paths: readonly string[]): Promise<boolean> {
  return filesSortWhole((await listInputs([...paths])).files);
}

async function filesSortWhole(files: readonly string[]): Promise<boolean> {
  let bytes = 0;
  for (const file of files) {
    const size = await stat(file).then((s) => s.size, () => 0);
    bytes += /\.gz$/i.test(file) ? size * GZIP_FACTOR : size;
    if (bytes > WHOLE_SORT_BYTES) return false;
  }
  return true;
}
const MAX_REASONS = 5;
/**
 * State is kept by event time only while something can still read it, so memory is set by the event
 * rate, not by the length of the history. A claim guards against a copy of its event for 6 hours (a
 * history's copies come from CloudTrail's duplicate deliveries and overlapping trails, minutes apart;
 * live, EventBridge's retries need 25 h), and outlives the follow-up it may be counted in by an hour
 * (replay flushes every 5 minutes of event time; live, a day covers a flush that runs late).
 */
const REPLAY_DEDUPE_MS = 6 * 3_600_000;
const REPLAY_FOLLOW_UP_MARGIN_MS = 3_600_000;

async function* triagedInline(batches: AsyncIterable<SourceItem[]>, rules: readonly Rule[], opts: TriageOptions): AsyncGenerator<Triaged[]> {
  const triage = createTriage(compileRules(rules), opts);
  for await (const batch of batches) {
    const triaged = batch.map(triage);
    // The readers up the chain hold this array until they are asked for the next batch: emptied, the
    // records no rule matched can go while this batch is detected. Reachable, every young-generation
    // collection meanwhile copied a whole file of records (1.5 s of CPU a million events, three times
    // the floor's).
    batch.length = 0;
    yield triaged;
  }
}

export async function runReplay(opts: ReplayOptions): Promise<ReplaySummary> {
  const started = performance.now();
  // Listed once, for sizing the reorder buffer, for the workers and for reading.
  const listing = opts.source ? undefined : listInputs(opts.paths);
  listing?.catch(() => undefined); // awaited below
  let filesStarted = 0;
  const onFile = () => void (filesStarted += 1);
  const setup = { staged: opts.staged ?? false, ...(opts.ruleIds ? { ruleIds: opts.ruleIds } : {}), ...(opts.overrides ? { overrides: opts.overrides } : {}) };
  const wanted = Math.max(0, Math.floor(opts.workers ?? 0));
  // Workers load the rules themselves, so only the project's own list can be replayed in them: with
  // no other list given, they start now and load while this thread imports its own.
  let pool = listing && wanted > 0 && opts.rules === undefined ? startTriageWorkers(listing, setup, wanted, onFile, opts.workerEntry) : undefined;
  try {
    const canonical = (await import('../../rules/index.js')).rules;
    const allRules = opts.rules ?? canonical;
    const rules = selectReplayRules(allRules, opts);
    const allowlist = opts.overrides ? createAllowlist(opts.overrides) : undefined;
    const lateness = opts.allowedLatenessMs ?? DEFAULT_ALLOWED_LATENESS_MS;
    const clock = createWatermarkClock();
    // State expires on the time of the last follow-up flush rather than on the newest event: when the
    // history jumps ahead (a quiet night, a gap), the follow-ups due in the gap are still sent with the
    // claims they count, which expire soon after their follow-up is due (REPLAY_FOLLOW_UP_MARGIN_MS).
    let flushedAt = 0;
    const store = createEmbeddedStore({ now: () => flushedAt, ...(opts.storeCounts ? { counts: opts.storeCounts } : {}) });
    const detector = createDetector({
      rules,
      clock: clock.now,
      observeEventTime: clock.observe,
      allowedLatenessMs: lateness,
      indexRules: true,
      ...(allowlist ? { allowlist } : {}),
      policy: createIncidentPolicy({
        store,
        allowedLatenessMs: lateness,
        dedupeRetentionMs: REPLAY_DEDUPE_MS,
        followUpMarginMs: REPLAY_FOLLOW_UP_MARGIN_MS,
        ...(opts.overrides ? { overrides: opts.overrides } : {}),
      }),
    });
    const summary: ReplaySummary = {
      events: 0,
      matchedEvents: 0,
      alerts: 0,
      malformed: 0,
      malformedReasons: [],
      fileErrors: [],
      skipped: 0,
      perRule: Object.fromEntries(rules.map((r) => [r.id, { matched: 0, alerts: 0 }])),
      allowlisted: {},
      elapsedMs: 0,
    };
    const emit = (alert: Alert) => {
      summary.alerts += 1;
      const stats = summary.perRule[alert.ruleId];
      if (stats) stats.alerts += 1;
      opts.onAlert?.(alert);
    };
    // Follow-ups are due on event time: flush each time the watermark crosses a 5-minute bucket.
    let lastFlush = 0;
    const flush = async (now: number) => {
      await flushDue({ store, rules, now, allowedLatenessMs: lateness, replayed: true, send: async (a) => emit(a) });
      lastFlush = now;
      flushedAt = clock.now();
    };

    const progressEvery = Math.max(1, Math.floor(opts.progressEvery ?? 10_000));
    let seen = 0;
    // A list of rules given that is the project's own (same objects) may still go to workers.
    if (!pool && listing && wanted > 0 && allRules === canonical) pool = startTriageWorkers(listing, setup, wanted, onFile, opts.workerEntry);
    const triaged = pool
      ? pool.batches
      : triagedInline(opts.source ?? readSourceBatches(opts.paths, { onFile, ...(listing ? { listing } : {}) }), rules, { ...(allowlist ? { allowlist } : {}), ...(opts.overrides ? { overrides: opts.overrides } : {}) });
    // Batches, not events, cross async steps; ordering reads the raw time, wrapping happened in triage.
    const byEventTime = (opts.order ?? 'event-time') === 'event-time';
    const whole = byEventTime && listing !== undefined && (await filesSortWhole((await listing).files));
    const ordered = byEventTime ? orderBatchesByEventTime(triaged, { timeOf: timeOfTriaged, maxLatenessMs: whole ? Infinity : REORDER_MS }) : triaged;
    const since = opts.since?.getTime() ?? -Infinity;
    const until = opts.until?.getTime() ?? Infinity;
    const malformed = (reason: string) => {
      summary.malformed += 1;
      if (summary.malformedReasons.length < MAX_REASONS) summary.malformedReasons.push(reason);
    };

    // A worker's probed event it did not send (triage-worker.ts's lighten), should its probe not decide
    // it: read from its file again, which is kept for the next such event (they come from few files).
    let reread: { path: string; values: unknown[] } | undefined;
    const refetch = async (origin: { path: string; index: number }): Promise<unknown> => {
      opts.onRefetch?.();
      if (reread?.path !== origin.path) {
        const values: unknown[] = [];
        for await (const batch of readSourceBatches([origin.path])) for (const it of batch) if (it.kind === 'event') values[it.origin.index] = it.value;
        reread = { path: origin.path, values };
      }
      const value = reread.values[origin.index];
      if (value === undefined) throw new Error(`${origin.path} changed while it was replayed: event ${origin.index} is gone`);
      return asEnvelope(value) ?? value;
    };

    for await (const batch of ordered) for (const item of batch) {
      seen += 1;
      if (opts.onProgress && seen % progressEvery === 0) opts.onProgress({ events: summary.events, filesStarted, stateItems: store.prune() });
      // Most events: no rule matches, only their time matters (the clock, the range, flushing).
      let time: number | undefined;
      if (typeof item === 'number') time = Number.isNaN(item) ? undefined : item;
      else if (item.kind === 'times') time = item.event;
      else if (item.kind === 'error') {
        summary.fileErrors.push({ path: item.path, reason: item.reason });
        continue;
      } else if (item.kind === 'not-envelope') {
        malformed(`${item.origin}: not an EventBridge envelope or CloudTrail record`);
        continue;
      }
      if (typeof item === 'number' || item.kind === 'times') {
        const ms = time ?? Number.NaN;
        if (ms < since || ms >= until) {
          summary.skipped += 1;
          continue;
        }
        summary.events += 1;
        if (time !== undefined) clock.observe(time);
      } else {
        const ms = item.at ?? Number.NaN;
        if (ms < since || ms >= until) {
          summary.skipped += 1;
          continue;
        }
        summary.events += 1;
        // A repeat of marked values is told from its probe; anything else needs the event itself.
        const quick = item.probe && opts.probes !== false ? detector.decideRepeat(item.probe) : undefined;
        const event = quick ? undefined : item.kind === 'probed' ? await refetch(item.origin) : typeof item.event === 'string' ? JSON.parse(item.event) : item.event;
        const result = quick ?? (await detector.process(event));
        if (result.malformed || result.forged) {
          malformed(`${result.eventId ?? '?'}: ${result.malformed ?? result.forged}`);
          continue;
        }
        if (result.matched.length) summary.matchedEvents += 1;
        for (const id of result.matched) {
          const stats = summary.perRule[id];
          if (stats) stats.matched += 1;
        }
        for (const { ruleId, reason } of result.allowlisted) {
          const reasons = (summary.allowlisted[ruleId] ??= {});
          reasons[reason] = (reasons[reason] ?? 0) + 1;
        }
        for (const alert of result.alerts) emit(alert);
        // Emitted is delivered: a later copy of the same event in the history is a duplicate.
        for (const receipt of result.receipts) if (receipt) await detector.confirm(receipt);
      }
      if (clock.now() - lastFlush >= BUCKET_MS) await flush(clock.now());
    }
    // The end of history closes every incident: send the follow-ups still owed.
    await flush(clock.now() + 48 * 3_600_000);
    opts.onProgress?.({ events: summary.events, filesStarted, stateItems: store.prune() });
    summary.elapsedMs = Math.round(performance.now() - started);
    return summary;
  } finally {
    await pool?.close();
  }
}

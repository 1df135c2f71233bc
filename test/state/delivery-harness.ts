/**
 * Fault injection for the detect path: a store and a transport that fail once at a chosen step, and a
 * runner that delivers events through the real handler logic (`handleEvent`) the way Lambda does:
 * an attempt that throws is retried (after Lambda's retry delay), twice at most.
 */
import type { Alert } from '../../lib/alert/alert.js';
import { asEnvelope } from '../../lib/cloudtrail/wrap.js';
import type { TrailEvent } from '../../lib/cloudtrail/types.js';
import { createDetector, type Detector } from '../../lib/handlers/pipeline.js';
import { flushDue } from '../../lib/incidents/followups.js';
import { handleEvent, type HandleSummary, type Log, type MetricSink } from '../../lib/handlers/detect.js';
import { createIncidentPolicy } from '../../lib/incidents/policy.js';
import type { RuleTuning } from '../../lib/detection/rule.js';
import type { Condition, PutResult, StateItem, StateKey, StateStore, UpdateOps } from '../../lib/state/store.js';
import type { Transport } from '../../lib/transport/transport.js';
import { rules } from '../../rules/index.js';
import { loadSample } from '../support/rule-cases.js';

export const MIN = 60_000;
export const LATENESS = 30 * MIN;
/** Lambda waits about a minute before retrying a failed asynchronous invocation. */
export const RETRY_DELAY_MS = MIN;

/**
 * How an injected store failure behaves:
 * - `refused`: the request fails and changes nothing (throttling);
 * - `lost`: the request is applied but its response is lost (a timeout after the write);
 * - `outage`: the request and every later one of that attempt fail (the store is down, or the
 *   function dies there: nothing it would do afterwards, not even releasing its claims, happens).
 */
export type FailureMode = 'refused' | 'lost' | 'outage';

export class InjectedFailureError extends Error {
  override readonly name = 'InjectedFailureError';
}

export interface StoreStep {
  op: 'put' | 'update' | 'get' | 'query' | 'delete';
  pk: string;
  /** What an update sets, for naming the step (`confirm` sets d=sent). */
  sets?: string;
}

const kindOf = (pk: string): string => pk.slice(0, pk.indexOf('#') + 1 || pk.length);

export function describeStep(step: StoreStep): string {
  return `${step.op} ${kindOf(step.pk)}${step.sets ? ` set ${step.sets}` : ''}`;
}

/** A StateStore that records every operation and fails the `failAt`-th one (0-based) once. */
export class FlakyStore implements StateStore {
  readonly steps: StoreStep[] = [];
  /** Every partition a put or update was attempted on. */
  readonly written = new Set<string>();
  failAt: number | undefined;
  mode: FailureMode = 'refused';
  #down = false;
  constructor(readonly inner: StateStore) {}

  /** A new Lambda attempt: an outage ends with the attempt that saw it. */
  nextAttempt(): void {
    this.#down = false;
  }

  async #call<T>(step: StoreStep, run: () => Promise<T>): Promise<T> {
    const index = this.steps.length;
    this.steps.push(step);
    if (this.#down) throw new InjectedFailureError(`store down: ${describeStep(step)}`);
    if (index !== this.failAt) return run();
    if (this.mode === 'lost') {
      await run();
      throw new InjectedFailureError(`response lost: ${describeStep(step)}`);
    }
    if (this.mode === 'outage') this.#down = true;
    throw new InjectedFailureError(`refused: ${describeStep(step)}`);
  }

  put(item: StateItem, condition?: Condition): Promise<PutResult> {
    this.written.add(item.pk);
    return this.#call({ op: 'put', pk: item.pk }, () => this.inner.put(item, condition));
  }
  update(key: StateKey, ops: UpdateOps, condition?: Condition): Promise<StateItem | undefined> {
    const sets = Object.entries(ops.set ?? {})
      .filter(([k]) => k === 'd' || k === 'lease')
      .map(([k, v]) => `${k}=${k === 'lease' ? (v === 0 ? 0 : 'n') : String(v)}`)
      .join(',');
    this.written.add(key.pk);
    return this.#call({ op: 'update', pk: key.pk, ...(sets ? { sets } : {}) }, () => this.inner.update(key, ops, condition));
  }
  get(key: StateKey): Promise<StateItem | undefined> {
    return this.#call({ op: 'get', pk: key.pk }, () => this.inner.get(key));
  }
  query(pk: string, range?: { from?: string; to?: string; limit?: number }): Promise<StateItem[]> {
    return this.#call({ op: 'query', pk }, () => this.inner.query(pk, range));
  }
  delete(key: StateKey): Promise<void> {
    return this.#call({ op: 'delete', pk: key.pk }, () => this.inner.delete(key));
  }
  flush(): Promise<void> {
    return this.inner.flush();
  }
}

/** Records what it delivered; refuses the `failAt`-th publish (0-based) once, as SNS throttling does. */
export class FlakyTransport implements Transport {
  readonly name = 'flaky';
  readonly delivered: Alert[] = [];
  attempts = 0;
  failAt: number | undefined;
  async send(alert: Alert): Promise<void> {
    const index = this.attempts++;
    if (index === this.failAt) throw new InjectedFailureError(`publish refused: ${alert.id}`);
    this.delivered.push(structuredClone(alert));
  }
}

export const silentLog: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };

export class RecordingMetrics implements MetricSink {
  readonly counts: Record<string, number> = {};
  addMetric(name: string, _unit: string, value: number): void {
    this.counts[name] = (this.counts[name] ?? 0) + value;
  }
}

export interface Clock {
  now: number;
}

export function makeDetector(store: StateStore, clock: Clock, overrides?: Record<string, RuleTuning>): Detector {
  return createDetector({
    rules,
    clock: () => clock.now,
    allowedLatenessMs: LATENESS,
    policy: createIncidentPolicy({ store, allowedLatenessMs: LATENESS, ...(overrides ? { overrides } : {}) }),
  });
}

/** One event as Lambda delivers it: attempts until one succeeds, at most three, a minute apart. */
export async function deliverWithRetries(
  event: unknown,
  deps: { detector: Detector; transport: Transport; metrics?: MetricSink; store?: FlakyStore },
  clock: Clock,
): Promise<{ summary?: HandleSummary; failures: unknown[] }> {
  const failures: unknown[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    deps.store?.nextAttempt();
    try {
      const summary = await handleEvent(structuredClone(event), { detector: deps.detector, transport: deps.transport, log: silentLog, metrics: deps.metrics ?? new RecordingMetrics() });
      return { summary, failures };
    } catch (error) {
      failures.push(error);
      clock.now += RETRY_DELAY_MS;
    }
  }
  return { failures };
}

/** One attempt through the handler: its summary, or what it threw. */
export async function attemptOnce(
  event: unknown,
  deps: { detector: Detector; transport: Transport; metrics?: MetricSink },
): Promise<{ summary?: HandleSummary; error?: unknown }> {
  try {
    return { summary: await handleEvent(structuredClone(event), { detector: deps.detector, transport: deps.transport, log: silentLog, metrics: deps.metrics ?? new RecordingMetrics() }) };
  } catch (error) {
    return { error };
  }
}

/**
 * Runs the scheduled flush long after the events, sending follow-ups into `sent`. Given a FlakyStore,
 * the flush's first-run lookback over due buckets that nothing was ever written to is answered empty
 * without a request: that saves most requests of a short scenario on dynalite, and changes no answer.
 */
export async function followUps(store: StateStore, clock: Clock): Promise<Alert[]> {
  const sent: Alert[] = [];
  const view: StateStore =
    store instanceof FlakyStore
      ? {
          put: (item, condition) => store.put(item, condition),
          update: (key, ops, condition) => store.update(key, ops, condition),
          get: (key) => store.get(key),
          delete: (key) => store.delete(key),
          flush: () => store.flush(),
          query: (pk, range) => (pk.startsWith('due#') && !store.written.has(pk) ? Promise.resolve([]) : store.query(pk, range)),
        }
      : store;
  await flushDue({ store: view, rules, now: clock.now + 6 * 3_600_000, allowedLatenessMs: LATENESS, send: async (a) => void sent.push(a) });
  return sent;
}

/** A real CloudTrail record from the samples, at a given time and with a given event id. */
export function sampleAt(file: string, eventMs: number, id: string, patch: Record<string, unknown> = {}): TrailEvent {
  const record = { ...structuredClone(loadSample(file)[0] as Record<string, unknown>), eventTime: new Date(eventMs).toISOString().replace('.000Z', 'Z'), eventID: id, ...patch };
  const event = asEnvelope(record);
  if (!event) throw new Error(`sample ${file} did not wrap`);
  return event;
}

/** S3 DeleteObjects data event (derived sample) at a given time. */
export function deleteObjectsAt(eventMs: number, n: number, bucket = 'logs-prod'): TrailEvent {
  const record = structuredClone(loadSample('derived/s3-data-events.json')[0]) as Record<string, unknown> & { requestParameters: Record<string, string> };
  record.eventTime = new Date(eventMs).toISOString().replace('.000Z', 'Z');
  record.eventID = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  record.requestParameters.bucketName = bucket;
  const event = asEnvelope(record);
  if (!event) throw new Error('fixture did not wrap');
  return event;
}

/** A successful GetSecretValue (the Stratus recording's) of `secretId` at eventMs, with its own event id. */
export function secretReadAt(eventMs: number, n: number, secretId: string): TrailEvent {
  const sample = (loadSample('aws.credential-access.secretsmanager-retrieve-secrets.json') as Array<Record<string, unknown>>).find((r) => r['eventName'] === 'GetSecretValue' && !r['errorCode']);
  if (!sample) throw new Error('no GetSecretValue in the secrets sample');
  const record = { ...structuredClone(sample), eventTime: new Date(eventMs).toISOString().replace('.000Z', 'Z'), eventID: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, requestParameters: { secretId } };
  const event = asEnvelope(record);
  if (!event) throw new Error('secret sample did not wrap');
  return event;
}

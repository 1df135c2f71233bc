/**
 * What trailwatch costs per million CloudTrail events, counted on the generator's mix with the whole
 * rule pack as deployed, priced with the cost table of the project's domain notes (us-east-1):
 *
 *   tsx bench/cost.ts [--data bench/data/logs] [--tuning bench/generator-tuning.json] [--containers 4] [--container-minutes 120] [--variants] [--json out.json]
 *
 * Counted, not estimated:
 * - Lambda invocations of `detect`: one per EventBridge rule ("route", infra/eventbridge.ts's own
 *   packing) an event matches, as deployed: a read-only management event reaches only the routes in
 *   the ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS state. An event two routes match is delivered
 *   twice, and each delivery runs the whole pipeline (the second one finds its claims taken).
 * - What each invocation asks of DynamoDB, in capacity units from the items' sizes (DynamoDB's rules:
 *   writes 1 unit per started KB of the larger of the old and new item, refused conditional writes
 *   included; strongly consistent reads 1 unit per started 4 KB, a query summed over the items it
 *   returns), on the embedded store, which makes exactly the requests the DynamoDB adapter makes.
 * - Containers: the invocations are spread at random over `--containers` warm containers, each
 *   replaced by a fresh one (empty memory) every `--container-minutes` of event time, staggered.
 *   What a container remembers (lib/incidents/policy.ts's marks) only saves requests in that one.
 * - The scheduled flush (every 5 minutes of event time): its invocations, reads and follow-ups.
 * - SNS publishes: every alert and follow-up of a live rule.
 * Estimated, and said so: Lambda duration, an allowance (`MS`): the function waits on DynamoDB and
 * SNS, it does not compute (rules take microseconds, bench/rule-eval.ts); and the canary, two
 * invocations per 5 minutes (the canary function and detect seeing its event), scaled to the data's
 * event rate.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { asEnvelope } from '../lib/cloudtrail/wrap.js';
import type { TrailEvent } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';
import { isReadOnlyManagementEvent } from '../lib/detection/evaluate.js';
import { createAllowlist } from '../lib/detection/suppress.js';
import { applyTuning, parseRuleTuning, type RuleTuningConfig } from '../lib/detection/tuning.js';
import { compilePattern, type CompiledPattern } from '../lib/eventbridge/pattern.js';
import { flushDue } from '../lib/incidents/followups.js';
import { createDetector, createWatermarkClock, DEFAULT_ALLOWED_LATENESS_MS, type Detector } from '../lib/handlers/pipeline.js';
import { createIncidentPolicy } from '../lib/incidents/policy.js';
import { BUCKET_MS } from '../lib/incidents/items.js';
import { orderBatchesByEventTime } from '../lib/replay/order.js';
import { readSourceBatches } from '../lib/replay/sources/read.js';
import { createEmbeddedStore } from '../lib/state/embedded-store.js';
import { itemBytes } from '../lib/state/semantics.js';
import type { Condition, PutResult, StateItem, StateKey, StateStore, UpdateOps } from '../lib/state/store.js';
import { routesFor } from '../infra/eventbridge.js';
import { rules as allRules } from '../rules/index.js';

/** us-east-1 prices (domain notes, "Prices"); DynamoDB on-demand reads are $0.125 per million read units. */
export const PRICES = {
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecondArm: 0.0000133334,
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  snsPublish: 0.5 / 1e6,
  emailDelivery: 2 / 1e5,
  guardDutyPerMillion: 4,
};
/** serverless.yml: memorySize 256 MB (detect and flush), arm64. */
const MEMORY_GB = 0.25;
/** Duration allowance (ms, billed per ms): a warm invocation's own work, each DynamoDB request, each SNS publish. */
export const MS = { invocation: 2, stateRequest: 5, publish: 25 };
/** The canary's schedule and the flush's (serverless.yml, infra/health.ts). */
const SCHEDULE_MS = 5 * 60_000;
export const TARGET_USD = 0.05;

interface Units {
  requests: number;
  units: number;
}
export interface StateUse {
  reads: Units;
  writes: Units;
}
const zeroUse = (): StateUse => ({ reads: { requests: 0, units: 0 }, writes: { requests: 0, units: 0 } });
const writeUnits = (...items: Array<Readonly<Record<string, string | number>> | undefined>): number =>
  Math.max(1, ...items.map((i) => (i ? Math.ceil(itemBytes(i) / 1024) : 0)));
const readUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / 4096));

/** Which rule a state item belongs to (claims, incidents, marks: in the partition key; due markers: in the sort key). */
function ruleOfKey(key: StateKey): string {
  const [kind, second] = key.pk.split('#');
  if (kind === 'ev' || kind === 'inc' || kind === 'val') return second ?? '(other)';
  // A query of a due bucket (no sort key) is the flush looking for follow-ups, whatever their rule.
  if (kind === 'due') return key.sk ? (key.sk.split('#')[0] ?? '(other)') : '(flush: due-marker queries)';
  if (kind === 'flush') return '(flush: checkpoint)';
  return '(other)';
}

/**
 * The embedded store, metered as DynamoDB would bill it. `phase` says who is asking (detect or the
 * scheduled flush); peeks at the current item (to size a write as DynamoDB does) are not requests.
 */
class MeteredStore implements StateStore {
  readonly byRule = new Map<string, StateUse>();
  readonly byPhase = { detect: zeroUse(), flush: zeroUse() };
  phase: 'detect' | 'flush' = 'detect';
  /** Requests since the last `take()`: one invocation's. */
  #requests = 0;
  constructor(private readonly inner: StateStore) {}

  take(): number {
    const n = this.#requests;
    this.#requests = 0;
    return n;
  }

  #add(kind: 'reads' | 'writes', key: StateKey, units: number): void {
    this.#requests += 1;
    const use = this.byRule.get(ruleOfKey(key)) ?? zeroUse();
    this.byRule.set(ruleOfKey(key), use);
    for (const u of [use, this.byPhase[this.phase]]) {
      u[kind].requests += 1;
      u[kind].units += units;
    }
  }

  async put(item: StateItem, condition?: Condition): Promise<PutResult> {
    const result = await this.inner.put(item, condition);
    this.#add('writes', item, writeUnits(item, result.previous, result.current));
    return result;
  }

  async update(key: StateKey, ops: UpdateOps, condition?: Condition): Promise<StateItem | undefined> {
    const before = await this.inner.get(key);
    const after = await this.inner.update(key, ops, condition);
    this.#add('writes', key, writeUnits(before, after));
    return after;
  }

  async get(key: StateKey): Promise<StateItem | undefined> {
    const item = await this.inner.get(key);
    this.#add('reads', key, readUnits(item ? itemBytes(item) : 0));
    return item;
  }

  async query(pk: string, range?: { from?: string; to?: string; limit?: number }): Promise<StateItem[]> {
    const items = await this.inner.query(pk, range);
    this.#add('reads', { pk, sk: '' }, readUnits(items.reduce((sum, i) => sum + itemBytes(i), 0)));
    return items;
  }

  async delete(key: StateKey): Promise<void> {
    const before = await this.inner.get(key);
    await this.inner.delete(key);
    this.#add('writes', key, writeUnits(before));
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }
}

/** A small deterministic generator (mulberry32): which container takes an invocation. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CostOptions {
  containers?: number;
  containerMinutes?: number;
  /** Distinct-value marks a container remembers (lib/incidents/policy.ts); 0 turns the memo off. */
  memoEntries?: number;
  seed?: number;
  /** The deployment's rule tuning (`--tuning`, as `trailwatch replay --tuning` and RULE_TUNING take it): thresholds, disabled rules, allowlists. */
  tuning?: RuleTuningConfig;
}

export interface RuleCost {
  ruleId: string;
  matches: number;
  repeats: number;
  alerts: number;
  state: StateUse;
  usd: number;
}

export interface CostResult {
  options: Required<Omit<CostOptions, 'memoEntries' | 'tuning'>> & { memoEntries: number | 'default'; tuned: boolean };
  events: number;
  days: number;
  routes: number;
  /** Events by how many routes they match (0: filtered out by EventBridge, free). */
  routeHistogram: Record<string, number>;
  /** Events a route let through that no detection matched (its pattern is wider than the rule's predicate). */
  unmatchedDeliveries: number;
  invocations: { detect: number; flush: number; canary: number };
  state: { detect: StateUse; flush: StateUse };
  publishes: { alerts: number; followUps: number };
  gbSeconds: number;
  usd: { lambdaRequests: number; lambdaDuration: number; dynamoDb: number; sns: number; total: number; emailPerSubscriber: number };
  usdPerMillion: number;
  byRule: RuleCost[];
}

interface Container {
  detector: Detector;
  recycleAt: number;
}

export async function measureCost(paths: string[], opts: CostOptions = {}): Promise<CostResult> {
  const containers = Math.max(1, opts.containers ?? 4);
  const lifeMs = Math.max(1, opts.containerMinutes ?? 120) * 60_000;
  const seed = opts.seed ?? 1;
  const pick = random(seed);
  // Deployed: every rule the tuning keeps (staged ones are evaluated too, and kept out of the alerts below).
  const deployed = opts.tuning ? applyTuning(allRules, opts.tuning) : allRules;
  const allowlist = opts.tuning ? createAllowlist(opts.tuning) : undefined;
  const live = new Set(deployed.filter((r) => r.status === 'live').map((r) => r.id));
  const routes = routesFor(deployed, 'cost').map((r) => ({ readOnly: r.readOnly, pattern: compilePattern(r.pattern) as CompiledPattern }));
  const lateness = DEFAULT_ALLOWED_LATENESS_MS;
  const clock = createWatermarkClock();
  const store = new MeteredStore(createEmbeddedStore({ now: clock.now }));
  const newDetector = (): Detector =>
    createDetector({
      rules: deployed as Rule[],
      clock: clock.now,
      observeEventTime: clock.observe,
      allowedLatenessMs: lateness,
      ...(allowlist ? { allowlist } : {}),
      policy: createIncidentPolicy({
        store,
        allowedLatenessMs: lateness,
        ...(opts.tuning ? { overrides: opts.tuning } : {}),
        ...(opts.memoEntries !== undefined ? { memoEntries: opts.memoEntries } : {}),
      }),
    });
  const pool: Container[] = [];

  const byRule = new Map<string, { matches: number; repeats: number; alerts: number }>();
  const ruleStats = (id: string) => {
    let s = byRule.get(id);
    if (!s) byRule.set(id, (s = { matches: 0, repeats: 0, alerts: 0 }));
    return s;
  };
  const routeHistogram: Record<string, number> = {};
  let events = 0;
  let unmatchedDeliveries = 0;
  const invocations = { detect: 0, flush: 0, canary: 0 };
  const publishes = { alerts: 0, followUps: 0 };
  let billedMs = 0;
  let first = Number.NaN;
  let lastFlush = Number.NaN;

  const flush = async (now: number) => {
    store.phase = 'flush';
    let sent = 0;
    await flushDue({ store, rules: deployed, now, allowedLatenessMs: lateness, replayed: true, send: async (a) => void (live.has(a.ruleId) && (sent += 1)) });
    store.phase = 'detect';
    publishes.followUps += sent;
    invocations.flush += 1;
    billedMs += MS.invocation + store.take() * MS.stateRequest + sent * MS.publish;
    lastFlush = now;
  };

  const timed = async function* () {
    for await (const batch of readSourceBatches(paths)) {
      const out: TrailEvent[] = [];
      for (const item of batch) {
        if (item.kind !== 'event') continue;
        const event = asEnvelope(item.value);
        if (event) out.push(event);
      }
      yield out;
    }
  };
  const timeOf = (e: TrailEvent) => Date.parse(String(e.detail.eventTime ?? e.time));

  for await (const batch of orderBatchesByEventTime(timed(), { timeOf, maxLatenessMs: 5 * 60_000 })) {
    for (const event of batch) {
      events += 1;
      const t = timeOf(event);
      if (Number.isFinite(t)) {
        clock.observe(t);
        if (Number.isNaN(first)) {
          first = t;
          lastFlush = t;
          for (let i = 0; i < containers; i++) pool.push({ detector: newDetector(), recycleAt: t + (lifeMs * (i + 1)) / containers });
        }
      }
      const readOnly = isReadOnlyManagementEvent(event);
      const deliveries = routes.filter((r) => (r.readOnly || !readOnly) && r.pattern.matches(event)).length;
      routeHistogram[deliveries] = (routeHistogram[deliveries] ?? 0) + 1;
      for (let d = 0; d < deliveries; d++) {
        if (pool.length === 0) pool.push({ detector: newDetector(), recycleAt: Infinity });
        const container = pool[Math.floor(pick() * pool.length)] as Container;
        if (clock.now() >= container.recycleAt) {
          container.detector = newDetector();
          container.recycleAt += lifeMs;
        }
        invocations.detect += 1;
        const result = await container.detector.process(event);
        if (result.matched.length === 0) unmatchedDeliveries += 1;
        let sent = 0;
        for (const alert of result.alerts) {
          if (!live.has(alert.ruleId)) continue;
          sent += 1;
          ruleStats(alert.ruleId).alerts += 1;
        }
        // As the handler does: an alert's recorded decision is marked sent once published.
        for (const receipt of result.receipts) if (receipt) await container.detector.confirm(receipt);
        if (d === 0) for (const id of result.matched) ruleStats(id).matches += 1;
        for (const id of result.repeats) ruleStats(id).repeats += 1;
        publishes.alerts += sent;
        billedMs += MS.invocation + store.take() * MS.stateRequest + sent * MS.publish;
      }
      if (clock.now() - lastFlush >= SCHEDULE_MS) await flush(clock.now());
    }
  }
  const span = clock.now() - (Number.isNaN(first) ? clock.now() : first);
  // The end of the data closes every incident: the follow-ups still owed are sent by later flushes.
  await flush(clock.now() + 48 * 3_600_000);
  invocations.flush -= 1;
  const days = span / 86_400_000;
  // The canary: its own invocation and detect's for the event it causes, every 5 minutes.
  invocations.canary = Math.round((2 * span) / SCHEDULE_MS);
  billedMs += invocations.canary * MS.invocation;

  const gbSeconds = (billedMs / 1000) * MEMORY_GB;
  const stateUsd = (u: StateUse) => u.writes.units * PRICES.dynamoWriteUnit + u.reads.units * PRICES.dynamoReadUnit;
  const sentTotal = publishes.alerts + publishes.followUps;
  const usd = {
    lambdaRequests: (invocations.detect + invocations.flush + invocations.canary) * PRICES.lambdaRequest,
    lambdaDuration: gbSeconds * PRICES.lambdaGbSecondArm,
    dynamoDb: stateUsd(store.byPhase.detect) + stateUsd(store.byPhase.flush),
    sns: sentTotal * PRICES.snsPublish,
    total: 0,
    emailPerSubscriber: sentTotal * PRICES.emailDelivery,
  };
  // What trailwatch itself costs; email deliveries scale with subscribers and are shown apart.
  usd.total = usd.lambdaRequests + usd.lambdaDuration + usd.dynamoDb + usd.sns;
  const ruleCosts: RuleCost[] = [...new Set([...byRule.keys(), ...store.byRule.keys()])].map((ruleId) => {
    const s = byRule.get(ruleId) ?? { matches: 0, repeats: 0, alerts: 0 };
    const state = store.byRule.get(ruleId) ?? zeroUse();
    return { ruleId, ...s, state, usd: stateUsd(state) };
  });
  ruleCosts.sort((a, b) => b.usd - a.usd || (a.ruleId < b.ruleId ? -1 : 1));
  return {
    options: { containers, containerMinutes: lifeMs / 60_000, seed, memoEntries: opts.memoEntries ?? 'default', tuned: opts.tuning !== undefined },
    events,
    days,
    routes: routes.length,
    routeHistogram,
    unmatchedDeliveries,
    invocations,
    state: { detect: store.byPhase.detect, flush: store.byPhase.flush },
    publishes,
    gbSeconds,
    usd,
    usdPerMillion: (usd.total / events) * 1e6,
    byRule: ruleCosts,
  };
}

const perM = (c: CostResult, x: number): number => (x / c.events) * 1e6;
const usdM = (c: CostResult, x: number): string => `$${perM(c, x).toFixed(4)}`;
const countM = (c: CostResult, x: number): string => perM(c, x).toLocaleString('en-US', { maximumFractionDigits: 0 });

export function costMarkdown(c: CostResult, variants: Array<{ label: string; result: CostResult }> = []): string[] {
  const multi = Object.entries(c.routeHistogram).filter(([k]) => Number(k) > 1).reduce((s, [, n]) => s + n, 0);
  const d = c.state.detect;
  const f = c.state.flush;
  const verdict = c.usdPerMillion < TARGET_USD ? 'pass' : `**missed** by $${(c.usdPerMillion - TARGET_USD).toFixed(4)} (${(c.usdPerMillion / TARGET_USD).toFixed(2)}× the target)`;
  const lines = [
    '| per million CloudTrail events | count | USD |',
    '| --- | ---: | ---: |',
    `| Lambda invocations: \`detect\`, one per matched EventBridge rule (${c.routes} routes) | ${countM(c, c.invocations.detect)} | ${usdM(c, c.invocations.detect * PRICES.lambdaRequest)} |`,
    `| Lambda invocations: scheduled \`flush\` and canary (every 5 minutes, at this data's ${Math.round(c.events / c.days).toLocaleString('en-US')} events/day) | ${countM(c, c.invocations.flush + c.invocations.canary)} | ${usdM(c, (c.invocations.flush + c.invocations.canary) * PRICES.lambdaRequest)} |`,
    `| Lambda GB-seconds (allowance, 256 MB arm64) | ${perM(c, c.gbSeconds).toFixed(2)} | ${usdM(c, c.usd.lambdaDuration)} |`,
    `| DynamoDB write units (requests) from \`detect\` | ${countM(c, d.writes.units)} (${countM(c, d.writes.requests)}) | ${usdM(c, d.writes.units * PRICES.dynamoWriteUnit)} |`,
    `| DynamoDB read units (requests) from \`detect\` | ${countM(c, d.reads.units)} (${countM(c, d.reads.requests)}) | ${usdM(c, d.reads.units * PRICES.dynamoReadUnit)} |`,
    `| DynamoDB write / read units from \`flush\` | ${countM(c, f.writes.units)} / ${countM(c, f.reads.units)} | ${usdM(c, f.writes.units * PRICES.dynamoWriteUnit + f.reads.units * PRICES.dynamoReadUnit)} |`,
    `| SNS publishes (alerts / follow-ups) | ${countM(c, c.publishes.alerts)} / ${countM(c, c.publishes.followUps)} | ${usdM(c, c.usd.sns)} |`,
    `| EventBridge (AWS service events on the default bus) | ${countM(c, c.events)} | $0 |`,
    `| **trailwatch, total** | | **$${c.usdPerMillion.toFixed(4)}** (target < $${TARGET_USD.toFixed(2)}: ${verdict}) |`,
    `| plus email, per subscriber | ${countM(c, c.publishes.alerts + c.publishes.followUps)} | ${usdM(c, c.usd.emailPerSubscriber)} |`,
    `| GuardDuty CloudTrail management-event analysis | | $${PRICES.guardDutyPerMillion.toFixed(2)} |`,
    '',
    `Data: ${c.events.toLocaleString('en-US')} events over ${(c.days * 24).toFixed(1)} h of event time${c.options.tuned ? ', with the deployment tuning given' : ', every rule untuned'}; ${c.options.containers} warm containers taking invocations at random, each replaced every ${c.options.containerMinutes} minutes of event time. ` +
      `${countM(c, c.events - (c.routeHistogram['0'] ?? 0))} events per million reach Lambda (${countM(c, multi)} through more than one route, each delivery a full invocation); ` +
      `${countM(c, c.unmatchedDeliveries)} of the invocations match no detection (a route's pattern is wider than its rules' predicates). ` +
      `Duration allowance: ${MS.invocation} ms per invocation + ${MS.stateRequest} ms per DynamoDB request + ${MS.publish} ms per SNS publish (the function waits on I/O; the rules take microseconds).`,
    '',
  ];
  if (variants.length) {
    lines.push('| same data, other assumptions | DynamoDB units (write / read) per million | total per million |', '| --- | ---: | ---: |');
    lines.push(`| as above | ${countM(c, d.writes.units + f.writes.units)} / ${countM(c, d.reads.units + f.reads.units)} | $${c.usdPerMillion.toFixed(4)} |`);
    for (const v of variants) {
      const r = v.result;
      lines.push(`| ${v.label} | ${countM(r, r.state.detect.writes.units + r.state.flush.writes.units)} / ${countM(r, r.state.detect.reads.units + r.state.flush.reads.units)} | $${r.usdPerMillion.toFixed(4)} |`);
    }
    lines.push('');
  }
  lines.push('| rule (state cost, most first) | matches per million | of which repeats | alerts per million | DynamoDB write / read units per million | USD per million |', '| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of c.byRule.slice(0, 10)) {
    lines.push(`| ${r.ruleId} | ${countM(c, r.matches)} | ${countM(c, r.repeats)} | ${countM(c, r.alerts)} | ${countM(c, r.state.writes.units)} / ${countM(c, r.state.reads.units)} | ${usdM(c, r.usd)} |`);
  }
  lines.push('');
  return lines;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  const { values } = parseArgs({
    options: {
      data: { type: 'string', default: 'bench/data/logs' },
      containers: { type: 'string', default: '4' },
      'container-minutes': { type: 'string', default: '120' },
      variants: { type: 'boolean', default: false },
      tuning: { type: 'string' },
      'tuned-variant': { type: 'string' },
      json: { type: 'string' },
    },
  });
  const tuning = values.tuning ? parseRuleTuning(readFileSync(values.tuning, 'utf8'), allRules) : undefined;
  const base = { containers: Number(values.containers), containerMinutes: Number(values['container-minutes']), ...(tuning ? { tuning } : {}) };
  const result = await measureCost([values.data], base);
  const variants: Array<{ label: string; result: CostResult }> = [];
  if (values.variants) {
    variants.push({ label: 'no container memo (every repeat costs one refused write)', result: await measureCost([values.data], { ...base, memoEntries: 0 }) });
    variants.push({ label: '1 container', result: await measureCost([values.data], { ...base, containers: 1 }) });
    variants.push({ label: '16 containers, each replaced every 30 minutes', result: await measureCost([values.data], { ...base, containers: 16, containerMinutes: 30 }) });
  }
  const tunedVariant = values['tuned-variant'];
  if (tunedVariant) {
    const other = parseRuleTuning(readFileSync(tunedVariant, 'utf8'), allRules);
    variants.push({ label: `with the estate's tuning (\`${tunedVariant}\`: its allowlisted matches make no state)`, result: await measureCost([values.data], { ...base, tuning: other }) });
  }
  if (values.json) {
    mkdirSync(path.dirname(values.json), { recursive: true });
    writeFileSync(values.json, JSON.stringify({ result, variants }, null, 2));
  }
  console.log(costMarkdown(result, variants).join('\n'));
}

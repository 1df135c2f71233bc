/**
 * What trailwatch costs per million CloudTrail events, measured on the generator's everyday mix with
 * the whole rule pack, priced with the cost table of the project's domain notes (us-east-1):
 *
 *   tsx bench/cost.ts [--data bench/data/logs] [--json out.json]
 *
 * Counted, not estimated: how many deployed EventBridge rules each event matches (each match is one
 * asynchronous Lambda invocation, so an event two rules match invokes `detect` twice), the state
 * operations the replay makes (one DynamoDB request each when deployed), and the alerts published.
 * Estimated, and said so: Lambda duration (I/O bound: a fixed allowance per DynamoDB request and per
 * publish) and the extra state work of the duplicate invocations (each re-claims the event and finds
 * it taken: the "duplicate delivery" path of bench/STATE-COST.md).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { asEnvelope } from '../lib/cloudtrail/wrap.js';
import { compileRules, evaluate } from '../lib/detection/evaluate.js';
import { runReplay } from '../lib/replay/run.js';
import { readSourceBatches } from '../lib/replay/sources/read.js';
import type { StoreCallCounts } from '../lib/state/store.js';
import { rules } from '../rules/index.js';
import { measureStateCost } from './state-cost.js';

/** us-east-1 prices (domain notes, "Prices"); reads are DynamoDB on-demand's $0.125 per million. */
export const PRICES = {
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecondArm: 0.0000133334,
  dynamoWrite: 0.625 / 1e6,
  dynamoRead: 0.125 / 1e6,
  snsPublish: 0.5 / 1e6,
  emailDelivery: 2 / 1e5,
  guardDutyPerMillion: 4,
};
/** serverless.yml: memorySize 256 MB. */
const MEMORY_GB = 0.25;
/** Duration allowances (ms): start-up of a warm invocation, each DynamoDB request, each SNS publish. */
const MS_BASE = 2;
const MS_PER_STATE_REQUEST = 5;
const MS_PER_PUBLISH = 25;

export interface CostResult {
  events: number;
  /** How many events matched k deployed rules, by k (0 = filtered out by EventBridge, free). */
  matchHistogram: Record<string, number>;
  invocations: number;
  stateReads: number;
  stateWrites: number;
  /** Of the writes: duplicate claims made by the extra invocations of multi-rule matches. */
  overlapWrites: number;
  publishes: number;
  gbSeconds: number;
  usd: { lambdaRequests: number; lambdaDuration: number; dynamoDb: number; sns: number; email: number; total: number };
  usdPerMillion: number;
}

export async function measureCost(paths: string[]): Promise<CostResult> {
  const live = rules.filter((r) => r.status === 'live');
  const compiled = compileRules(live);
  const histogram: Record<string, number> = {};
  let events = 0;
  for await (const batch of readSourceBatches(paths)) {
    for (const item of batch) {
      if (item.kind !== 'event') continue;
      const event = asEnvelope(item.value);
      if (!event) continue;
      events += 1;
      const k = evaluate(compiled, event).matched.length;
      histogram[k] = (histogram[k] ?? 0) + 1;
    }
  }

  const counts: StoreCallCounts = { reads: 0, writes: 0 };
  let publishes = 0;
  await runReplay({ paths, storeCounts: counts, onAlert: () => void (publishes += 1) });

  // An event k rules match is delivered k times; every delivery evaluates all rules, so the k-1 extra
  // deliveries each find k claims already made (the duplicate path: its writes per rule).
  const duplicate = (await measureStateCost()).find((c) => c.path.includes('duplicate'));
  const perDuplicate = { reads: duplicate?.reads ?? 0, writes: duplicate?.writes ?? 1 };
  let invocations = 0;
  let overlapReads = 0;
  let overlapWrites = 0;
  for (const [kText, n] of Object.entries(histogram)) {
    const k = Number(kText);
    invocations += k * n;
    overlapReads += n * Math.max(0, k - 1) * k * perDuplicate.reads;
    overlapWrites += n * Math.max(0, k - 1) * k * perDuplicate.writes;
  }
  const stateReads = counts.reads + overlapReads;
  const stateWrites = counts.writes + overlapWrites;
  const billedMs = invocations * MS_BASE + (stateReads + stateWrites) * MS_PER_STATE_REQUEST + publishes * MS_PER_PUBLISH;
  const gbSeconds = (billedMs / 1000) * MEMORY_GB;
  const usd = {
    lambdaRequests: invocations * PRICES.lambdaRequest,
    lambdaDuration: gbSeconds * PRICES.lambdaGbSecondArm,
    dynamoDb: stateWrites * PRICES.dynamoWrite + stateReads * PRICES.dynamoRead,
    sns: publishes * PRICES.snsPublish,
    email: publishes * PRICES.emailDelivery,
    total: 0,
  };
  // What trailwatch itself costs; email deliveries scale with subscribers and are shown apart.
  usd.total = usd.lambdaRequests + usd.lambdaDuration + usd.dynamoDb + usd.sns;
  return {
    events,
    matchHistogram: histogram,
    invocations,
    stateReads,
    stateWrites,
    overlapWrites,
    publishes,
    gbSeconds,
    usd,
    usdPerMillion: (usd.total / events) * 1e6,
  };
}

export function costMarkdown(c: CostResult): string[] {
  const perM = (x: number) => `$${((x / c.events) * 1e6).toFixed(4)}`;
  const per = (x: number) => ((x / c.events) * 1e6).toLocaleString('en-US', { maximumFractionDigits: 0 });
  const multi = Object.entries(c.matchHistogram).filter(([k]) => Number(k) > 1).reduce((s, [, n]) => s + n, 0);
  return [
    '## Cost per million CloudTrail events',
    '',
    `The generator's mix (${c.events.toLocaleString('en-US')} events, every live rule), counted by \`bench/cost.ts\`: EventBridge rule matches (one Lambda invocation each), state operations (one DynamoDB request each), publishes. Lambda duration is an allowance, not a measurement: ${MS_BASE} ms per invocation plus ${MS_PER_STATE_REQUEST} ms per DynamoDB request and ${MS_PER_PUBLISH} ms per publish, at 256 MB on arm64.`,
    '',
    '| per million events | count | USD |',
    '| --- | ---: | ---: |',
    `| Lambda invocations (matched EventBridge rules) | ${per(c.invocations)} | ${perM(c.usd.lambdaRequests)} |`,
    `| Lambda GB-seconds | ${((c.gbSeconds / c.events) * 1e6).toFixed(2)} | ${perM(c.usd.lambdaDuration)} |`,
    `| DynamoDB writes / reads (of which duplicate claims from multi-rule matches: ${per(c.overlapWrites)} writes) | ${per(c.stateWrites)} / ${per(c.stateReads)} | ${perM(c.usd.dynamoDb)} |`,
    `| SNS publishes (alerts and follow-ups) | ${per(c.publishes)} | ${perM(c.usd.sns)} |`,
    `| EventBridge (AWS service events on the default bus) | ${per(c.events)} | $0 |`,
    `| **trailwatch, total** | | **$${c.usdPerMillion.toFixed(4)}** |`,
    `| plus email, per subscriber | ${per(c.publishes)} | ${perM(c.usd.email)} |`,
    `| GuardDuty CloudTrail management-event analysis | | $${PRICES.guardDutyPerMillion.toFixed(2)} |`,
    '',
    `Events matching no rule (${per(c.matchHistogram['0'] ?? 0)} per million) never reach Lambda. ${per(multi)} per million match more than one rule and so invoke \`detect\` once per rule.`,
    '',
  ];
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  const { values } = parseArgs({ options: { data: { type: 'string', default: 'bench/data/logs' }, json: { type: 'string' } } });
  const result = await measureCost([values.data]);
  if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2));
  console.log(costMarkdown(result).join('\n'));
}

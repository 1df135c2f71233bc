/**
 * The "Cost per million CloudTrail events" section of bench/RESULTS.md, from bench/cost.ts's JSON
 * (`--variants --tuned-variant`): its tables (`costMarkdown`), how it counts, and what dominates the
 * total, written from the numbers.
 */
import { costMarkdown, PRICES, TARGET_USD, type CostResult } from './cost.js';
import type { SectionContext, TargetRow } from './report.js';

/** What bench/cost.ts writes with `--json`. */
export interface CostJson {
  result: CostResult;
  variants: Array<{ label: string; result: CostResult }>;
}

/** SQS standard queues, us-east-1: $0.40 per million requests (a batching target would pay it per message). */
const SQS_PER_MILLION = 0.4;

const usd = (n: number): string => `$${n.toFixed(4)}`;
const pct = (part: number, whole: number): string => `${whole === 0 ? 0 : Math.round((100 * part) / whole)}%`;

export function costSummary({ result: c }: CostJson): TargetRow[] {
  return [
    {
      target: `Cost per million CloudTrail events < $${TARGET_USD.toFixed(2)} (GuardDuty: $${PRICES.guardDutyPerMillion.toFixed(2)})`,
      result: `${usd(c.usdPerMillion)} (Lambda requests ${usd((c.usd.lambdaRequests / c.events) * 1e6)}, DynamoDB ${usd((c.usd.dynamoDb / c.events) * 1e6)})`,
      ok: c.usdPerMillion < TARGET_USD,
    },
  ];
}

export function costSection({ result: c, variants }: CostJson, ctx?: SectionContext): string[] {
  const perM = (x: number): number => (x / c.events) * 1e6;
  const reached = c.events - (c.routeHistogram['0'] ?? 0);
  const byMatches = c.byRule.filter((r) => r.matches > 0).sort((a, b) => b.matches - a.matches);
  const readHeavy = byMatches.slice(0, 3);
  const repeats = byMatches.reduce((s, r) => s + r.repeats, 0);
  const matches = byMatches.reduce((s, r) => s + r.matches, 0);
  const stateful = c.byRule.filter((r) => r.usd > 0).slice(0, 3);
  const lines = [
    `\`bench/cost.ts\` replays ${ctx ? `\`${ctx.data.dir}\`` : 'the generated history'} through the pipeline as deployed and prices what it asks of AWS with the us-east-1 figures of the project's domain notes, next to GuardDuty's price for the same events. Issue 10's target: under $${TARGET_USD.toFixed(2)} per million events, including the overlap when one event matches several EventBridge rules.`,
    '',
    '**How it counts.**',
    "- *Invocations as deployed*: one `detect` invocation per EventBridge rule (\"route\", infra/eventbridge.ts's own packing) an event matches; read-only management events reach only the read-only routes. An event two routes match is delivered twice, and each delivery runs the whole pipeline (the second finds its claims taken).",
    '- *DynamoDB in capacity units* from the items\' sizes: writes per started KB of the larger of the old and new item, refused conditional writes included; strongly consistent reads per started 4 KB, a query summed over its items. The embedded store makes exactly the requests the DynamoDB adapter makes, metered.',
    `- *Containers*: invocations spread at random over ${c.options.containers} warm containers, each replaced (empty memory) every ${c.options.containerMinutes} minutes of event time, staggered. What a container remembers (distinct values already marked today) saves requests only in that container.`,
    '- *The scheduled flush* (every 5 minutes of event time: its reads, writes and follow-ups) and *the canary* (two invocations per 5 minutes) are counted; SNS publishes are every live alert and follow-up.',
    '- *Lambda duration is an allowance*, not measured: the function waits on DynamoDB and SNS, and the rules take microseconds (see the rule pack section).',
    '',
    ...costMarkdown(c, variants),
    '**What dominates.**',
    `- Lambda requests are ${usd(perM(c.usd.lambdaRequests))} of the ${usd(c.usdPerMillion)} (${pct(c.usd.lambdaRequests, c.usd.total)}): ${pct(reached, c.events)} of this mix reaches \`detect\`` +
      (readHeavy.length ? `, mostly ${readHeavy.map((r) => `\`${r.ruleId}\` (${pct(r.matches, c.events)} of events)`).join(', ')}` : '') +
      '.' +
      (repeats > 0
        ? ` ${pct(repeats, matches)} of all matches are repeats of a value the principal already touched that day, which cost no state, but EventBridge cannot tell a repeat from a new read, so each still costs an invocation.`
        : '') +
      ` Delivering read-heavy rules through a batching target would not help: SQS charges $${SQS_PER_MILLION.toFixed(2)} per million messages where Lambda charges $${(PRICES.lambdaRequest * 1e6).toFixed(2)} per million invocations.`,
    `- DynamoDB is ${usd(perM(c.usd.dynamoDb))} (${pct(c.usd.dynamoDb, c.usd.total)})` +
      (stateful.length ? `, most of it ${stateful.map((r) => `\`${r.ruleId}\` ${usd(perM(r.usd))}`).join(', ')}` : '') +
      ': burst rules that count calls claim, read the incident, query the window and settle on every new match; distinct-value rules pay for the marks and claims of new values; the flush for its checkpoint and due markers.',
  ];
  const perDay = c.events / Math.max(c.days, 1e-9);
  const scheduled =
    (c.invocations.flush + c.invocations.canary) * PRICES.lambdaRequest +
    c.state.flush.writes.units * PRICES.dynamoWriteUnit +
    c.state.flush.reads.units * PRICES.dynamoReadUnit;
  lines.push(
    `- The scheduled flush and the canary run every 5 minutes whatever the traffic: at this data's ${Math.round(perDay).toLocaleString('en-US')} events a day they cost ${usd(perM(scheduled))} per million events (invocations and the flush's DynamoDB units), so a thinner mix, or a shorter history, pays more per million.`,
  );
  if (variants.length) {
    lines.push(
      `- The other assumptions, on the same data: ${variants.map((v) => `${v.label.replace(/ \(.*$/, '')}: ${usd(v.result.usdPerMillion)} (${v.result.usdPerMillion < TARGET_USD ? 'under' : 'over'} the target)`).join('; ')}.`,
    );
  }
  lines.push('');
  return lines;
}

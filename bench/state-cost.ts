/**
 * DynamoDB requests per matched event on each state path, counted on the embedded store (which
 * counts one per operation, exactly as the DynamoDB adapter makes one request per operation).
 * `tsx bench/state-cost.ts` rewrites bench/STATE-COST.md; test/state/cost.test.ts pins the numbers.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { asEnvelope } from '../lib/cloudtrail/wrap.js';
import { createDetector } from '../lib/handlers/pipeline.js';
import { flushDue } from '../lib/incidents/followups.js';
import { createIncidentPolicy } from '../lib/incidents/policy.js';
import { createEmbeddedStore } from '../lib/state/embedded-store.js';
import type { StoreCallCounts } from '../lib/state/store.js';
import { rules } from '../rules/index.js';
import stopSample from '../test/fixtures/stratus-red-team/aws.defense-evasion.cloudtrail-stop.json' with { type: 'json' };
import s3Sample from '../test/fixtures/derived/s3-data-events.json' with { type: 'json' };
import secretsSample from '../test/fixtures/stratus-red-team/aws.credential-access.secretsmanager-retrieve-secrets.json' with { type: 'json' };

export interface PathCost {
  path: string;
  reads: number;
  writes: number;
}

const T0 = Date.parse('2026-11-20T10:00:00Z');
const at = (base: object, ms: number, n: number) => asEnvelope({ ...structuredClone(base), eventTime: new Date(ms).toISOString(), eventID: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}` });

export async function measureStateCost(): Promise<PathCost[]> {
  const counts: StoreCallCounts = { reads: 0, writes: 0 };
  let now = T0 + 60_000;
  const store = createEmbeddedStore({ now: () => now, counts });
  const detector = createDetector({ rules, clock: () => now, policy: createIncidentPolicy({ store, allowedLatenessMs: 30 * 60_000 }) });
  const costs: PathCost[] = [];
  const step = async (path: string, event: unknown, by = detector) => {
    const before = { ...counts };
    // As the handler does: an alert's recorded decision is marked sent once published (the outbox).
    const result = await by.process(event);
    for (const receipt of result.receipts) if (receipt) await by.confirm(receipt);
    costs.push({ path, reads: counts.reads - before.reads, writes: counts.writes - before.writes });
  };
  const stop = stopSample[0] as object;
  const del = s3Sample[0] as object;
  await step('unmatched event (filtered by EventBridge before Lambda; shown for completeness)', at({ ...stop, eventName: 'AddTags' }, T0, 1));
  await step('grouped rule, first match of an incident (alerts)', at(stop, T0, 2));
  await step('grouped rule, later match in the incident (counted, not sent)', at(stop, T0 + 1000, 3));
  await step('any rule, duplicate delivery of the same event', at(stop, T0 + 1000, 3));
  // s3-mass-delete fires at 20 calls: 18 set up the window, the 19th is below, the 20th completes it.
  for (let i = 0; i < 18; i++) await detector.process(at(del, T0 + i * 1000, 100 + i));
  await step('threshold rule, match below the threshold', at(del, T0 + 18_000, 200));
  await step('threshold rule, the match that completes the burst (alerts)', at(del, T0 + 19_000, 201));
  await step('threshold rule, match after the burst fired (counted, not sent)', at(del, T0 + 21_000, 202));
  // secretsmanager-secret-bulk-read counts distinct secrets: its first read of a secret marks it
  // (the container reads the principal's marks of the day once), a re-read is a repeat.
  const read = (secretsSample as Array<Record<string, unknown>>).find((r) => r['eventName'] === 'GetSecretValue' && !r['errorCode']) as object;
  const secret = (ms: number, n: number) => at({ ...read, requestParameters: { secretId: 'app/db' } }, ms, n);
  await step('distinct-value rule, first read of a value (marks it, then counts towards the burst)', secret(T0 + 30_000, 300));
  await step('distinct-value rule, a repeat the container remembers', secret(T0 + 31_000, 301));
  const otherContainer = createDetector({ rules, clock: () => now, policy: createIncidentPolicy({ store, allowedLatenessMs: 30 * 60_000 }) });
  await step('distinct-value rule, a repeat in a container that has not seen the principal today', secret(T0 + 32_000, 302), otherContainer);
  now = T0 + 3 * 3_600_000;
  const f = { ...counts };
  await flushDue({ store, rules, now, allowedLatenessMs: 30 * 60_000, send: async () => undefined });
  costs.push({ path: 'scheduled flush, first run (6 h of 5-minute buckets) with two follow-ups', reads: counts.reads - f.reads, writes: counts.writes - f.writes });
  return costs;
}

/** DynamoDB on-demand, us-east-1 (AWS's DynamoDB pricing page): $0.625 per million write units; reads $0.125. */
const usd = (c: PathCost) => ((c.writes * 0.625 + c.reads * 0.125) / 1).toFixed(3);

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const costs = await measureStateCost();
  const lines = [
    '# State cost per matched event',
    '',
    'Measured by `npx tsx bench/state-cost.ts` (pinned by `test/state/cost.test.ts`). One store operation is',
    'one DynamoDB request; items are far below 1 KB, so each write is 1 write unit and each strongly',
    'consistent read of a small item 1 read unit (a burst-window query over N claims reads ~N x 150 bytes).',
    'Failed conditional writes are billed as writes and are counted here. Alerting paths include the write',
    'that marks the alert sent after publishing: each alert is recorded before it is sent and confirmed after',
    '(the outbox in `lib/incidents/policy.ts`), so a failure at any step is retried without losing or repeating it.',
    'Against real DynamoDB a refused claim returns the item it failed on; against dynalite it costs one read more.',
    '',
    '| path | reads | writes | USD per million such events |',
    '| --- | ---: | ---: | ---: |',
    ...costs.map((c) => `| ${c.path} | ${c.reads} | ${c.writes} | ${usd(c)} |`),
    '',
    'Events no rule matches never reach Lambda: each rule\'s EventBridge pattern filters them out, and',
    'AWS service events on the default bus are free, so they cost nothing.',
    '',
  ];
  writeFileSync(new URL('./STATE-COST.md', import.meta.url), lines.join('\n'));
  console.log(lines.join('\n'));
}

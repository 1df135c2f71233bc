import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main.js';
import { createPacer, readLookupBatches } from '../../lib/replay/lookup.js';
import { runReplay } from '../../lib/replay/run.js';
import type { SourceItem } from '../../lib/replay/sources/parse.js';
import { loadSample } from '../support/rule-cases.js';

/**
 * A local stand-in for CloudTrail's LookupEvents: the JSON 1.1 protocol the SDK speaks, newest first,
 * pages of MaxResults with a NextToken, StartTime/EndTime inclusive, and a throttle switch that answers
 * ThrottlingException the way the service does.
 */
interface Stand {
  server: Server;
  url: string;
  requests: Array<{ start: number; end: number; token?: string }>;
  throttleNext: number;
  records: Array<Record<string, unknown>>;
}

const body = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => resolve(text));
  });

async function startStand(records: Array<Record<string, unknown>>): Promise<Stand> {
  const stand = { requests: [], throttleNext: 0, records } as unknown as Stand;
  stand.server = createServer(async (req, res) => {
    const input = JSON.parse(await body(req)) as { StartTime: number; EndTime: number; MaxResults?: number; NextToken?: string };
    const target = req.headers['x-amz-target'];
    res.setHeader('content-type', 'application/x-amz-json-1.1');
    if (typeof target !== 'string' || !/(^|\.)CloudTrail_20131101\.LookupEvents$/.test(target)) {
      res.statusCode = 400;
      res.end(JSON.stringify({ __type: 'UnknownOperationException', message: String(target) }));
      return;
    }
    if (stand.throttleNext > 0) {
      stand.throttleNext -= 1;
      res.statusCode = 400;
      res.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
      return;
    }
    stand.requests.push({ start: input.StartTime, end: input.EndTime, ...(input.NextToken ? { token: input.NextToken } : {}) });
    const inWindow = stand.records
      .filter((r) => {
        const s = Date.parse(String(r.eventTime)) / 1000;
        return s >= input.StartTime && s <= input.EndTime;
      })
      .sort((a, b) => Date.parse(String(b.eventTime)) - Date.parse(String(a.eventTime)));
    const offset = input.NextToken ? Number(input.NextToken.replace('page-', '')) : 0;
    const size = input.MaxResults ?? 50;
    const page = inWindow.slice(offset, offset + size);
    res.end(
      JSON.stringify({
        Events: page.map((r) => ({
          EventId: r.eventID,
          EventName: r.eventName,
          EventTime: Date.parse(String(r.eventTime)) / 1000,
          CloudTrailEvent: JSON.stringify(r),
        })),
        ...(offset + size < inWindow.length ? { NextToken: `page-${offset + size}` } : {}),
      }),
    );
  });
  await new Promise<void>((resolve) => stand.server.listen(0, '127.0.0.1', resolve));
  stand.url = `http://127.0.0.1:${(stand.server.address() as AddressInfo).port}`;
  return stand;
}

const T0 = Date.parse('2024-08-01T13:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** 200 harmless real-shaped records 15 s apart (60 per 15-minute slice: more than a page), one on each slice boundary, and a real StopLogging. */
function history(): Array<Record<string, unknown>> {
  const [createUser] = (loadSample('aws.persistence.iam-create-admin-user.json') as Array<Record<string, unknown>>).filter((r) => r.eventName === 'CreateUser');
  const [stop] = loadSample('aws.defense-evasion.cloudtrail-stop.json') as Array<Record<string, unknown>>;
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 200; i++) out.push({ ...structuredClone(createUser!), eventID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, eventTime: iso(T0 + i * 15_000 + 1_000) });
  // Exactly on the 15-minute boundaries: each must be read once, not twice.
  out.push({ ...structuredClone(createUser!), eventID: 'b0000000-0000-4000-8000-000000000001', eventTime: iso(T0 + 15 * 60_000) });
  out.push({ ...structuredClone(createUser!), eventID: 'b0000000-0000-4000-8000-000000000002', eventTime: iso(T0 + 30 * 60_000) });
  out.push({ ...structuredClone(stop!), eventTime: iso(T0 + 42 * 60_000) });
  return out;
}

const client = (url: string, maxAttempts = 5) =>
  new CloudTrailClient({ region: 'us-east-1', endpoint: url, credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local' }, maxAttempts });

/** A clock that only moves when the pacer sleeps: the test sees every wait, and none is real. */
function fakeTime() {
  let now = 0;
  const sleeps: number[] = [];
  return { now: () => now, sleep: async (ms: number) => void (sleeps.push(ms), (now += ms)), sleeps };
}

async function collect(batches: AsyncIterable<SourceItem[]>) {
  const out: SourceItem[][] = [];
  for await (const b of batches) out.push(b);
  return out;
}

let stand: Stand;
beforeAll(async () => {
  stand = await startStand(history());
});
afterAll(() => new Promise<void>((resolve) => stand.server.close(() => resolve())));
afterEach(() => {
  stand.requests.length = 0;
  stand.throttleNext = 0;
});

describe('Event history (LookupEvents) as a replay source', () => {
  it('reads every event once, in event-time order, across pages and slices', async () => {
    const time = fakeTime();
    const batches = await collect(
      readLookupBatches({ since: new Date(T0), until: new Date(T0 + 3_600_000), clients: new Map([['us-east-1', client(stand.url)]]), ...time }),
    );
    const items = batches.flat();
    const ids = items.map((i) => (i.kind === 'event' ? (i.value as { eventID: string }).eventID : 'error'));
    expect(ids).toHaveLength(stand.records.length);
    expect(new Set(ids).size).toBe(stand.records.length);
    const times = items.map((i) => (i.kind === 'event' ? Date.parse((i.value as { eventTime: string }).eventTime) : Number.NaN));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // 4 slices of 15 minutes, each with more events than one page of 50 holds at least once.
    expect(new Set(stand.requests.map((r) => r.start)).size).toBe(4);
    expect(stand.requests.some((r) => r.token)).toBe(true);
  });

  it('stays under 2 requests a second per region', async () => {
    const time = fakeTime();
    const pace = createPacer(2, time.now, time.sleep);
    const starts: number[] = [];
    for (let i = 0; i < 6; i++) {
      await pace('us-east-1');
      starts.push(time.now());
    }
    await pace('eu-west-1');
    for (let i = 2; i < starts.length; i++) expect(starts[i]! - starts[i - 2]!).toBeGreaterThanOrEqual(1000);
    // Another region has its own allowance: it did not wait.
    expect(time.sleeps).toHaveLength(5);
  });

  it('retries throttling with backoff and still reads everything', async () => {
    stand.throttleNext = 2;
    const time = fakeTime();
    const items = (
      await collect(readLookupBatches({ since: new Date(T0), until: new Date(T0 + 3_600_000), clients: new Map([['us-east-1', client(stand.url)]]), ...time }))
    ).flat();
    expect(items).toHaveLength(stand.records.length);
    expect(stand.throttleNext).toBe(0);
  });

  it('gives up with the service error when throttling outlasts the retries', async () => {
    stand.throttleNext = 50;
    const time = fakeTime();
    const read = collect(readLookupBatches({ since: new Date(T0), until: new Date(T0 + 3_600_000), clients: new Map([['us-east-1', client(stand.url, 2)]]), ...time }));
    await expect(read).rejects.toThrow(/Rate exceeded/);
  });
});

describe('trailwatch replay --lookup', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'trailwatch-lookup-'));
  const saved = { ...process.env };
  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
    process.env = saved;
  });

  it('alerts exactly what replaying the same events from a file alerts', async () => {
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_CLOUDTRAIL: stand.url,
      AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_REGION: 'us-east-1',
    });
    const out: string[] = [];
    const err: string[] = [];
    const { rules } = await import('../../rules/index.js');
    const code = await main(
      ['replay', '--lookup', '--json', '--region', 'us-east-1', '--since', iso(T0), '--until', iso(T0 + 3_600_000)],
      rules,
      { out: (t) => out.push(t), err: (t) => err.push(t), tty: false },
    );
    expect(code).toBe(0);
    const fromLookup = out.join('').trim().split('\n').map((l) => JSON.parse(l) as { ruleId: string; eventIds: string[] });

    const file = join(tmp, 'history.json');
    writeFileSync(file, JSON.stringify({ Records: stand.records }));
    const fromFile: Array<{ ruleId: string; eventIds: string[] }> = [];
    await runReplay({ paths: [file], onAlert: (a) => fromFile.push(a) });

    expect(fromLookup.map((a) => [a.ruleId, a.eventIds])).toEqual(fromFile.map((a) => [a.ruleId, a.eventIds]));
    expect(fromLookup.map((a) => a.ruleId)).toContain('cloudtrail-tampering');
    expect(err.join('')).toMatch(/Replayed 203 events/);
  });

  it('refuses paths together with --lookup, and --region without it', async () => {
    const err: string[] = [];
    const io = { out: () => undefined, err: (t: string) => err.push(t), tty: false };
    const { rules } = await import('../../rules/index.js');
    expect(await main(['replay', '--lookup', 'some/dir'], rules, io)).toBe(2);
    expect(await main(['replay', '--region', 'us-east-1', 'some/dir'], rules, io)).toBe(2);
    expect(err.join('')).toMatch(/give no paths/);
    expect(err.join('')).toMatch(/--region goes with --lookup/);
  });
});

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main.js';
import { recordToEnvelope } from '../../lib/cloudtrail/wrap.js';
import { rules } from '../../rules/index.js';
import { loadSample, SAMPLES_DIR } from '../support/rule-cases.js';

const tmp = mkdtempSync(join(tmpdir(), 'trailwatch-replay-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, rules, { out: (t) => void (out += t), err: (t) => void (err += t), tty: false });
  return { code, out, err };
}

const jsonLines = (out: string) => out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

const stop = loadSample('aws.defense-evasion.cloudtrail-stop.json')[0] as Record<string, unknown>;
/** A StopLogging record on its own trail (its own incident) at a given time. */
const stopAt = (time: string, trail: string, id: string) => ({ ...structuredClone(stop), eventTime: time, eventID: id, requestParameters: { name: trail } });

function write(path: string, content: string | Buffer): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

describe('trailwatch replay: input formats', () => {
  const a = stopAt('2026-11-20T10:00:00Z', 'trail-a', 'aaaaaaaa-0000-4000-8000-000000000001');
  const b = stopAt('2026-11-20T10:01:00Z', 'trail-b', 'aaaaaaaa-0000-4000-8000-000000000002');
  const cases: Array<[string, () => string]> = [
    ['a CloudTrail log file ({"Records": [...]})', () => write(join(tmp, 'f1', 'log.json'), JSON.stringify({ Records: [a, b] }))],
    ['a gzipped log file in the AWSLogs layout', () => write(join(tmp, 'f2', 'AWSLogs/143434273843/CloudTrail/us-east-1/2026/11/20/143434273843_CloudTrail_us-east-1_20261120T1005Z_abc.json.gz'), gzipSync(JSON.stringify({ Records: [a, b] })))],
    ['a JSON array of raw records', () => write(join(tmp, 'f3', 'records.json'), JSON.stringify([a, b]))],
    ['NDJSON of EventBridge envelopes', () => write(join(tmp, 'f4', 'events.ndjson'), `${JSON.stringify(recordToEnvelope(a))}\n${JSON.stringify(recordToEnvelope(b))}\n`)],
    ['a directory holding a single event per file', () => {
      write(join(tmp, 'f5', 'one.json'), JSON.stringify(recordToEnvelope(a)));
      write(join(tmp, 'f5', 'two.json'), JSON.stringify(b));
      return join(tmp, 'f5');
    }],
  ];

  it.each(cases)('alerts on %s', async (_name, make) => {
    const { code, out } = await cli('replay', '--json', make());
    expect(code).toBe(0);
    const alerts = jsonLines(out);
    expect(alerts.map((x) => x.ruleId)).toEqual(['cloudtrail-tampering', 'cloudtrail-tampering']);
    expect(alerts.map((x) => (x.eventIds as string[])[0])).toEqual(['aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000002']);
  });

  it('replays the real Stratus Red Team recordings', async () => {
    // A trail delivers its files in time order; the corpus is named by technique and spans months out
    // of order, which would make a later file's bursts arrive "late" (not countable). Copied under
    // names that sort by first event time, the directory reads like a real trail's.
    const dir = join(tmp, 'stratus');
    for (const file of readdirSync(SAMPLES_DIR).filter((f) => f.endsWith('.json'))) {
      const first = (loadSample(file) as Array<{ eventTime?: string }>).map((r) => r.eventTime ?? '').sort()[0] ?? '';
      write(join(dir, `${first.replace(/[^0-9TZ]/g, '')}-${file}`), readFileSync(join(SAMPLES_DIR, file)));
    }
    const { code, out } = await cli('replay', '--json', dir);
    expect(code).toBe(0);
    // The acceptance table (test/acceptance/stratus-expected.json) says which rules each technique fires.
    const table = JSON.parse(readFileSync(join(dirname(SAMPLES_DIR), '..', 'acceptance', 'stratus-expected.json'), 'utf8')) as Record<string, { rules: string[] }>;
    const expected = [...new Set(Object.values(table).flatMap((e) => e.rules))].sort();
    expect([...new Set(jsonLines(out).map((x) => x.ruleId as string))].sort()).toEqual(expected);
  });
});

describe('trailwatch replay: output contract', () => {
  it('prints one JSON object per alert per line with the documented fields', async () => {
    const file = write(join(tmp, 'contract', 'log.json'), JSON.stringify({ Records: [stopAt('2026-11-20T10:00:00Z', 't', 'cccccccc-0000-4000-8000-000000000001')] }));
    const { out, err } = await cli('replay', '--json', file);
    const [alert] = jsonLines(out);
    expect(alert).toMatchObject({
      ruleId: 'cloudtrail-tampering',
      severity: 'high',
      title: 'CloudTrail logging tampered with',
      eventIds: ['cccccccc-0000-4000-8000-000000000001'],
      account: '143434273843',
      region: 'apiso-centralnorth-2r',
      eventTime: '2026-11-20T10:00:00Z',
    });
    // stdout stays machine-readable: the summary goes to stderr.
    expect(err).toMatch(/Replayed 1 events .*1 alerts/);
    expect(err).toMatch(/cloudtrail-tampering\s+1 matched\s+1 alerts/);
  });

  it('prints readable alerts and the per-rule summary without --json', async () => {
    const file = write(join(tmp, 'readable', 'log.json'), JSON.stringify({ Records: [stopAt('2026-11-20T10:00:00Z', 't', 'dddddddd-0000-4000-8000-000000000001')] }));
    const { out } = await cli('replay', file);
    expect(out).toContain('[trailwatch] HIGH CloudTrail logging tampered with - user/christophe in 143434273843');
    expect(out).toContain('replayed from recorded events');
    expect(out).toMatch(/cloudtrail-tampering\s+1 matched\s+1 alerts/);
  });
});

describe('trailwatch replay: ordering, filters, errors', () => {
  const shuffled = [
    stopAt('2026-11-20T10:10:00Z', 'trail-3', 'eeeeeeee-0000-4000-8000-000000000003'),
    stopAt('2026-11-20T10:00:00Z', 'trail-1', 'eeeeeeee-0000-4000-8000-000000000001'),
    stopAt('2026-11-20T10:05:00Z', 'trail-2', 'eeeeeeee-0000-4000-8000-000000000002'),
  ];
  const file = write(join(tmp, 'order', 'log.json'), JSON.stringify({ Records: shuffled }));

  it('replays in event-time order by default', async () => {
    const times = jsonLines((await cli('replay', '--json', file)).out).map((x) => x.eventTime);
    expect(times).toEqual(['2026-11-20T10:00:00Z', '2026-11-20T10:05:00Z', '2026-11-20T10:10:00Z']);
  });

  it('keeps the input order with --order input', async () => {
    const times = jsonLines((await cli('replay', '--json', '--order', 'input', file)).out).map((x) => x.eventTime);
    expect(times).toEqual(['2026-11-20T10:10:00Z', '2026-11-20T10:00:00Z', '2026-11-20T10:05:00Z']);
  });

  it('filters on event time with --since and --until', async () => {
    const { out, err } = await cli('replay', '--json', '--since', '2026-11-20T10:01:00Z', '--until', '2026-11-20T10:06:00Z', file);
    expect(jsonLines(out).map((x) => x.eventTime)).toEqual(['2026-11-20T10:05:00Z']);
    expect(err).toContain('Outside --since/--until: 2 events');
  });

  it('runs only the chosen rules with --rules, and refuses unknown ones', async () => {
    expect(jsonLines((await cli('replay', '--json', '--rules', 'iam-user-deleted', file)).out)).toEqual([]);
    const bad = await cli('replay', '--rules', 'no-such-rule', file);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('Unknown rule id(s): no-such-rule');
  });

  it('reports corrupt and unreadable files with their path, skips them and exits non-zero', async () => {
    const dir = join(tmp, 'corrupt');
    write(join(dir, 'good.json'), JSON.stringify({ Records: [stopAt('2026-11-20T10:00:00Z', 'ok', 'ffffffff-0000-4000-8000-000000000001')] }));
    write(join(dir, 'truncated.json.gz'), gzipSync(JSON.stringify({ Records: [stop] })).subarray(0, 40));
    write(join(dir, 'broken.json'), '{"Records": [');
    const { code, out, err } = await cli('replay', '--json', dir);
    expect(code).toBe(1);
    expect(jsonLines(out)).toHaveLength(1);
    expect(err).toMatch(/Unreadable or corrupt inputs: 2/);
    expect(err).toContain('truncated.json.gz');
    expect(err).toContain('broken.json');
  });

  it('counts values that are not CloudTrail events as malformed, with the first reasons', async () => {
    const nd = write(join(tmp, 'malformed', 'x.ndjson'), `${JSON.stringify({ hello: 'world' })}\n${JSON.stringify(stop)}\n`);
    const { code, err } = await cli('replay', '--json', nd);
    expect(code).toBe(0);
    expect(err).toMatch(/Skipped as malformed: 1/);
    expect(err).toContain('not an EventBridge envelope or CloudTrail record');
  });
});

describe('trailwatch replay --report (backtest)', () => {
  it('counts alerts per rule per day and names the busiest incident keys', async () => {
    const burst = Array.from({ length: 25 }, (_, i) => {
      const r = structuredClone(loadSample('derived/s3-data-events.json')[0]) as Record<string, unknown>;
      return { ...r, eventID: `99999999-0000-4000-8000-${String(i).padStart(12, '0')}`, eventTime: new Date(Date.parse('2026-11-20T10:00:00Z') + i * 5000).toISOString() };
    });
    const file = write(join(tmp, 'report', 'log.json'), JSON.stringify({ Records: [...burst, stopAt('2026-11-21T09:00:00Z', 't', '99999999-1111-4000-8000-000000000001')] }));
    const { out } = await cli('replay', '--report-json', file);
    const report = JSON.parse(out.trim()) as { rules: Record<string, { alerts: number; perDay: Record<string, number>; topGroups: Array<{ group: Record<string, string>; alerts: number }> }>; days: string[] };
    expect(report.days).toEqual(['2026-11-20', '2026-11-21']);
    // One burst alert and one follow-up for the 5 calls after it.
    expect(report.rules['s3-mass-delete']).toMatchObject({ alerts: 2, perDay: { '2026-11-20': 2 } });
    expect(report.rules['s3-mass-delete']?.topGroups[0]?.group).toMatchObject({ principal: 'role/ci-deployer', bucket: 'logs-prod' });
    expect(report.rules['cloudtrail-tampering']?.perDay).toEqual({ '2026-11-21': 1 });
    const text = await cli('replay', '--report', file);
    expect(text.out).toMatch(/s3-mass-delete\s+25\s+2\s+2\s+0/);
    expect(text.out).toContain('Busiest incident keys');
  });
});

describe('trailwatch hunt', () => {
  it('prints the Athena SQL for a rule', async () => {
    const { code, out } = await cli('hunt', 'cloudtrail-tampering', '--table', 'cloudtrail_logs', '--since', '2026-11-01', '--until', '2026-11-08');
    expect(code).toBe(0);
    expect(out).toContain('FROM "default"."cloudtrail_logs"');
    expect(out).toContain("eventname IN ('StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors', 'StopEventDataStoreIngestion', 'DeleteEventDataStore')");
    expect(out).toContain("eventtime >= '2026-11-01T00:00:00Z'");
  });

  it('needs a table and a known rule', async () => {
    expect((await cli('hunt', 'cloudtrail-tampering')).code).toBe(2);
    expect((await cli('hunt', 'nope', '--table', 't')).err).toContain('hunt needs a rule id');
  });
});

describe('the trailwatch command', () => {
  it('is declared as the package bin', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin.trailwatch).toBe('bin/trailwatch.mjs');
  });
});

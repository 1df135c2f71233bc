import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main.js';
import { rules } from '../../rules/index.js';
import { loadSample } from '../support/rule-cases.js';

const tmp = mkdtempSync(join(tmpdir(), 'trailwatch-tuning-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, rules, { out: (t) => void (out += t), err: (t) => void (err += t), tty: false });
  return { code, out, err };
}

const stop = loadSample('aws.defense-evasion.cloudtrail-stop.json')[0] as Record<string, unknown>;
/** Three StopLogging calls on three trails (three incidents), the second from the office range. */
const records = [
  { ...structuredClone(stop), eventTime: '2026-11-20T10:00:00Z', eventID: 'ffffffff-0000-4000-8000-000000000001', requestParameters: { name: 'a' }, sourceIPAddress: '203.0.113.7' },
  { ...structuredClone(stop), eventTime: '2026-11-20T10:01:00Z', eventID: 'ffffffff-0000-4000-8000-000000000002', requestParameters: { name: 'b' }, sourceIPAddress: '10.1.2.3' },
  { ...structuredClone(stop), eventTime: '2026-11-20T10:02:00Z', eventID: 'ffffffff-0000-4000-8000-000000000003', requestParameters: { name: 'c' }, sourceIPAddress: '203.0.113.8' },
];
const file = join(tmp, 'log.json');
writeFileSync(file, JSON.stringify({ Records: records }));
const lines = (out: string) => out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('trailwatch replay --tuning: the deployed settings, replayed', () => {
  it('alerts every incident without tuning', async () => {
    expect(lines((await cli('replay', '--json', file)).out).map((a) => a.eventIds)).toEqual([
      ['ffffffff-0000-4000-8000-000000000001'],
      ['ffffffff-0000-4000-8000-000000000002'],
      ['ffffffff-0000-4000-8000-000000000003'],
    ]);
  });

  it('counts allowlisted matches with their reason and alerts the rest with the overridden severity', async () => {
    const tuning = JSON.stringify({ 'cloudtrail-tampering': { severity: 'critical', allow: [{ sourceCidr: '10.0.0.0/8', reason: 'office network' }] } });
    const { code, out, err } = await cli('replay', '--json', '--tuning', tuning, file);
    expect(code).toBe(0);
    const alerts = lines(out);
    expect(alerts.map((a) => a.eventIds)).toEqual([['ffffffff-0000-4000-8000-000000000001'], ['ffffffff-0000-4000-8000-000000000003']]);
    expect(alerts.map((a) => a.severity)).toEqual(['critical', 'critical']);
    expect(err).toMatch(/cloudtrail-tampering\s+1 allowlisted: office network/);
  });

  it('does not run a disabled rule, and staged rules only with --staged', async () => {
    expect(lines((await cli('replay', '--json', '--tuning', '{"cloudtrail-tampering":{"enabled":false}}', file)).out)).toEqual([]);
    expect(lines((await cli('replay', '--json', '--tuning', '{"cloudtrail-tampering":{"status":"staged"}}', file)).out)).toEqual([]);
    const staged = lines((await cli('replay', '--json', '--staged', '--tuning', '{"cloudtrail-tampering":{"status":"staged"}}', file)).out);
    expect(staged.map((a) => a.status)).toEqual(['staged', 'staged', 'staged']);
  });

  it('refuses tuning that names the rule and key wrongly', async () => {
    const { code, out, err } = await cli('replay', '--tuning', '{"cloudtrail-tampering":{"allow":[{"account":"123456789012"}]}}', file);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(/cloudtrail-tampering\.allow\[0\]\.reason is required/);
  });
});

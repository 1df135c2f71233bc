import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runReplay } from '../../lib/replay/run.js';
import { loadSample } from '../support/rule-cases.js';

/**
 * The identity rules whose meaning lives in their threshold and grouping, replayed through the same
 * pipeline as `trailwatch replay` (state, windows, incidents) on records derived from real ones.
 */
const tmp = mkdtempSync(join(tmpdir(), 'trailwatch-identity-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Rec = Record<string, unknown>;
const pick = (file: string, eventName: string): Rec => structuredClone((loadSample(file) as Rec[]).find((r) => r['eventName'] === eventName)) as Rec;
const createUser = pick('aws.persistence.iam-create-admin-user.json', 'CreateUser');
const createKey = pick('aws.persistence.iam-create-admin-user.json', 'CreateAccessKey');
const loginProfile = pick('aws.persistence.iam-create-user-login-profile.json', 'CreateLoginProfile');
const denied = pick('aws.credential-access.ec2-get-password-data.json', 'GetPasswordData');
const signIn = (loadSample('aws.initial-access.console-login-without-mfa.json') as Rec[])[0] as Rec;

let n = 0;
/** A copy at another time, with its own event id (the same id twice is a redelivery). */
function at(record: Rec, time: string, patch: Rec = {}): Rec {
  n += 1;
  return { ...structuredClone(record), eventTime: time, eventID: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, ...patch };
}
const forUser = (record: Rec, user: string, time: string): Rec => at(record, time, { requestParameters: { ...(record['requestParameters'] as Rec), userName: user } });

async function alertsOn(records: Rec[]): Promise<string[]> {
  const file = join(tmp, `case-${n}.json`);
  writeFileSync(file, JSON.stringify({ Records: records }));
  const fired: string[] = [];
  // Follow-up summaries ("5 more ...") are not new alerts.
  await runReplay({ paths: [file], onAlert: (a) => { if (a.kind !== 'summary') fired.push(a.ruleId); } });
  return fired;
}
const count = (fired: string[], id: string) => fired.filter((x) => x === id).length;

describe('iam-new-user-with-credentials (CreateUser, then a key or password, within the hour)', () => {
  it('fires when a new user gets an access key 40 minutes later', async () => {
    const fired = await alertsOn([forUser(createUser, 'svc-x', '2024-08-01T10:00:00Z'), forUser(createKey, 'svc-x', '2024-08-01T10:40:00Z')]);
    expect(count(fired, 'iam-new-user-with-credentials')).toBe(1);
  });

  it('fires when the new user gets a console password from another admin, whatever the order of arrival', async () => {
    // The login-profile recording is from another account: moved into the creator's account.
    const profile = { ...loginProfile, recipientAccountId: createUser['recipientAccountId'] };
    const fired = await alertsOn([forUser(profile, 'svc-y', '2024-08-01T10:05:00Z'), forUser(createUser, 'svc-y', '2024-08-01T10:00:00Z')]);
    expect(count(fired, 'iam-new-user-with-credentials')).toBe(1);
  });

  it('does not fire when the credential comes more than an hour after the creation', async () => {
    const fired = await alertsOn([forUser(createUser, 'svc-z', '2024-08-01T10:00:00Z'), forUser(createKey, 'svc-z', '2024-08-01T11:01:00Z')]);
    expect(count(fired, 'iam-new-user-with-credentials')).toBe(0);
    expect(count(fired, 'iam-access-key-for-other-user')).toBe(1);
  });

  it('does not join two different users', async () => {
    const fired = await alertsOn([forUser(createUser, 'alice', '2024-08-01T10:00:00Z'), forUser(createKey, 'bob', '2024-08-01T10:01:00Z')]);
    expect(count(fired, 'iam-new-user-with-credentials')).toBe(0);
  });

  it('treats user names case-insensitively, as IAM does', async () => {
    const fired = await alertsOn([forUser(createUser, 'Carol', '2024-08-01T10:00:00Z'), forUser(createKey, 'carol', '2024-08-01T10:01:00Z')]);
    expect(count(fired, 'iam-new-user-with-credentials')).toBe(1);
  });
});

describe('unauthorized-api-calls (20 different denied requests in 10 minutes per principal)', () => {
  // One call every 20 seconds (25 calls span 8 minutes), each on another instance, as a sweep does.
  const burst = (k: number, patch: Rec = {}) =>
    Array.from({ length: k }, (_, i) =>
      at(denied, new Date(Date.parse('2024-08-01T10:00:00Z') + i * 20_000).toISOString().replace('.000Z', 'Z'), { requestParameters: { instanceId: `i-0sweep${String(i).padStart(10, '0')}` }, ...patch }),
    );

  it('fires once on the twentieth denied call', async () => {
    expect(count(await alertsOn(burst(25)), 'unauthorized-api-calls')).toBe(1);
  });

  it('does not fire on 19', async () => {
    expect(count(await alertsOn(burst(19)), 'unauthorized-api-calls')).toBe(0);
  });

  it('does not fire on a job retrying the one request it may not make, however often', async () => {
    const same = burst(40).map((r) => ({ ...r, requestParameters: { instanceId: 'i-0jobretry000001' } }));
    expect(count(await alertsOn(same), 'unauthorized-api-calls')).toBe(0);
  });

  it('does not fire on a console session browsing without permission', async () => {
    expect(count(await alertsOn(burst(40, { sessionCredentialFromConsole: 'true' })), 'unauthorized-api-calls')).toBe(0);
  });
});

describe('console-login-failures (5 failures in 10 minutes from one IP)', () => {
  const failure = { responseElements: { ConsoleLogin: 'Failure' }, errorMessage: 'Failed authentication' };
  const times = (k: number) => Array.from({ length: k }, (_, i) => `2024-08-01T10:0${i}:00Z`);

  it('fires on five failures from one IP, across users (spraying)', async () => {
    const users = ['a', 'b', 'c', 'd', 'e'];
    const fired = await alertsOn(times(5).map((t, i) => at(signIn, t, { ...failure, userIdentity: { type: 'IAMUser', accountId: '562283505220', userName: users[i] } })));
    expect(count(fired, 'console-login-failures')).toBe(1);
  });

  it('does not fire on five failures from five IPs', async () => {
    const fired = await alertsOn(times(5).map((t, i) => at(signIn, t, { ...failure, sourceIPAddress: `198.51.100.${i + 1}` })));
    expect(count(fired, 'console-login-failures')).toBe(0);
  });
});

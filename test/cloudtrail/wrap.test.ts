import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTrailEvent } from '../../lib/cloudtrail/envelope.js';
import { DETAIL_TYPES, type CloudTrailRecord, type TrailEvent } from '../../lib/cloudtrail/types.js';
import {
  asEnvelope,
  isEnvelope,
  normaliseTime,
  recordToEnvelope,
  sourceFromEventSource,
  uuidFromHex,
} from '../../lib/cloudtrail/wrap.js';

const SAMPLES = fileURLToPath(new URL('../fixtures/stratus-red-team/', import.meta.url));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function sample(file: string): CloudTrailRecord[] {
  return JSON.parse(readFileSync(join(SAMPLES, file), 'utf8')) as CloudTrailRecord[];
}

const allRecords: CloudTrailRecord[] = readdirSync(SAMPLES)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .flatMap(sample);

const insightRecord = (): CloudTrailRecord => ({
  eventVersion: '1.08',
  eventTime: '2026-11-20T10:15:00Z',
  awsRegion: 'us-east-1',
  eventID: 'a1b2c3d4-0001-4000-8000-000000000001',
  eventType: 'AwsCloudTrailInsight',
  recipientAccountId: '123456789012',
  sharedEventID: '5e1f9a00-aaaa-4bbb-8ccc-dddddddddddd',
  eventCategory: 'Insight',
  insightDetails: {
    state: 'Start',
    eventSource: 'ssm.amazonaws.com',
    eventName: 'UpdateInstanceAssociationStatus',
    insightType: 'ApiCallRateInsight',
  },
});

describe('recordToEnvelope on the real samples', () => {
  it('has samples to work on', () => {
    expect(allRecords.length).toBeGreaterThan(300);
  });

  it('builds the envelope EventBridge would deliver, around the record itself', () => {
    for (const record of allRecords) {
      const event = recordToEnvelope(record);
      expect(event.version).toBe('0');
      // CloudTrail's eventID is already a unique UUID: it is the id as is.
      expect(event.id).toBe(String(record.eventID).toLowerCase());
      expect(event.source).toBe(`aws.${String(record.eventSource).replace(/\.amazonaws\.com$/, '')}`);
      expect(event.account).toBe(record.recipientAccountId);
      expect(event.region).toBe(record.awsRegion);
      expect(event.time).toBe(record.eventTime);
      expect(event.resources).toEqual([]);
      expect(event.detail).toBe(record);
    }
  });

  it('produces envelopes the live path accepts', () => {
    for (const record of allRecords) {
      const event = recordToEnvelope(record);
      expect(parseTrailEvent(event)).toEqual(event);
    }
  });

  it('hashes an id that is not a CloudTrail UUID into a UUID-shaped one', () => {
    const record = { ...structuredClone(allRecords[0]!), eventID: 'not-a-uuid' };
    expect(recordToEnvelope(record).id).toMatch(UUID);
    const { eventID: _dropped, ...withoutId } = record;
    expect(recordToEnvelope(withoutId).id).toMatch(UUID);
  });

  it('gives each event its own id, and the same id every time', () => {
    const ids = allRecords.map((r) => recordToEnvelope(r).id);
    expect(new Set(ids).size).toBe(allRecords.length);
    expect(allRecords.map((r) => recordToEnvelope(structuredClone(r)).id)).toEqual(ids);
  });

  it('keeps odd anonymised regions as they are', () => {
    const [record] = sample('aws.defense-evasion.cloudtrail-stop.json');
    expect(record).toBeDefined();
    const event = recordToEnvelope(record as CloudTrailRecord);
    expect(event.region).toBe('apiso-centralnorth-2r');
    expect(event['detail-type']).toBe(DETAIL_TYPES.apiCall);
    expect(event.source).toBe('aws.cloudtrail');
  });

  it('wraps a console sign-in as EventBridge does', () => {
    const [record] = sample('aws.initial-access.console-login-without-mfa.json');
    const event = recordToEnvelope(record as CloudTrailRecord);
    expect(event['detail-type']).toBe('AWS Console Sign In via CloudTrail');
    expect(event.source).toBe('aws.signin');
    expect(event.account).toBe('562283505220');
  });
});

describe('detail-type', () => {
  const cases: Array<[string | undefined, string]> = [
    ['AwsApiCall', 'AWS API Call via CloudTrail'],
    ['AwsConsoleSignIn', 'AWS Console Sign In via CloudTrail'],
    ['AwsConsoleSignin', 'AWS Console Sign In via CloudTrail'],
    ['AwsConsoleAction', 'AWS Console Action via CloudTrail'],
    ['AwsServiceEvent', 'AWS Service Event via CloudTrail'],
    ['AwsCloudTrailInsight', 'AWS Insight via CloudTrail'],
    ['AwsVpceEvent', 'AWS API Call via CloudTrail'],
    ['constructor', 'AWS API Call via CloudTrail'],
    ['__proto__', 'AWS API Call via CloudTrail'],
    [undefined, 'AWS API Call via CloudTrail'],
  ];
  it.each(cases)('eventType %s -> %s', (eventType, detailType) => {
    const record: CloudTrailRecord = { eventID: 'x', eventSource: 'iam.amazonaws.com', eventName: 'GetUser' };
    if (eventType !== undefined) record.eventType = eventType;
    expect(recordToEnvelope(record)['detail-type']).toBe(detailType);
  });

  it('treats a non-string eventType as an API call', () => {
    const record = { eventID: 'x', eventType: 42 } as unknown as CloudTrailRecord;
    expect(recordToEnvelope(record)['detail-type']).toBe(DETAIL_TYPES.apiCall);
  });
});

describe('source', () => {
  it.each([
    ['iam.amazonaws.com', 'aws.iam'],
    ['signin.amazonaws.com', 'aws.signin'],
    ['s3.amazonaws.com', 'aws.s3'],
    ['cloudtrail-data.amazonaws.com', 'aws.cloudtrail-data'],
    ['example.internal', 'aws.example.internal'],
    ['', ''],
    [undefined, ''],
  ])('%s -> %s', (eventSource, source) => {
    expect(sourceFromEventSource(eventSource)).toBe(source);
  });

  it('names the service an Insight is about, since Insight records have no eventSource', () => {
    const event = recordToEnvelope(insightRecord());
    expect(event['detail-type']).toBe(DETAIL_TYPES.insight);
    expect(event.source).toBe('aws.ssm');
    expect(parseTrailEvent(event)).toEqual(event);
  });
});

describe('time', () => {
  it.each([
    ['2024-07-31T13:06:24Z', '2024-07-31T13:06:24Z'],
    ['2024-07-31T13:06:24.123Z', '2024-07-31T13:06:24Z'],
    ['2024-07-31T15:06:24+02:00', '2024-07-31T13:06:24Z'],
    ['2024-07-31T13:06Z', '2024-07-31T13:06:00Z'],
    // zone-less: Date.parse would read it in local time, so it is left alone
    ['2024-07-31T13:06:24', '2024-07-31T13:06:24'],
    ['yesterday', 'yesterday'],
    ['2024-13-45T99:99:99Z', '2024-13-45T99:99:99Z'],
    ['', ''],
  ])('%s -> %s', (input, output) => {
    expect(normaliseTime(input)).toBe(output);
  });

  it('is empty when there is no eventTime', () => {
    expect(normaliseTime(undefined)).toBe('');
    expect(recordToEnvelope({ eventID: 'x' }).time).toBe('');
  });
});

describe('account', () => {
  it('falls back to the identity account, then to empty', () => {
    expect(recordToEnvelope({ eventID: 'x', userIdentity: { accountId: '111122223333' } }).account).toBe('111122223333');
    expect(recordToEnvelope({ eventID: 'x', recipientAccountId: '444455556666', userIdentity: { accountId: '111122223333' } }).account).toBe(
      '444455556666',
    );
    expect(recordToEnvelope({ eventID: 'x' }).account).toBe('');
    expect(recordToEnvelope({ eventID: 'x', userIdentity: null } as unknown as CloudTrailRecord).account).toBe('');
  });
});

describe('id', () => {
  it('depends on eventID and eventTime', () => {
    const a = recordToEnvelope({ eventID: 'e1', eventTime: '2024-01-01T00:00:00Z' }).id;
    expect(recordToEnvelope({ eventID: 'e2', eventTime: '2024-01-01T00:00:00Z' }).id).not.toBe(a);
    expect(recordToEnvelope({ eventID: 'e1', eventTime: '2024-01-01T00:00:01Z' }).id).not.toBe(a);
    expect(recordToEnvelope({ eventID: 'e1', eventTime: '2024-01-01T00:00:00Z', eventName: 'Other' }).id).toBe(a);
  });

  it('is still deterministic for a record without eventID', () => {
    const record: CloudTrailRecord = { eventTime: '2024-01-01T00:00:00Z', eventName: 'GetUser' };
    const id = recordToEnvelope(record).id;
    expect(id).toMatch(UUID);
    expect(recordToEnvelope({ ...record }).id).toBe(id);
    expect(recordToEnvelope({ ...record, eventName: 'ListUsers' }).id).not.toBe(id);
  });

  it('is UUID-shaped and stable for any eventID', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (eventID, eventTime) => {
        const id = recordToEnvelope({ eventID, eventTime }).id;
        expect(id).toMatch(UUID);
        expect(recordToEnvelope({ eventID, eventTime }).id).toBe(id);
      }),
    );
  });

  it('sets the version and variant bits whatever the digest', () => {
    expect(uuidFromHex('0'.repeat(64))).toBe('00000000-0000-8000-8000-000000000000');
    expect(uuidFromHex('f'.repeat(64))).toBe('ffffffff-ffff-8fff-bfff-ffffffffffff');
  });
});

describe('asEnvelope / isEnvelope', () => {
  const envelope: TrailEvent = recordToEnvelope(sample('aws.defense-evasion.cloudtrail-stop.json')[0] as CloudTrailRecord);

  it('returns an envelope unchanged', () => {
    expect(isEnvelope(envelope)).toBe(true);
    expect(asEnvelope(envelope)).toBe(envelope);
  });

  it('wraps a raw record', () => {
    const record = structuredClone(envelope.detail);
    const wrapped = asEnvelope(record);
    expect(wrapped?.detail).toBe(record);
    expect(wrapped).toEqual(envelope);
  });

  it('wraps an Insight record', () => {
    expect(asEnvelope(insightRecord())?.['detail-type']).toBe(DETAIL_TYPES.insight);
  });

  it.each([
    ['null', null],
    ['a number', 42],
    ['a string', '{"eventID":"x"}'],
    ['an array', [envelope.detail]],
    ['an empty object', {}],
    ['a log file body', { Records: [envelope.detail] }],
    ['a detail-type without detail', { 'detail-type': DETAIL_TYPES.apiCall }],
    ['a detail that is not an object', { 'detail-type': DETAIL_TYPES.apiCall, detail: 'x' }],
    ['an array detail', { 'detail-type': DETAIL_TYPES.apiCall, detail: [] }],
    ['numeric record fields', { eventID: 1, eventTime: 2 }],
  ])('rejects %s', (_name, value) => {
    expect(asEnvelope(value)).toBeUndefined();
    expect(isEnvelope(value)).toBe(false);
  });

  it('leaves envelope contents to parseTrailEvent', () => {
    const odd = { 'detail-type': 'Something Else', detail: {} };
    expect(isEnvelope(odd)).toBe(true);
    expect(asEnvelope(odd)).toBe(odd);
  });
});

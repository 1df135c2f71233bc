import { actorOf, requestParam, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import { principalName } from '../lib/cloudtrail/identity.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * Many S3 object deletions by one principal in one bucket. These are data events: they reach
 * EventBridge only when a trail logs S3 data events for the bucket (README, "Data events").
 *
 * A DeleteObjects call (the console, `aws s3 rm --recursive`, `sync --delete`) deletes up to 1,000
 * keys but CloudTrail logs no keys and no count for it, so the threshold counts calls, not objects.
 *
 * Default 20 calls in 10 minutes: one engineer cleaning a prefix by hand makes a handful of
 * DeleteObjects calls; a wipe of a real bucket makes hundreds. Deploy roles that `sync --delete` on
 * every release should get a higher threshold (`ruleTuning`) rather than an exception.
 */
export const s3MassDelete: Rule = {
  id: 's3-mass-delete',
  title: 'Mass deletion of S3 objects',
  severity: 'high',
  status: 'live',
  description:
    'One principal made many DeleteObject/DeleteObjects calls on one bucket within a short event-time ' +
    'window: data destruction, ransomware staging (delete after copying out), or automation gone wrong.',
  runbook:
    'Check whether versioning or Object Lock can restore the objects (list object versions, delete ' +
    "markers). If the principal is not an expected cleanup job: revoke its sessions, deny s3:Delete* to it " +
    'with a bucket policy, and look for a preceding bulk GetObject or replication change (exfiltration).',
  references: [
    'https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-logging-s3-info.html',
    'https://attack.mitre.org/techniques/T1485/',
  ],
  mitre: ['TA0040:T1485', 'TA0040:T1486'],
  requires: {
    eventCategory: 'data',
    dataEvents: { resourceType: 'AWS::S3::Object', eventNames: ['DeleteObject', 'DeleteObjects'] },
    usEast1Only: false,
  },
  pattern: {
    source: ['aws.s3'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['s3.amazonaws.com'], eventName: ['DeleteObject', 'DeleteObjects'] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record),
  summarize: (record) =>
    `${record.eventName === 'DeleteObjects' ? 'Multi-object delete (keys not logged by CloudTrail)' : `Deleted ${requestParam(record, 'key') ?? 'an object'}`} in bucket ${requestParam(record, 'bucketName') ?? '?'} by ${actorOf(record).name}`,
  details: (record) => [
    { label: 'Bucket', value: requestParam(record, 'bucketName') ?? '?' },
    { label: 'Counting', value: 'API calls: a DeleteObjects call may delete up to 1,000 keys, which CloudTrail does not log' },
  ],
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), bucket: requestParam(record, 'bucketName') ?? '?', account: event.account }),
  threshold: { count: 20, windowMinutes: 10 },
  dedupeMinutes: 60,
};

import { actorOf, requestParam, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * Several buckets deleted by one principal. DeleteBucket is a management event (no data-event
 * selectors needed). Default 3 in 30 minutes: deleting buckets is rare outside teardown of a whole
 * environment, which should be done by a known pipeline role.
 */
export const s3BucketMassDelete: Rule = {
  id: 's3-bucket-mass-delete',
  title: 'Several S3 buckets deleted',
  severity: 'high',
  status: 'live',
  description: 'One principal deleted several S3 buckets within a short event-time window.',
  runbook:
    'Identify the buckets (event ids below) and whether they were part of a planned teardown. If not, ' +
    "revoke the principal's sessions and check backups or replicas; deleted bucket names can be taken by " +
    'anyone once released.',
  references: ['https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html'],
  mitre: ['TA0040:T1485'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.s3'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['s3.amazonaws.com'], eventName: ['DeleteBucket'] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record),
  summarize: (record) => `Bucket ${requestParam(record, 'bucketName') ?? '?'} deleted by ${actorOf(record).name}`,
  details: (record) => [{ label: 'Bucket', value: requestParam(record, 'bucketName') ?? '?' }],
  threshold: { count: 3, windowMinutes: 30 },
  dedupeMinutes: 60,
};

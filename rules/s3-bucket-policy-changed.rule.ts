import { actorOf, succeeded } from '../lib/cloudtrail/identity.js';
import { bucketOf } from '../lib/cloudtrail/s3.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * CIS 4.8: changes to who can reach a bucket and where its data goes (policy, ACL, CORS, lifecycle,
 * replication). Change monitoring, so low and one alert per principal and hour: a deploy that
 * rewrites the policies of twenty buckets is one alert whose follow-up counts the rest. The
 * attack-shaped subset (a public policy or ACL) is s3-bucket-made-public, at high severity.
 */
export const s3BucketPolicyChanged: Rule = {
  id: 's3-bucket-policy-changed',
  title: 'S3 bucket policy, ACL or replication changed',
  severity: 'low',
  status: 'live',
  description:
    'A bucket policy, ACL, CORS, lifecycle or replication configuration was put or deleted ' +
    '(CIS AWS Foundations 4.8 S3 bucket policy changes).',
  runbook:
    'Check that the change came from your infrastructure code or an approved ticket. For policies, read ' +
    'the new document (GetBucketPolicy) for principals outside your organization; for replication, check ' +
    'the destination bucket\'s account; for lifecycle, rules that expire data early.',
  references: [
    'https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html',
    'https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-logging-s3-info.html',
    'https://attack.mitre.org/techniques/T1537/',
    'https://github.com/panther-labs/panther-analysis/tree/main/rules/aws_cloudtrail_rules',
  ],
  mitre: ['TA0005:T1222', 'TA0010:T1537'],
  cis: ['4.8'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.s3'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: {
      eventSource: ['s3.amazonaws.com'],
      eventName: [
        'PutBucketAcl',
        'PutBucketPolicy',
        'PutBucketCors',
        'PutBucketLifecycle',
        'PutBucketReplication',
        'DeleteBucketPolicy',
        'DeleteBucketCors',
        'DeleteBucketLifecycle',
        'DeleteBucketReplication',
      ],
    },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record),
  summarize: (record) => `${record.eventName ?? '?'} on bucket ${bucketOf(record)} by ${actorOf(record).name}`,
  details: (record) => [
    { label: 'Bucket', value: bucketOf(record) },
    { label: 'Change', value: record.eventName ?? '?' },
  ],
  dedupeMinutes: 60,
};

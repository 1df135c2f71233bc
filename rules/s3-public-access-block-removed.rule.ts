import { actorOf, principalName, succeeded } from '../lib/cloudtrail/identity.js';
import { bucketOf, publicAccessBlockOff } from '../lib/cloudtrail/s3.js';
import type { CloudTrailRecord } from '../lib/cloudtrail/types.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

const isAccountLevel = (record: CloudTrailRecord): boolean => /Account/.test(record.eventName ?? '');
const scopeOf = (record: CloudTrailRecord): string => (isAccountLevel(record) ? 'the whole account' : `bucket ${bucketOf(record)}`);

function removed(record: CloudTrailRecord): string[] {
  if (record.eventName?.startsWith('Delete')) return ['all four settings (configuration deleted)'];
  return publicAccessBlockOff(record);
}

/**
 * S3 Block Public Access removed or weakened, at bucket or account level: the guardrail that keeps a
 * public policy or ACL from taking effect. It is the step before making a bucket public, and the
 * account-level switch exposes every bucket at once. High: one more call makes data public.
 * A Put* counts when any of the four settings is left off (an omitted setting is off).
 */
export const s3PublicAccessBlockRemoved: Rule = {
  id: 's3-public-access-block-removed',
  title: 'S3 Block Public Access removed or weakened',
  severity: 'high',
  status: 'live',
  description:
    'DeleteBucketPublicAccessBlock or DeleteAccountPublicAccessBlock removed Block Public Access, or a ' +
    'Put*PublicAccessBlock left at least one of its four settings off.',
  runbook:
    'Re-enable Block Public Access (bucket, and account level) unless a documented public website needs ' +
    'it. Then check the bucket policies and ACLs in scope for public grants made since (GetBucketPolicyStatus), ' +
    'and ask the actor why.',
  references: [
    'https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html',
    'https://attack.mitre.org/techniques/T1562/',
    'https://github.com/SigmaHQ/sigma/tree/master/rules/cloud/aws/cloudtrail',
  ],
  mitre: ['TA0005:T1562', 'TA0010:T1537'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.s3'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: {
      eventSource: ['s3.amazonaws.com'],
      eventName: ['PutBucketPublicAccessBlock', 'DeleteBucketPublicAccessBlock', 'PutAccountPublicAccessBlock', 'DeleteAccountPublicAccessBlock'],
    },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && removed(record).length > 0,
  summarize: (record) => `Block Public Access ${record.eventName?.startsWith('Delete') ? 'removed' : 'weakened'} for ${scopeOf(record)} by ${actorOf(record).name}`,
  details: (record) => [
    { label: 'Scope', value: scopeOf(record) },
    { label: 'Settings off', value: removed(record).join(', ') },
  ],
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), scope: scopeOf(record), account: event.account }),
  dedupeMinutes: 60,
};

import { actorOf, fieldOf, principalName, requestValue, succeeded } from '../lib/cloudtrail/identity.js';
import { bucketOf } from '../lib/cloudtrail/s3.js';
import type { CloudTrailRecord } from '../lib/cloudtrail/types.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/** What the call turned off, or undefined when it turned nothing off. */
function turnedOff(record: CloudTrailRecord): string | undefined {
  switch (record.eventName) {
    case 'PutBucketVersioning': {
      const status = fieldOf(requestValue(record, 'VersioningConfiguration'), 'Status');
      return typeof status === 'string' && status.toLowerCase() === 'suspended' ? 'versioning suspended' : undefined;
    }
    case 'DeleteBucketEncryption':
      return 'default encryption configuration deleted';
    case 'PutBucketLogging': {
      // Logging is disabled by putting a BucketLoggingStatus without LoggingEnabled.
      const status = requestValue(record, 'BucketLoggingStatus');
      return fieldOf(status, 'LoggingEnabled') === undefined ? 'server access logging disabled' : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * A bucket losing a safeguard: versioning suspended (deleted and overwritten objects can no longer
 * be recovered: the step before a ransomware wipe), default encryption configuration deleted, or
 * server access logging disabled (object access stops being recorded when no data-event trail
 * covers it). Medium: nothing is lost yet, but recovery or evidence is. Since January 2023 S3 still
 * encrypts new objects with SSE-S3 when the configuration is deleted; the alert says what was lost:
 * the bucket's own key choice (often SSE-KMS with a key policy).
 */
export const s3BucketProtectionRemoved: Rule = {
  id: 's3-bucket-protection-removed',
  title: 'S3 bucket versioning, encryption or logging turned off',
  severity: 'medium',
  status: 'live',
  description:
    'PutBucketVersioning suspended versioning, DeleteBucketEncryption removed the default encryption ' +
    'configuration, or PutBucketLogging disabled server access logging on a bucket.',
  runbook:
    'Ask the actor why. Restore the setting from your infrastructure code (versioning Enabled, the KMS ' +
    'default encryption, the logging target). After a versioning suspension, watch the bucket for mass ' +
    'deletes and overwrites (s3-mass-delete needs S3 data events).',
  references: [
    'https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html',
    'https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-bucket-encryption.html',
    'https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html',
    'https://attack.mitre.org/techniques/T1490/',
  ],
  mitre: ['TA0040:T1490', 'TA0005:T1562.008'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.s3'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['s3.amazonaws.com'], eventName: ['PutBucketVersioning', 'DeleteBucketEncryption', 'PutBucketLogging'] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && turnedOff(record) !== undefined,
  summarize: (record) => `Bucket ${bucketOf(record)}: ${turnedOff(record) ?? '?'} by ${actorOf(record).name}`,
  details: (record) => [
    { label: 'Bucket', value: bucketOf(record) },
    { label: 'Change', value: turnedOff(record) ?? '?' },
  ],
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), bucket: bucketOf(record), account: event.account }),
  dedupeMinutes: 60,
};

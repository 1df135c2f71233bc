import { actorOf, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * Turning off EBS encryption by default makes every new volume and snapshot copy in the region
 * unencrypted, so a later snapshot share needs no KMS grant. A region-wide guardrail is rarely
 * switched off on purpose. Medium: nothing is exposed yet, but a control is gone.
 */
export const ebsEncryptionByDefaultDisabled: Rule = {
  id: 'ebs-encryption-by-default-disabled',
  title: 'EBS encryption by default disabled',
  severity: 'medium',
  status: 'live',
  description: 'DisableEbsEncryptionByDefault turned off default encryption of new EBS volumes in a region.',
  runbook:
    'Re-enable it (EnableEbsEncryptionByDefault) in the region, ask the actor why it was disabled, and list ' +
    'volumes and snapshots created unencrypted since (and any snapshot shares).',
  references: [
    'https://docs.aws.amazon.com/ebs/latest/userguide/encryption-by-default.html',
    'https://attack.mitre.org/techniques/T1562/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_ec2_ebs_encryption_disabled.py',
  ],
  mitre: ['TA0005:T1562', 'TA0040:T1565'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.ec2'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['ec2.amazonaws.com'], eventName: ['DisableEbsEncryptionByDefault'] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record),
  summarize: (record) => `EBS encryption by default disabled in ${record.awsRegion ?? '?'} by ${actorOf(record).name}`,
  dedupeMinutes: 60,
};

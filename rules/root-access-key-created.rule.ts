import { actorOf, succeeded, targetUserOf } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * Root created an access key for itself: a permanent, unrestrictable credential. CIS 1.4 says root
 * should have none. Only root can create root's keys, and it does so by leaving out `userName`.
 */
export const rootAccessKeyCreated: Rule = {
  id: 'root-access-key-created',
  title: 'Access key created for the root user',
  // critical: a root key is full, permanent control of the account that no IAM policy or SCP can limit.
  severity: 'critical',
  status: 'live',
  description:
    "An access key was created for the account's root user. Nothing legitimate needs one: every task " +
    'that needs root is done in the console.',
  runbook:
    'Delete the key now (root console > Security credentials), reset the root password, check the root ' +
    'MFA device, and review everything root and the new key did (`root-account-activity`).',
  references: [
    'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user_manage_add-key.html',
    'https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-4',
  ],
  mitre: ['TA0003:T1098.001'],
  requires: { eventCategory: 'management', usEast1Only: true },
  pattern: {
    source: ['aws.iam'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['iam.amazonaws.com'], eventName: ['CreateAccessKey'], userIdentity: { type: ['Root'] } },
  },
  readOnlyEvents: false,
  // Root naming an IAM user creates that user's key (iam-access-key-for-other-user), not its own.
  match: (record) => succeeded(record) && targetUserOf(record) === undefined,
  summarize: (record) => `Root created an access key for itself from ${actorOf(record).sourceIp ?? 'unknown IP'}`,
  groupBy: (_record, event) => ({ account: event.account }),
  dedupeMinutes: 60,
};

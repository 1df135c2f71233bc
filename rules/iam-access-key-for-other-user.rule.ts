import { actorOf, actsOnAnotherUser, byAwsService, principalName, succeeded, targetUserOf } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * Someone created an access key for a user other than themselves: the classic backdoor (a long-lived
 * key on an existing, trusted-looking user survives the attacker's own credentials being revoked).
 * Users rotating their own keys (no userName, or their own) are left out.
 */
export const iamAccessKeyForOtherUser: Rule = {
  id: 'iam-access-key-for-other-user',
  title: 'Access key created for another IAM user',
  // medium: common for administrators provisioning service users, and exactly the persistence step
  // Stratus Red Team's iam-backdoor-user performs: worth a person's look each time.
  severity: 'medium',
  status: 'live',
  description:
    'A principal created an access key for an IAM user other than itself (an administrator, a role, ' +
    'or root acting on a named user). Keys a user creates for itself are not reported.',
  runbook:
    'Ask the actor why the key was created and who holds it. If unplanned: deactivate the new key ' +
    '(UpdateAccessKey Inactive), then revoke the actor\'s credentials and review what else it changed. ' +
    'Prefer roles to long-lived keys for the user that needed it.',
  references: [
    'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccessKey.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.persistence.iam-backdoor-user/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_iam_backdoor_user_keys.py',
    'https://github.com/SigmaHQ/sigma/blob/master/rules/cloud/aws/cloudtrail/aws_iam_backdoor_users_keys.yml',
  ],
  mitre: ['TA0003:T1098.001'],
  requires: { eventCategory: 'management', usEast1Only: true },
  pattern: {
    source: ['aws.iam'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['iam.amazonaws.com'], eventName: ['CreateAccessKey'], requestParameters: { userName: [{ exists: true }] } },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && !byAwsService(record) && actsOnAnotherUser(record),
  summarize: (record) => `${actorOf(record).name} created an access key for IAM user ${targetUserOf(record) ?? '?'}`,
  details: (record) => [{ label: 'Key for user', value: targetUserOf(record) ?? '?' }],
  // Per actor: an attacker seeding keys on five users is one incident.
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), account: event.account }),
  dedupeMinutes: 60,
};

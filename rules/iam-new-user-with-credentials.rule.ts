import { actorOf, actsOnAnotherUser, byAwsService, succeeded, targetUserOf } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

const CREDENTIALS = ['CreateAccessKey', 'CreateLoginProfile'] as const;

/**
 * The "backdoor user" shape: an IAM user is created and, within the hour, given an access key or a
 * console password by someone else. Expressed with the burst machinery: every CreateUser and every
 * credential created for another user counts into one incident per account and target user name, and
 * two in 60 minutes fire.
 *
 * Limits, because a threshold counts matches and cannot require that they differ:
 * - two credentials for an existing user within the hour (a key and a password, two keys) fire too.
 *   That is rare, and creating credentials for someone else twice in an hour deserves a look anyway.
 * - a user created, then given credentials more than an hour later, does not fire here (the other
 *   user's credential alerts, `iam-access-key-for-other-user` and `iam-login-profile-for-other-user`,
 *   still do).
 * - the name is the key: deleting and re-creating a user of the same name joins the same incident.
 */
export const iamNewUserWithCredentials: Rule = {
  id: 'iam-new-user-with-credentials',
  title: 'New IAM user given credentials within the hour',
  // medium: the shape of an attacker's persistence user, and also of onboarding a person through the
  // console (CreateUser + CreateLoginProfile). The single-event credential rules carry the detail.
  severity: 'medium',
  status: 'live',
  description:
    'An IAM user was created and got an access key or a console password (created by another principal) ' +
    'within 60 minutes: two or more such calls for the same user name in one account.',
  runbook:
    'Find who asked for the user (ticket, infrastructure as code). If nobody: deactivate its access keys, ' +
    'delete its login profile, detach its policies, then investigate the creator\'s credentials: the ' +
    'creator had IAM write access it may use again.',
  references: [
    'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.persistence.iam-create-admin-user/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_iam_create_user.py',
    'https://github.com/SigmaHQ/sigma/blob/master/rules/cloud/aws/cloudtrail/aws_iam_s3browser_user_or_accesskey_creation.yml',
  ],
  mitre: ['TA0003:T1136.003', 'TA0003:T1098.001'],
  requires: { eventCategory: 'management', usEast1Only: true },
  pattern: {
    source: ['aws.iam'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['iam.amazonaws.com'], eventName: ['CreateUser', ...CREDENTIALS] },
  },
  readOnlyEvents: false,
  match: (record) => {
    if (!succeeded(record) || byAwsService(record) || targetUserOf(record) === undefined) return false;
    return record.eventName === 'CreateUser' || actsOnAnotherUser(record);
  },
  summarize: (record) => `IAM user ${targetUserOf(record) ?? '?'} was created and given credentials by ${actorOf(record).name}`,
  details: (record) => [{ label: 'New user', value: targetUserOf(record) ?? '?' }],
  // The same incident is one new user: its creation and its credentials, whoever made each call.
  // Names are unique case-insensitively in IAM.
  groupBy: (record, event) => ({ user: (targetUserOf(record) ?? '?').toLowerCase(), account: event.account }),
  threshold: { count: 2, windowMinutes: 60 },
  dedupeMinutes: 60,
};

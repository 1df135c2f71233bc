import { actorOf, actsOnAnotherUser, byAwsService, principalName, succeeded, targetUserOf } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES, type CloudTrailRecord } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

const resetRequired = (record: CloudTrailRecord): boolean => {
  const params = record.requestParameters;
  return !!params && typeof params === 'object' && !Array.isArray(params) && params['passwordResetRequired'] === true;
};

/**
 * Someone set a console password on another IAM user: CreateLoginProfile gives a key-only user a
 * console door, UpdateLoginProfile takes over an existing one (privilege escalation: become a more
 * privileged user by choosing its password).
 *
 * Unlike some peers, a forced reset (`passwordResetRequired: true`) is not left out: whoever knows the
 * temporary password simply chooses the next one at first sign-in. It is shown in the alert instead.
 */
export const iamLoginProfileForOtherUser: Rule = {
  id: 'iam-login-profile-for-other-user',
  title: 'Console password set for another IAM user',
  // medium: also how administrators onboard users and reset forgotten passwords; but taking over a
  // user by setting its password is a one-call privilege escalation, so every case needs a look.
  severity: 'medium',
  status: 'live',
  description:
    'A principal created or changed the console password (login profile) of an IAM user other than ' +
    'itself. Users changing their own password (ChangePassword, or their own login profile) are not reported.',
  runbook:
    'Ask the target user and the actor whether this was a requested reset or onboarding. If not: delete ' +
    'or reset the login profile, revoke the target user\'s console sessions, revoke the actor\'s ' +
    'credentials, and review what the target user did since.',
  references: [
    'https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateLoginProfile.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.persistence.iam-create-user-login-profile/',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.privilege-escalation.iam-update-user-login-profile/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_cloudtrail_loginprofilecreatedormodified.py',
  ],
  mitre: ['TA0003:T1098', 'TA0004:T1098'],
  requires: { eventCategory: 'management', usEast1Only: true },
  pattern: {
    source: ['aws.iam'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: {
      eventSource: ['iam.amazonaws.com'],
      eventName: ['CreateLoginProfile', 'UpdateLoginProfile'],
      requestParameters: { userName: [{ exists: true }] },
    },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && !byAwsService(record) && actsOnAnotherUser(record),
  summarize: (record) =>
    `${actorOf(record).name} ${record.eventName === 'CreateLoginProfile' ? 'created' : 'changed'} the console password of IAM user ` +
    `${targetUserOf(record) ?? '?'}${resetRequired(record) ? ' (reset required at next sign-in)' : ''}`,
  details: (record) => [
    { label: 'Target user', value: targetUserOf(record) ?? '?' },
    { label: 'Reset required', value: resetRequired(record) ? 'yes' : 'no' },
  ],
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), account: event.account }),
  dedupeMinutes: 60,
};

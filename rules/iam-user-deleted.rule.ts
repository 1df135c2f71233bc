import { requestParam, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import { actorOf } from '../lib/cloudtrail/identity.js';
import type { Rule } from '../lib/detection/rule.js';

export const iamUserDeleted: Rule = {
  id: 'iam-user-deleted',
  title: 'IAM user deleted',
  severity: 'medium',
  status: 'live',
  description:
    'An IAM user was deleted. Deleting users destroys evidence (their keys and activity) and can lock out ' +
    'break-glass access; attackers also delete the users they created once they have a foothold.',
  runbook:
    'Confirm with the actor that the deletion was planned (offboarding ticket). If not: disable the ' +
    "actor's access keys and sessions, review what else the actor did in CloudTrail in the last 24 h, " +
    'and restore the user from infrastructure as code if it was needed.',
  references: ['https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteUser.html'],
  mitre: ['TA0040:T1531', 'TA0005:T1070'],
  requires: { eventCategory: 'management', usEast1Only: true },
  // IAM is global: these events are delivered in us-east-1 only (see README, "Regions").
  pattern: {
    source: ['aws.iam'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['iam.amazonaws.com'], eventName: ['DeleteUser'] },
  },
  readOnlyEvents: false,
  // A refused DeleteUser deleted nothing; errorCode may also be "" on success, which a pattern cannot say.
  match: (record) => succeeded(record),
  summarize: (record) =>
    `IAM user ${requestParam(record, 'userName') ?? '(unknown)'} deleted by ${actorOf(record).name}`,
  details: (record) => [{ label: 'Deleted user', value: requestParam(record, 'userName') ?? '(not in request)' }],
  dedupeMinutes: 60,
};

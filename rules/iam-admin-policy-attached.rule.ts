import { actorOf, byAwsService, principalName, requestParam, requestValue, succeeded } from '../lib/cloudtrail/identity.js';
import { grantsFullAccess, parsePolicy } from '../lib/cloudtrail/policy.js';
import { DETAIL_TYPES, type CloudTrailRecord } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

const ATTACH = ['AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy'] as const;
const PUT = ['PutUserPolicy', 'PutRolePolicy', 'PutGroupPolicy'] as const;

/** AWS's AdministratorAccess in any partition (arn:aws:, arn:aws-cn:, arn:aws-us-gov:). */
const ADMIN_POLICY = /^arn:aws[a-z-]*:iam::aws:policy\/AdministratorAccess$/;

/** The user, role or group the policy was given to, as "role stratus-x". */
function targetOf(record: CloudTrailRecord): string {
  const user = requestParam(record, 'userName');
  if (user) return `user ${user}`;
  const role = requestParam(record, 'roleName');
  if (role) return `role ${role}`;
  const group = requestParam(record, 'groupName');
  return group ? `group ${group}` : '(unknown principal)';
}

function isAdminGrant(record: CloudTrailRecord): boolean {
  if (record.eventName?.startsWith('Attach')) return ADMIN_POLICY.test(requestParam(record, 'policyArn') ?? '');
  const statements = parsePolicy(requestValue(record, 'policyDocument'));
  return statements !== undefined && grantsFullAccess(statements);
}

export const iamAdminPolicyAttached: Rule = {
  id: 'iam-admin-policy-attached',
  title: 'Administrator access given to a user, role or group',
  // high: full control of the account in one call; the usual second step after creating a backdoor
  // user or role. Done on purpose rarely enough that each one should reach a person quickly.
  severity: 'high',
  status: 'live',
  description:
    'The AWS managed policy AdministratorAccess was attached to an IAM user, role or group, or an inline ' +
    'policy allowing every action (`*`, or Allow with NotAction) on every resource was put on one.',
  runbook:
    'Ask the actor why the principal needs full access. If unplanned: detach the policy (or delete the ' +
    'inline policy), revoke the target\'s sessions and keys, revoke the actor\'s credentials, and review ' +
    'what the target did with the access.',
  references: [
    'https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.persistence.iam-create-admin-user/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_iam_attach_admin_user_policy.py',
    'https://github.com/SigmaHQ/sigma/blob/master/rules/cloud/aws/cloudtrail/aws_iam_privileged_inline_policy_creation.yml',
  ],
  mitre: ['TA0003:T1098.003', 'TA0004:T1098.003'],
  requires: { eventCategory: 'management', usEast1Only: true },
  pattern: {
    source: ['aws.iam'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['iam.amazonaws.com'], eventName: [...ATTACH, ...PUT] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && !byAwsService(record) && isAdminGrant(record),
  summarize: (record) => {
    const how = record.eventName?.startsWith('Attach') ? 'attached AdministratorAccess to' : 'gave full access (* on *) inline to';
    return `${actorOf(record).name} ${how} ${targetOf(record)}`;
  },
  details: (record) => [
    { label: 'Given to', value: targetOf(record) },
    { label: 'Policy', value: requestParam(record, 'policyArn') ?? requestParam(record, 'policyName') ?? '(inline)' },
  ],
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), account: event.account }),
  dedupeMinutes: 60,
};

import { actorOf, byAwsService, principalName, requestParam, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES, type CloudTrailRecord } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/** The calls CIS AWS Foundations 4.4 names: inline and managed policies, versions, attachments. */
const POLICY_CALLS = [
  'PutUserPolicy', 'PutRolePolicy', 'PutGroupPolicy',
  'DeleteUserPolicy', 'DeleteRolePolicy', 'DeleteGroupPolicy',
  'CreatePolicy', 'DeletePolicy', 'CreatePolicyVersion', 'DeletePolicyVersion', 'SetDefaultPolicyVersion',
  'AttachUserPolicy', 'DetachUserPolicy', 'AttachRolePolicy', 'DetachRolePolicy', 'AttachGroupPolicy', 'DetachGroupPolicy',
] as const;

function subjectOf(record: CloudTrailRecord): string {
  return (
    requestParam(record, 'policyArn') ??
    requestParam(record, 'policyName') ??
    requestParam(record, 'userName') ??
    requestParam(record, 'roleName') ??
    requestParam(record, 'groupName') ??
    '?'
  );
}

/**
 * CIS 4.4, change monitoring: low and grouped per principal and hour, so a CloudFormation or Terraform
 * deploy that rewrites twenty policies is one alert with a count. The dangerous shapes have their own
 * louder rules (`iam-admin-policy-attached`).
 */
export const iamPolicyChange: Rule = {
  id: 'iam-policy-change',
  title: 'IAM policy changed',
  // low: everyday infrastructure work; its value is the audit trail and the count, not a page.
  severity: 'low',
  status: 'live',
  description:
    'An IAM policy was created, deleted, versioned or attached to / detached from a user, role or group, ' +
    'or an inline policy was put or deleted. Grouped per principal per hour.',
  runbook:
    'Check the change against the deploy or ticket that explains it (the follow-up says how many calls). ' +
    'If nobody claims it, review the policy documents changed and the principals they apply to.',
  references: [
    'https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-4',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_iam_policy_modified.py',
  ],
  mitre: ['TA0003:T1098', 'TA0004:T1484'],
  cis: ['4.4'],
  requires: { eventCategory: 'management', usEast1Only: true },
  pattern: {
    source: ['aws.iam'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['iam.amazonaws.com'], eventName: [...POLICY_CALLS] },
  },
  readOnlyEvents: false,
  // Refused calls changed nothing; service-linked role maintenance by AWS itself is not a person's change.
  match: (record) => succeeded(record) && !byAwsService(record),
  summarize: (record) => `${actorOf(record).name} called ${record.eventName ?? '?'} on ${subjectOf(record)}`,
  details: (record) => [{ label: 'Policy or principal', value: subjectOf(record) }],
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), account: event.account }),
  dedupeMinutes: 60,
};

import { actorOf, byAwsService, principalName, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * The write calls CIS AWS Foundations 4.15 names for AWS Organizations. LeaveOrganization and
 * RemoveAccountFromOrganization are also here for completeness of the control, and alert loudly (and
 * refused attempts too) through `organizations-leave`.
 */
const ORG_CALLS = [
  'AcceptHandshake', 'DeclineHandshake', 'InviteAccountToOrganization', 'CreateAccount',
  'CreateOrganizationalUnit', 'UpdateOrganizationalUnit', 'DeleteOrganizationalUnit', 'MoveAccount',
  'CreatePolicy', 'UpdatePolicy', 'DeletePolicy', 'AttachPolicy', 'DetachPolicy',
  'EnablePolicyType', 'DisablePolicyType', 'DeleteOrganization', 'LeaveOrganization', 'RemoveAccountFromOrganization',
] as const;

export const organizationsChange: Rule = {
  id: 'organizations-change',
  title: 'AWS Organizations configuration changed',
  // low: change monitoring of the organisation (accounts, OUs, SCPs), grouped per principal per hour.
  severity: 'low',
  status: 'live',
  description:
    'An AWS Organizations write call succeeded: accounts invited, created, moved or removed, OUs or ' +
    'policies (SCPs, tag and backup policies) created, changed, attached or detached. Grouped per principal per hour.',
  runbook:
    'Check the change against the platform team\'s plan. A detached or deleted SCP, or a disabled policy ' +
    'type, removes guardrails from every account below it: review those first.',
  references: [
    'https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-15',
    'https://github.com/SigmaHQ/sigma/blob/master/rules/cloud/aws/cloudtrail/aws_organizations_management_account_write_action.yml',
  ],
  mitre: ['TA0005:T1666', 'TA0004:T1484'],
  cis: ['4.15'],
  requires: { eventCategory: 'management', usEast1Only: true },
  pattern: {
    source: ['aws.organizations'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['organizations.amazonaws.com'], eventName: [...ORG_CALLS] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && !byAwsService(record),
  summarize: (record) => `${actorOf(record).name} called Organizations ${record.eventName ?? '?'}`,
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), account: event.account }),
  dedupeMinutes: 60,
};

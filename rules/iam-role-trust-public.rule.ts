import { actorOf, byAwsService, principalName, requestParam, succeeded } from '../lib/cloudtrail/identity.js';
import { roleTrustOpening } from '../lib/cloudtrail/policy.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * A role whose trust policy allows `*` without a condition can be assumed by any AWS principal of any
 * account in the world: a backdoor that needs no credentials from this account at all. A `*` narrowed
 * by a condition (aws:PrincipalOrgID, sts:ExternalId) goes to `iam-role-trust-external-account`.
 */
export const iamRoleTrustPublic: Rule = {
  id: 'iam-role-trust-public',
  title: 'IAM role made assumable by anyone',
  // high: anyone with any AWS account can take the role's permissions, from anywhere, for as long as
  // the policy stays; there is no everyday reason to write it.
  severity: 'high',
  status: 'live',
  description:
    'A role was created, or its trust policy changed, so that the principal `*` (any AWS identity in any ' +
    'account) may assume it with no condition.',
  runbook:
    'Restore the trust policy to the intended principals (UpdateAssumeRolePolicy), then look for ' +
    'AssumeRole calls on the role from outside the account since the change (CloudTrail in this account ' +
    'logs them), and revoke the actor\'s credentials if the change was not planned.',
  references: [
    'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.persistence.iam-backdoor-role/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_iam_backdoor_role.py',
    'https://github.com/SigmaHQ/sigma/blob/master/rules/cloud/aws/cloudtrail/aws_iam_assume_role_policy_updated.yml',
  ],
  mitre: ['TA0003:T1098.003', 'TA0003:T1078.004'],
  requires: { eventCategory: 'management', usEast1Only: true },
  pattern: {
    source: ['aws.iam'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['iam.amazonaws.com'], eventName: ['CreateRole', 'UpdateAssumeRolePolicy'] },
  },
  readOnlyEvents: false,
  match: (record, event) => succeeded(record) && !byAwsService(record) && roleTrustOpening(record, event.account)?.public === true,
  summarize: (record) => `${actorOf(record).name} made role ${requestParam(record, 'roleName') ?? '?'} assumable by any AWS principal (*)`,
  details: (record) => [{ label: 'Role', value: requestParam(record, 'roleName') ?? '?' }],
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), account: event.account }),
  dedupeMinutes: 60,
};

import { actorOf, byAwsService, principalName, requestParam, succeeded } from '../lib/cloudtrail/identity.js';
import { roleTrustOpening, type TrustOpening } from '../lib/cloudtrail/policy.js';
import { DETAIL_TYPES, type CloudTrailRecord, type TrailEvent } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/** The opening this rule reports: other accounts, or `*` narrowed by a condition; not a plain `*`. */
function opening(record: CloudTrailRecord, event: TrailEvent): TrustOpening | undefined {
  const trust = roleTrustOpening(record, event.account);
  if (!trust || trust.public) return undefined;
  return trust.externalAccounts.length > 0 || trust.conditionalPublic ? trust : undefined;
}

function describe(trust: TrustOpening | undefined): string {
  if (!trust) return '?';
  const parts = trust.externalAccounts.slice(0, 5);
  if (trust.externalAccounts.length > 5) parts.push(`${trust.externalAccounts.length - 5} more`);
  if (trust.conditionalPublic) parts.push('any principal (*) under a condition');
  return parts.join(', ');
}

/**
 * A role trust policy naming an AWS account other than the role's own (Stratus Red Team's
 * iam-create-backdoor-role and iam-backdoor-role trust an outside account's root). Cross-account roles
 * are also how multi-account organisations, CI accounts and vendors (monitoring, backup) work: allowlist
 * your own organisation's accounts per deployment rather than ignoring the rule.
 */
export const iamRoleTrustExternalAccount: Rule = {
  id: 'iam-role-trust-external-account',
  title: 'IAM role trust opened to another AWS account',
  // medium: a persistence door from outside the account, but also everyday multi-account plumbing.
  // A trust to everyone (`*`) is iam-role-trust-public (high).
  severity: 'medium',
  status: 'live',
  description:
    'A role was created, or its trust policy changed, so that principals of another AWS account (or any ' +
    'principal, narrowed by a condition) may assume it.',
  runbook:
    'Check the trusted account ids against your organisation and known vendors. If unknown: restore the ' +
    'trust policy (UpdateAssumeRolePolicy), look for AssumeRole calls on the role from that account since ' +
    'the change, and revoke the actor\'s credentials if the change was not planned.',
  references: [
    'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_aws-accounts.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.persistence.iam-create-backdoor-role/',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.persistence.iam-backdoor-role/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_iam_backdoor_role.py',
  ],
  mitre: ['TA0003:T1098.003', 'TA0003:T1078.004'],
  requires: { eventCategory: 'management', usEast1Only: true },
  pattern: {
    source: ['aws.iam'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['iam.amazonaws.com'], eventName: ['CreateRole', 'UpdateAssumeRolePolicy'] },
  },
  readOnlyEvents: false,
  match: (record, event) => succeeded(record) && !byAwsService(record) && opening(record, event) !== undefined,
  summarize: (record, event) =>
    `${actorOf(record).name} let ${describe(opening(record, event))} assume role ${requestParam(record, 'roleName') ?? '?'}`,
  details: (record, event) => [
    { label: 'Role', value: requestParam(record, 'roleName') ?? '?' },
    { label: 'Trusted', value: describe(opening(record, event)) },
  ],
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), account: event.account }),
  dedupeMinutes: 60,
};

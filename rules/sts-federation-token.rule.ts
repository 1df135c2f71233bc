import { actorOf, byAwsService, principalName, requestParam, succeeded } from '../lib/cloudtrail/identity.js';
import { grantsFullAccess, parsePolicy } from '../lib/cloudtrail/policy.js';
import { DETAIL_TYPES, type CloudTrailRecord } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

const fullSessionPolicy = (record: CloudTrailRecord): boolean => {
  const statements = parsePolicy(requestParam(record, 'policy'));
  return statements !== undefined && grantsFullAccess(statements);
};

/**
 * GetFederationToken turns an IAM user's key into federated-user sessions that live up to 36 hours
 * and keep working after the key is deactivated or deleted (only a deny policy on the user, or
 * deleting the user, stops them). Attackers use it to outlast the usual response "disable the key".
 * Few modern setups call it (custom identity brokers did); roles and Identity Center replaced it.
 */
export const stsFederationToken: Rule = {
  id: 'sts-federation-token',
  title: 'Federation token obtained by an IAM user',
  // medium: persistence that survives key revocation, but some old identity brokers still use it.
  severity: 'medium',
  status: 'live',
  description:
    'An IAM user called sts:GetFederationToken and received federated-user credentials. The session ' +
    'survives the deactivation or deletion of the access key that created it.',
  runbook:
    'Ask whether the user runs an identity broker that needs federation tokens. If not: attach a deny-all ' +
    'inline policy to the user (it also cuts the federated sessions, which deactivating the key does not), ' +
    'then rotate its keys and review what `federated-user/<name>` sessions did.',
  references: [
    'https://docs.aws.amazon.com/STS/latest/APIReference/API_GetFederationToken.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.persistence.sts-federation-token/',
    'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_disable-perms.html',
    'https://github.com/elastic/detection-rules/blob/main/rules/integrations/aws/credential_access_sts_get_federation_token_by_iam_user.toml',
  ],
  mitre: ['TA0003:T1078.004', 'TA0005:T1550.001'],
  // Calls to the global endpoint (sts.amazonaws.com) are delivered in us-east-1; calls to a regional
  // endpoint (the recording's sts.<region>.amazonaws.com), the SDKs' default now, in that region.
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.sts'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['sts.amazonaws.com'], eventName: ['GetFederationToken'] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && !byAwsService(record),
  summarize: (record) =>
    `${actorOf(record).name} obtained a federation token for ${requestParam(record, 'name') ?? '?'}` +
    (fullSessionPolicy(record) ? ' with a session policy allowing everything' : ''),
  details: (record) => [{ label: 'Federated user name', value: requestParam(record, 'name') ?? '?' }],
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), account: event.account }),
  dedupeMinutes: 60,
};

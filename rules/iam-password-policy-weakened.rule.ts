import { actorOf, byAwsService, principalName, requestValue, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES, type CloudTrailRecord } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

// CIS AWS Foundations 1.8 and 1.9: at least 14 characters, no reuse of the last 24 passwords.
const MIN_LENGTH = 14;
const MIN_REUSE_PREVENTION = 24;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * What is weak in the policy the call sets. UpdateAccountPasswordPolicy replaces the whole policy (a
 * parameter left out takes IAM's default: 8 characters, no reuse prevention), so the request is the
 * resulting policy and can be judged alone, without knowing the previous one.
 */
function passwordPolicyWeaknesses(record: CloudTrailRecord): string[] {
  if (record.eventName === 'DeleteAccountPasswordPolicy') return ['password policy deleted (IAM defaults apply)'];
  const weak: string[] = [];
  const length = num(requestValue(record, 'minimumPasswordLength'));
  if (length === undefined || length < MIN_LENGTH) weak.push(`minimum length ${length ?? 'default (8)'}`);
  const reuse = num(requestValue(record, 'passwordReusePrevention'));
  if (reuse === undefined || reuse < MIN_REUSE_PREVENTION) weak.push(`reuse prevention ${reuse ?? 'off'}`);
  return weak;
}

export const iamPasswordPolicyWeakened: Rule = {
  id: 'iam-password-policy-weakened',
  title: 'Account password policy weakened or deleted',
  // medium: makes every IAM user's password easier to guess from now on; rarely changed on purpose.
  severity: 'medium',
  status: 'live',
  description:
    'The account password policy was deleted, or set below CIS AWS Foundations 1.8/1.9 (at least 14 ' +
    'characters, last 24 passwords not reused).',
  runbook:
    'Ask the actor why the policy changed; restore it (UpdateAccountPasswordPolicy) if nobody planned ' +
    'it, and check for console sign-ins and login profile changes that followed.',
  references: [
    'https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccountPasswordPolicy.html',
    'https://github.com/elastic/detection-rules/blob/main/rules/integrations/aws/defense_evasion_iam_account_password_policy_deleted.toml',
  ],
  mitre: ['TA0005:T1556', 'TA0003:T1556'],
  requires: { eventCategory: 'management', usEast1Only: true },
  pattern: {
    source: ['aws.iam'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['iam.amazonaws.com'], eventName: ['UpdateAccountPasswordPolicy', 'DeleteAccountPasswordPolicy'] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && !byAwsService(record) && passwordPolicyWeaknesses(record).length > 0,
  summarize: (record) => `${actorOf(record).name} weakened the account password policy: ${passwordPolicyWeaknesses(record).join(', ')}`,
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), account: event.account }),
  dedupeMinutes: 60,
};

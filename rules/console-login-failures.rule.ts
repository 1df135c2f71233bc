import { actorOf, principalName } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * CIS 4.6 as a burst per source IP: one mistyped password is noise, five failures from one address
 * within ten minutes is guessing (one user) or spraying (many users, often the masked
 * `HIDDEN_DUE_TO_SECURITY_REASONS` name for users that do not exist). Grouping by IP rather than by
 * user is a choice: it catches spraying, which a per-user count misses; a slow guess against one user
 * from many addresses is missed instead (CloudTrail shows no lockout either way).
 *
 * A failure carries no errorCode: the outcome is `responseElements.ConsoleLogin: "Failure"`.
 */
export const consoleLoginFailures: Rule = {
  id: 'console-login-failures',
  title: 'Burst of failed console sign-ins from one IP',
  // medium: an attack on passwords in progress but not yet a success; the successful sign-in that may
  // follow has its own rules.
  severity: 'medium',
  status: 'live',
  description:
    'Five or more AWS console sign-ins failed from one source IP within 10 minutes (IAM users and root; ' +
    'names of users that do not exist are masked by AWS).',
  runbook:
    'Look at which user names were tried (the follow-up counts them) and whether any later sign-in from ' +
    'the same IP succeeded. Make sure the targeted users have MFA; block the IP at your edge if it keeps on.',
  references: [
    'https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-6',
    'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html',
    'https://github.com/elastic/detection-rules/blob/main/rules/integrations/aws/credential_access_console_login_brute_force_by_ip.toml',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_console_login_failed.py',
  ],
  mitre: ['TA0006:T1110.001', 'TA0006:T1110.003'],
  cis: ['4.6'],
  requires: { eventCategory: 'management', usEast1Only: true },
  pattern: {
    source: ['aws.signin'],
    'detail-type': [DETAIL_TYPES.consoleSignIn, DETAIL_TYPES.consoleSignInDocs],
    detail: { eventName: ['ConsoleLogin'], responseElements: { ConsoleLogin: ['Failure'] } },
  },
  readOnlyEvents: false,
  summarize: (record) =>
    `Console sign-in failed for ${principalName(record.userIdentity)} from ${actorOf(record).sourceIp ?? 'unknown IP'} (one of a burst)`,
  details: (record) => [{ label: 'Reason', value: typeof record.errorMessage === 'string' ? record.errorMessage : '(not logged)' }],
  groupBy: (record, event) => ({ sourceIp: actorOf(record).sourceIp ?? 'unknown', account: event.account }),
  threshold: { count: 5, windowMinutes: 10 },
  dedupeMinutes: 60,
};

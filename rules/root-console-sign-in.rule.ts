import { actorOf, consoleLoginOutcome, signInData } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * A successful root console sign-in, on its own: it is the moment somebody holds the account's
 * unrestricted credentials, and it is rare enough (billing, account closure, a few support tasks) that
 * every one deserves a person. `root-account-activity` leaves successful sign-ins to this rule, so one
 * root session gives this alert, then one grouped alert for what root did, not two for the sign-in.
 */
export const rootConsoleSignIn: Rule = {
  id: 'root-console-sign-in',
  title: 'Root user signed in to the console',
  // critical: root cannot be limited by IAM or SCPs on its own account, and a sign-in is the start of
  // an account takeover when nobody planned it.
  severity: 'critical',
  status: 'live',
  description:
    "The account's root user signed in to the AWS console successfully. Failed root sign-ins are " +
    'reported by `root-account-activity`; what root does after signing in is reported there too, ' +
    'grouped per hour.',
  runbook:
    'Reach whoever holds the root credentials now and ask whether they signed in, from this IP, for a task ' +
    'that needs root. If nobody did: reset the root password, check the root MFA device and root access ' +
    'keys, and review everything root did since the sign-in (`root-account-activity` alerts).',
  references: [
    'https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-tasks.html',
    'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_console_root_login.py',
    'https://github.com/SigmaHQ/sigma/blob/master/rules/cloud/aws/cloudtrail/aws_root_account_usage.yml',
  ],
  mitre: ['TA0001:T1078.004', 'TA0004:T1078.004'],
  cis: ['4.3'],
  requires: { eventCategory: 'management', usEast1Only: true },
  // Root console sign-in events are delivered in us-east-1 only.
  pattern: {
    source: ['aws.signin'],
    'detail-type': [DETAIL_TYPES.consoleSignIn, DETAIL_TYPES.consoleSignInDocs],
    detail: {
      eventName: ['ConsoleLogin'],
      userIdentity: { type: ['Root'] },
      responseElements: { ConsoleLogin: ['Success'] },
    },
  },
  readOnlyEvents: false,
  summarize: (record) => {
    const mfa = signInData(record, 'MFAUsed');
    const withMfa = mfa === undefined ? '' : mfa.toLowerCase() === 'yes' ? ' with MFA' : ' WITHOUT MFA';
    return `Root signed in to the console${withMfa} from ${actorOf(record).sourceIp ?? 'unknown IP'}`;
  },
  details: (record) => [
    { label: 'Outcome', value: consoleLoginOutcome(record) ?? '(not logged)' },
    { label: 'MFA used', value: signInData(record, 'MFAUsed') ?? '(not logged)' },
  ],
  // One root session may sign in again (timeouts, a second tab): one alert per account per hour.
  groupBy: (_record, event) => ({ account: event.account }),
  dedupeMinutes: 60,
};

import { actorOf, consoleLoginOutcome, errorCodeOf } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

export const rootAccountActivity: Rule = {
  id: 'root-account-activity',
  title: 'Root user activity',
  severity: 'high',
  status: 'live',
  description:
    "The account's root user called an API itself, or failed to sign in. Root cannot be restricted by IAM " +
    'and should be used only for the few tasks that need it. Calls a service makes on root\'s behalf ' +
    '(`invokedBy`) and service events are left out: nobody typed them. A successful root console sign-in ' +
    'is `root-console-sign-in` (critical), so it does not alert twice; what root does next alerts here.',
  runbook:
    'Ask who holds the root credentials and whether this was one of the tasks that require root. If ' +
    'nobody claims it: change the root password, rotate or remove root access keys, check the MFA ' +
    'device, and review everything root did since the sign-in.',
  references: [
    'https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-tasks.html',
    'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html',
  ],
  mitre: ['TA0004:T1078.004'],
  cis: ['4.3'],
  // Root console sign-in is delivered in us-east-1 only; root API calls in the region they were made in.
  requires: { eventCategory: 'management', usEast1Only: false },
  // Root console sign-in is delivered only in us-east-1; API calls in the region they were made.
  pattern: {
    // Any service, but only AWS's own events: EventBridge refuses custom events whose source starts
    // with "aws.", so a forged root sign-in (events:PutEvents) never reaches this rule.
    source: [{ prefix: 'aws.' }],
    'detail-type': [DETAIL_TYPES.apiCall, DETAIL_TYPES.consoleSignIn, DETAIL_TYPES.consoleSignInDocs, DETAIL_TYPES.consoleAction],
    detail: {
      // Service events (detail-type AWS Service Event) are not listed above: nobody typed them.
      userIdentity: { type: ['Root'], invokedBy: [{ exists: false }] },
    },
  },
  // Root reading things (ListBuckets, GetAccountSummary) is as telling as root writing them.
  readOnlyEvents: true,
  // A successful sign-in is root-console-sign-in's alert; repeating it here would page twice for one event.
  match: (record) => !(record.eventName === 'ConsoleLogin' && consoleLoginOutcome(record) === 'success'),
  summarize: (record) => {
    const error = errorCodeOf(record);
    const signIn = record.eventName === 'ConsoleLogin';
    const outcome = consoleLoginOutcome(record);
    if (signIn) return `Root console sign-in${outcome ? ` (${outcome})` : ''} from ${actorOf(record).sourceIp ?? 'unknown IP'}`;
    return `Root called ${record.eventSource ?? '?'} ${record.eventName ?? '?'}${error ? ` (refused: ${error})` : ''}`;
  },
  groupBy: (_record, event) => ({ account: event.account }),
  dedupeMinutes: 60,
};


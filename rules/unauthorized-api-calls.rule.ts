import { actorOf, byAwsService, errorCodeOf, isDenied, principalName } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * CIS 4.1 as a burst: one denied call is a missing permission, twenty in ten minutes by one principal
 * is someone mapping what stolen credentials may do (enumeration tools try every List/Describe).
 *
 * Console sessions are left out (`sessionCredentialFromConsole: "true"`, set by AWS, not the caller):
 * a read-only user opening one console page fires a dozen denied Describe calls the page makes on its
 * own, so browsing would reach the threshold in minutes. A stolen console password is caught at
 * sign-in (`console-login-without-mfa`, `console-login-failures`, `root-console-sign-in`).
 *
 * Most denied calls are reads (Describe*, List*, Get*): the EventBridge rule must see read-only events.
 *
 * Counted are distinct requests (API and parameters): a job retrying the one call it lacks permission
 * for makes the same request again and again, which counts once a UTC day; enumeration makes many
 * different ones (other APIs, other instances). The retries then cost no state (bench/RESULTS.md).
 */
export const unauthorizedApiCalls: Rule = {
  id: 'unauthorized-api-calls',
  title: 'Burst of unauthorized API calls by one principal',
  // medium: the typical first minutes of stolen credentials (discovery), also a misconfigured job
  // retrying a call it may not make; either needs a person, neither is damage yet.
  severity: 'medium',
  status: 'live',
  description:
    'One principal was refused 20 different API requests within 10 minutes (`*UnauthorizedOperation`, `AccessDenied*`), ' +
    'outside console sessions. Dry runs and AWS services acting on their own are left out; a request repeated the same UTC day counts once.',
  runbook:
    'Look at which calls were refused (the follow-up lists the count; hunt the principal\'s events) and ' +
    'where from. Enumeration across many services from an unknown IP means stolen credentials: deactivate ' +
    'the key or revoke the role sessions. The same call repeated from a known host is a job missing a permission.',
  references: [
    'https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-1',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_iam_user_recon_denied.py',
  ],
  mitre: ['TA0007:T1580', 'TA0007:T1526'],
  cis: ['4.1'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: [{ prefix: 'aws.' }],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { errorCode: [{ suffix: 'UnauthorizedOperation' }, { prefix: 'AccessDenied' }] },
  },
  // Denied Describe/List/Get calls are read-only management events: without this they never arrive.
  readOnlyEvents: true,
  match: (record) => isDenied(record) && !byAwsService(record) && record['sessionCredentialFromConsole'] !== 'true',
  summarize: (record) =>
    `${actorOf(record).name} was refused ${record.eventSource ?? '?'} ${record.eventName ?? '?'} (${errorCodeOf(record) ?? '?'}) among a burst of denied calls`,
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), account: event.account }),
  threshold: { count: 20, windowMinutes: 10 },
  distinct: {
    values: (record) => [`${String(record.eventSource ?? '')} ${String(record.eventName ?? '')} ${JSON.stringify(record.requestParameters ?? null)}`],
    periodMinutes: 24 * 60,
  },
  dedupeMinutes: 60,
};

import { actorOf, principalName, signInData } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * CIS 4.2. Only IAM users: Identity Center and SAML/OIDC federated sign-ins are AssumedRole (or
 * IdentityCenterUser) identities whose MFA happens at the identity provider, and CloudTrail writes
 * `MFAUsed: "No"` for them anyway. Root has its own critical rule.
 */
export const consoleLoginWithoutMfa: Rule = {
  id: 'console-login-without-mfa',
  title: 'IAM user signed in to the console without MFA',
  // medium: a password alone let someone in. It is how a leaked or sprayed password becomes a session,
  // but also how a user who never enrolled MFA signs in every day: worth a look, not a page.
  severity: 'medium',
  status: 'live',
  description:
    'An IAM user signed in to the AWS console successfully with a password and no MFA. Failed sign-ins, ' +
    'federated (SAML, Identity Center) sign-ins and root sign-ins are left to other rules.',
  runbook:
    'Ask the user whether they signed in from this IP and user agent. If yes, have them enroll an MFA device ' +
    'and enforce MFA with an IAM policy condition (aws:MultiFactorAuthPresent). If not: reset the password ' +
    "(UpdateLoginProfile with a reset), revoke the user's sessions and review what the session did.",
  references: [
    'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.initial-access.console-login-without-mfa/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_console_login_without_mfa.py',
    'https://github.com/SigmaHQ/sigma/blob/master/rules/cloud/aws/cloudtrail/aws_cloudtrail_console_login_success_without_mfa.yml',
  ],
  mitre: ['TA0001:T1078.004'],
  cis: ['4.2'],
  // IAM-user sign-in may be delivered in us-east-1, us-east-2, eu-north-1 or ap-southeast-2 (the sign-in
  // endpoint's region), not only us-east-1: a stack in one of those regions also sees some.
  requires: { eventCategory: 'management', usEast1Only: true },
  pattern: {
    source: ['aws.signin'],
    'detail-type': [DETAIL_TYPES.consoleSignIn, DETAIL_TYPES.consoleSignInDocs],
    detail: {
      eventName: ['ConsoleLogin'],
      userIdentity: { type: ['IAMUser'] },
      responseElements: { ConsoleLogin: ['Success'] },
    },
  },
  readOnlyEvents: false,
  // MFAUsed is "Yes", "YES" or "No"; a SAML sign-in that still names an IAM user carries SamlProviderArn.
  match: (record) =>
    signInData(record, 'MFAUsed')?.toLowerCase() !== 'yes' &&
    record.userIdentity?.sessionContext?.attributes?.mfaAuthenticated !== 'true' &&
    signInData(record, 'SamlProviderArn') === undefined,
  summarize: (record) => `${principalName(record.userIdentity)} signed in to the console without MFA from ${actorOf(record).sourceIp ?? 'unknown IP'}`,
  details: (record) => [{ label: 'MFA used', value: signInData(record, 'MFAUsed') ?? '(not logged)' }],
  // One user signing in several times a day is one finding: per user and account, once a day.
  dedupeMinutes: 24 * 60,
};

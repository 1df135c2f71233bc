import { actorOf, byAwsService, principalName, requestParam, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES, type CloudTrailRecord } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

const PROVIDER_CALLS = [
  'CreateSAMLProvider', 'UpdateSAMLProvider', 'DeleteSAMLProvider',
  'CreateOpenIDConnectProvider', 'DeleteOpenIDConnectProvider', 'UpdateOpenIDConnectProviderThumbprint',
  'AddClientIDToOpenIDConnectProvider', 'RemoveClientIDFromOpenIDConnectProvider',
] as const;

const providerOf = (record: CloudTrailRecord): string =>
  requestParam(record, 'name') ?? requestParam(record, 'url') ?? requestParam(record, 'sAMLProviderArn') ?? requestParam(record, 'openIDConnectProviderArn') ?? '?';

/**
 * A SAML or OIDC identity provider trusted by IAM decides who may assume the roles that trust it.
 * Adding one, or swapping its metadata (signing certificate) or thumbprint, lets whoever controls that
 * provider mint sessions without any IAM credential: the cloud version of a golden SAML.
 */
export const iamIdentityProviderChanged: Rule = {
  id: 'iam-identity-provider-changed',
  title: 'IAM SAML or OIDC identity provider changed',
  // medium: set up rarely (SSO, CI federation such as GitHub Actions), and a full persistence door when
  // an attacker does it; a delete breaks sign-in for everyone using it.
  severity: 'medium',
  status: 'live',
  description:
    'An IAM SAML provider or OpenID Connect provider was created, updated (metadata, thumbprint, client ids) ' +
    'or deleted.',
  runbook:
    'Check the provider and its metadata or URL against your identity team\'s setup. If unknown: delete ' +
    'the provider or restore its metadata, review which roles trust it, and look for AssumeRoleWithSAML / ' +
    'AssumeRoleWithWebIdentity calls through it since the change.',
  references: [
    'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers.html',
    'https://github.com/elastic/detection-rules/blob/main/rules/integrations/aws/defense_evasion_iam_saml_provider_updated.toml',
    'https://github.com/SigmaHQ/sigma/blob/master/rules/cloud/aws/cloudtrail/aws_delete_saml_provider.yml',
  ],
  mitre: ['TA0004:T1484.002', 'TA0005:T1484.002'],
  requires: { eventCategory: 'management', usEast1Only: true },
  pattern: {
    source: ['aws.iam'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['iam.amazonaws.com'], eventName: [...PROVIDER_CALLS] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && !byAwsService(record),
  summarize: (record) => `${actorOf(record).name} called ${record.eventName ?? '?'} on identity provider ${providerOf(record)}`,
  details: (record) => [{ label: 'Provider', value: providerOf(record) }],
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), account: event.account }),
  dedupeMinutes: 60,
};

import { actorOf, apiName, firstRequestParam, requestParam, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES, type CloudTrailRecord } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * A permission is public when its principal is everyone and nothing narrows it: `sourceArn` and
 * `sourceAccount` hold it to one AWS resource or account (the S3 or SNS trigger shape), and
 * `principalOrgID` to one organization. A function URL with auth type NONE is public by design.
 */
function madePublic(record: CloudTrailRecord): boolean {
  const api = apiName(record.eventName);
  if (api === 'AddPermission') {
    if (requestParam(record, 'principal') !== '*') return false;
    return firstRequestParam(record, ['sourceArn', 'sourceAccount', 'principalOrgID']) === undefined;
  }
  return (requestParam(record, 'authType') ?? '').toUpperCase() === 'NONE';
}

const functionOf = (record: CloudTrailRecord): string => firstRequestParam(record, ['functionName']) ?? '(see event)';

/**
 * High: a function anyone on the internet can invoke runs with its role's permissions, which makes it
 * a persistent backdoor into the account (Stratus `lambda-backdoor-function`) that survives revoked
 * keys and deleted users. Lambda logs versioned event names (`AddPermission20150331v2`,
 * `CreateFunctionUrlConfig20211031`): the pattern matches by prefix. Grouped per principal per hour.
 */
export const lambdaFunctionPublic: Rule = {
  id: 'lambda-function-public',
  title: 'Lambda function made publicly invokable',
  severity: 'high',
  status: 'live',
  description:
    'A Lambda function got a resource policy statement allowing any principal (`*`) to invoke it with no ' +
    'source account, ARN or organization condition, or a function URL with auth type NONE.',
  runbook:
    'Read the function policy (`aws lambda get-policy --function-name <name>`) and its role\'s permissions. ' +
    'Unless the function is meant to be public, remove the statement (`aws lambda remove-permission`) or ' +
    "the URL, check the function's code and invocations since the event time, and revoke the actor's credentials.",
  references: [
    'https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html',
    'https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html',
    'https://attack.mitre.org/techniques/T1546/',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.persistence.lambda-backdoor-function/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_backdoor_lambda_function.py',
    'https://github.com/SigmaHQ/sigma/blob/master/rules/cloud/aws/cloudtrail/aws_lambda_function_url.yml',
  ],
  mitre: ['TA0003:T1546'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.lambda'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: {
      eventSource: ['lambda.amazonaws.com'],
      eventName: [{ prefix: 'AddPermission20' }, { prefix: 'CreateFunctionUrlConfig' }, { prefix: 'UpdateFunctionUrlConfig' }],
    },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && madePublic(record),
  summarize: (record) =>
    apiName(record.eventName) === 'AddPermission'
      ? `Lambda function ${functionOf(record)} invokable by anyone (${requestParam(record, 'action') ?? 'invoke'}) after a change by ${actorOf(record).name}`
      : `Lambda function ${functionOf(record)} has a public URL (auth type NONE) after a change by ${actorOf(record).name}`,
  details: (record) => {
    const statement = firstRequestParam(record, ['statementId']);
    return [{ label: 'Function', value: functionOf(record) }, ...(statement ? [{ label: 'Statement id', value: statement }] : [])];
  },
  dedupeMinutes: 60,
};

import { actorOf, firstRequestParam, isServiceOrServiceLinkedRole, succeeded, usesLongTermCredentials } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES, type CloudTrailRecord } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

const functionOf = (record: CloudTrailRecord): string => firstRequestParam(record, ['functionName']) ?? '(see event)';

function codeSource(record: CloudTrailRecord): string | undefined {
  const image = firstRequestParam(record, ['imageUri']);
  if (image) return `image ${image}`;
  const bucket = firstRequestParam(record, ['s3Bucket']);
  if (bucket) return `s3://${bucket}/${firstRequestParam(record, ['s3Key']) ?? ''}`;
  return undefined;
}

/**
 * Code deploys are constant: every CI pipeline calls UpdateFunctionCode, from a role, often through
 * CloudFormation. Alerting on all of them would drown the one that matters, so this fires only when
 * the caller used long-term credentials (an IAM user's access key, a federation token minted from one,
 * or root): the credentials that leak, and not what a pipeline should deploy with. A stolen role
 * session overwriting code looks like a deploy and is not caught here (a known gap). Medium: the
 * overwritten code runs with the function's role on its next invocation. Pipelines that still deploy
 * with an IAM user alert once per hour (grouped per principal): allowlist that user, or better, move
 * it to a role.
 */
export const lambdaCodeOverwritten: Rule = {
  id: 'lambda-code-overwritten',
  title: 'Lambda code replaced with long-term credentials',
  severity: 'medium',
  status: 'live',
  description:
    "A Lambda function's code was replaced (UpdateFunctionCode) by an IAM user, federated user or root " +
    'rather than a deploy role: a way to run attacker code with the function\'s permissions.',
  runbook:
    'Ask the actor whether they deployed by hand. If not: download the deployed code (`aws lambda get-function`) ' +
    "for analysis, redeploy the known-good version from the pipeline, revoke the actor's keys, and check " +
    "what the function's role did since the event time.",
  references: [
    'https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionCode.html',
    'https://attack.mitre.org/techniques/T1525/',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.persistence.lambda-overwrite-code/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_overwrite_lambda_code.py',
  ],
  mitre: ['TA0003:T1525', 'TA0002:T1648'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.lambda'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['lambda.amazonaws.com'], eventName: [{ prefix: 'UpdateFunctionCode' }] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && usesLongTermCredentials(record) && !isServiceOrServiceLinkedRole(record),
  summarize: (record) => `Code of Lambda function ${functionOf(record)} replaced by ${actorOf(record).name}`,
  details: (record) => {
    const source = codeSource(record);
    return [{ label: 'Function', value: functionOf(record) }, ...(source ? [{ label: 'Code from', value: source }] : [])];
  },
  dedupeMinutes: 60,
};

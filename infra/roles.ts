/*
 * One IAM role per function, each with only the actions and resources that function uses: `detect`
 * cannot read a Slack webhook, `slack` cannot touch the state table. No `*` action anywhere; the only
 * resource wildcards are where the name cannot be known at deploy time (a KMS key id, behind a
 * condition that names the parameter) or is a log group's streams.
 */
import type { CfnResource } from './eventbridge.js';

export interface Statement {
  Sid?: string;
  Effect: 'Allow';
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
}

const sub = (s: string) => ({ 'Fn::Sub': s });
const arn = (service: string, resource: string) => sub(`arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}:${resource}`);

export const STATE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'];

export const ids = {
  topic: 'TrailwatchAlertTopic',
  table: 'TrailwatchStateTable',
  dlq: 'TrailwatchDeadLetterQueue',
} as const;

const publishAlerts: Statement = { Sid: 'PublishAlerts', Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: ids.topic } };
const readWriteState: Statement = { Sid: 'State', Effect: 'Allow', Action: STATE_ACTIONS, Resource: { 'Fn::GetAtt': [ids.table, 'Arn'] } };
/** The topic is encrypted with the stack's key (infra/health.yml): publishing uses it, through SNS only. */
const useAlertKey: Statement = {
  Sid: 'AlertTopicKey',
  Effect: 'Allow',
  Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
  Resource: { 'Fn::GetAtt': ['TrailwatchAlertKey', 'Arn'] },
  Condition: { StringEquals: { 'kms:ViaService': sub('sns.${AWS::Region}.amazonaws.com') } },
};
/** Lambda's on-failure destination sends with the function's own role. */
const deadLetter: Statement = { Sid: 'DeadLetter', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [ids.dlq, 'Arn'] } };

/** The SSM parameters (SecureStrings) and the KMS decrypt that only SSM may do on their behalf. */
export function readParameters(names: readonly string[]): Statement[] {
  if (names.length === 0) return [];
  const parameterArns = names.map((n) => arn('ssm', `parameter${n}`));
  return [
    { Sid: 'ReadWebhookParameters', Effect: 'Allow', Action: 'ssm:GetParameter', Resource: parameterArns },
    {
      Sid: 'DecryptWebhookParameters',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      // The key (aws/ssm or a customer managed key) is the user's choice: the condition, not the
      // resource, scopes this to SSM decrypting exactly these parameters.
      Resource: arn('kms', 'key/*'),
      Condition: {
        StringEquals: { 'kms:ViaService': sub('ssm.${AWS::Region}.amazonaws.com') },
        'ForAnyValue:StringEquals': { 'kms:EncryptionContext:PARAMETER_ARN': parameterArns },
      },
    },
  ];
}

export function lambdaRole(functionName: string, statements: readonly Statement[]): CfnResource {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: `trailwatch function ${functionName}: only what it uses`,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'lambda.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
      Policies: [
        {
          PolicyName: 'trailwatch',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'OwnLogs',
                Effect: 'Allow',
                Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
                Resource: arn('logs', `log-group:/aws/lambda/${functionName}:*`),
              },
              ...statements,
            ],
          },
        },
      ],
    },
  };
}

export interface RoleOptions {
  stage: string;
  slackParameters: readonly string[];
  /** `eventBridgeOutput.bus`: the one bus the output function may put events on. */
  outputBus: string;
}

/** Logical id of each function's role, as serverless.yml names them in `role:`. */
export const ROLE_IDS = { detect: 'TrailwatchDetectRole', flush: 'TrailwatchFlushRole', slack: 'TrailwatchSlackRole', output: 'TrailwatchOutputRole' } as const;

export function functionRoles(opts: RoleOptions): Record<string, CfnResource> {
  const fn = (name: string) => `trailwatch-${opts.stage}-${name}`;
  return {
    [ROLE_IDS.detect]: lambdaRole(fn('detect'), [publishAlerts, useAlertKey, readWriteState, deadLetter]),
    // Follow-ups read and close incidents in the same table, and publish like detect.
    [ROLE_IDS.flush]: lambdaRole(fn('flush'), [publishAlerts, useAlertKey, readWriteState, deadLetter]),
    [ROLE_IDS.slack]: lambdaRole(fn('slack'), [...readParameters(opts.slackParameters), deadLetter]),
    [ROLE_IDS.output]: lambdaRole(fn('output'), [
      { Sid: 'PutAlertEvents', Effect: 'Allow', Action: 'events:PutEvents', Resource: arn('events', `event-bus/${opts.outputBus}`) },
      deadLetter,
    ]),
  };
}

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSlackMinSeverity, slackEnabled, slackSubscriptionResources } from '../../lib/infra/slack.js';
import { serverless } from '../deploy/serverless.js';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Template = { Resources: Record<string, Resource> };

const ids = { topicLogicalId: 'TrailwatchAlertTopic', functionLogicalId: 'SlackLambdaFunction' };

describe('Slack stack resources (pure)', () => {
  it('generates nothing without a webhook parameter', () => {
    for (const webhookParameter of [undefined, '', 'none', ' none ']) {
      expect(slackSubscriptionResources({ ...ids, webhookParameter, minSeverity: undefined })).toEqual({});
    }
  });

  it('refuses a parameter name the IAM statement could not name', () => {
    expect(() => slackSubscriptionResources({ ...ids, webhookParameter: 'slack-webhook', minSeverity: undefined })).toThrow(/starting with \//);
    expect(() => slackSubscriptionResources({ ...ids, webhookParameter: 'https://hooks.slack.com/services/T/B/x', minSeverity: undefined })).toThrow(/starting with \//);
  });

  it('defaults to medium and refuses unknown severities', () => {
    expect(parseSlackMinSeverity(undefined)).toBe('medium');
    expect(parseSlackMinSeverity('high')).toBe('high');
    expect(() => parseSlackMinSeverity('urgent')).toThrow(/not a severity/);
    expect(slackEnabled('/trailwatch/slack-webhook')).toBe(true);
  });
});

/** Packages the service offline into its own directory and returns the template. */
async function packageWith(params: string[]): Promise<Template> {
  const out = mkdtempSync(join(tmpdir(), 'trailwatch-slack-package-'));
  dirs.push(out);
  await serverless(['package', '--stage', 'slackci', '--package', out, ...params.flatMap((p) => ['--param', p])]);
  return JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
}
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ofType = (t: Template, type: string) => Object.values(t.Resources).filter((r) => r.Type === type);
const slackSubscriptions = (t: Template) => ofType(t, 'AWS::SNS::Subscription').filter((r) => r.Properties.Protocol === 'lambda');
const snsPermissions = (t: Template) => ofType(t, 'AWS::Lambda::Permission').filter((r) => r.Properties.Principal === 'sns.amazonaws.com');
const statements = (t: Template) =>
  ((t.Resources.IamRoleLambdaExecution?.Properties.Policies as Array<{ PolicyDocument: { Statement: Array<Record<string, unknown>> } }>)[0]?.PolicyDocument.Statement ?? []);
const slackEnv = (t: Template) => (t.Resources.SlackLambdaFunction?.Properties.Environment as { Variables: Record<string, string> }).Variables;

// Sequential: both runs build into .esbuild/ (as does test/deploy), one at a time within this file.
describe.sequential('serverless package with and without Slack (offline)', () => {
  it('subscribes the Slack function to the alert topic when the parameter is set', async () => {
    const t = await packageWith(['slackWebhookParameter=/trailwatch/slack-webhook', 'slackMinSeverity=high']);
    expect(slackSubscriptions(t)).toEqual([
      {
        Type: 'AWS::SNS::Subscription',
        Properties: {
          TopicArn: { Ref: 'TrailwatchAlertTopic' },
          Protocol: 'lambda',
          Endpoint: { 'Fn::GetAtt': ['SlackLambdaFunction', 'Arn'] },
          FilterPolicyScope: 'MessageAttributes',
          FilterPolicy: { severity: ['high', 'critical'] },
        },
      },
    ]);
    expect(snsPermissions(t)).toEqual([
      expect.objectContaining({
        Properties: { Action: 'lambda:InvokeFunction', FunctionName: { 'Fn::GetAtt': ['SlackLambdaFunction', 'Arn'] }, Principal: 'sns.amazonaws.com', SourceArn: { Ref: 'TrailwatchAlertTopic' } },
      }),
    ]);
    // The function gets the parameter's NAME, never a URL; IAM names that parameter only.
    expect(slackEnv(t).SLACK_WEBHOOK_PARAMETER).toBe('/trailwatch/slack-webhook');
    expect(JSON.stringify(t.Resources.SlackLambdaFunction)).not.toMatch(/hooks\.slack\.com/);
    const ssm = statements(t).find((s) => JSON.stringify(s.Action).includes('ssm:GetParameter'));
    expect(JSON.stringify(ssm?.Resource)).toContain(':parameter/trailwatch/slack-webhook');
    const kms = statements(t).find((s) => JSON.stringify(s.Action).includes('kms:Decrypt'));
    expect(JSON.stringify(kms?.Condition)).toContain('parameter/trailwatch/slack-webhook');
    expect(t.Resources.SlackLambdaFunction?.Properties).toMatchObject({ Runtime: 'nodejs24.x', Handler: 'functions/slack.handler', ReservedConcurrentExecutions: 1 });
    expect(Object.values(t.Resources).find((r) => r.Type === 'AWS::Lambda::EventInvokeConfig' && JSON.stringify(r.Properties.FunctionName).includes('SlackLambdaFunction'))?.Properties).toMatchObject({
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['TrailwatchDeadLetterQueue', 'Arn'] } } },
    });
  });

  it('deploys the function but subscribes nothing when the parameter is left at none', async () => {
    const t = await packageWith([]);
    expect(t.Resources.SlackLambdaFunction).toBeDefined();
    expect(slackSubscriptions(t)).toEqual([]);
    expect(snsPermissions(t)).toEqual([]);
    expect(slackEnv(t).SLACK_WEBHOOK_PARAMETER).toBe('none');
  });
});

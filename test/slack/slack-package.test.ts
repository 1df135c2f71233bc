import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { slackFilterPolicy, slackSubscriptionResources } from '../../infra/slack.js';
import { serverless } from '../deploy/serverless.js';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Template = { Resources: Record<string, Resource> };

const ids = { topicLogicalId: 'TrailwatchAlertTopic', functionLogicalId: 'SlackLambdaFunction' };

describe('Slack stack resources (pure)', () => {
  it('generates nothing without routes', () => {
    expect(slackSubscriptionResources({ ...ids, routes: [] })).toEqual({});
  });

  it('filters the subscription on the union of the routes', () => {
    expect(slackFilterPolicy([{ parameter: '/a', minSeverity: 'high' }])).toEqual({ severity: ['high', 'critical'] });
    expect(slackFilterPolicy([{ parameter: '/a', minSeverity: 'high' }, { parameter: '/b', minSeverity: 'low', rules: ['x'] }])).toEqual({ severity: ['low', 'medium', 'high', 'critical'] });
    expect(slackFilterPolicy([{ parameter: '/a', minSeverity: 'critical', rules: ['x'] }, { parameter: '/b', minSeverity: 'high', rules: ['y', 'z'] }])).toEqual({
      $or: [{ severity: ['critical'], ruleId: ['x'] }, { severity: ['high', 'critical'], ruleId: ['y', 'z'] }],
    });
    // Past SNS's 150 combinations the subscription takes the lowest severity and the function routes.
    const many = Array.from({ length: 40 }, (_, i) => `rule-${i}`);
    expect(slackFilterPolicy([{ parameter: '/a', minSeverity: 'low', rules: many }])).toEqual({ severity: ['low', 'medium', 'high', 'critical'] });
  });
});

/** Packages the service offline into its own directory and returns the template. */
async function packageWith(config?: string): Promise<Template> {
  const out = mkdtempSync(join(tmpdir(), 'trailwatch-slack-package-'));
  dirs.push(out);
  await serverless(['package', '--stage', 'slackci', '--package', out], config ? { TRAILWATCH_CONFIG: config } : {});
  return JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
}
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ofType = (t: Template, type: string) => Object.values(t.Resources).filter((r) => r.Type === type);
const slackSubscriptions = (t: Template) => ofType(t, 'AWS::SNS::Subscription').filter((r) => r.Properties.Protocol === 'lambda');
const snsPermissions = (t: Template) => ofType(t, 'AWS::Lambda::Permission').filter((r) => r.Properties.Principal === 'sns.amazonaws.com');
const statements = (t: Template, role: string) =>
  ((t.Resources[role]?.Properties.Policies as Array<{ PolicyDocument: { Statement: Array<Record<string, unknown>> } }>)[0]?.PolicyDocument.Statement ?? []);
const slackEnv = (t: Template) => (t.Resources.SlackLambdaFunction?.Properties.Environment as { Variables: Record<string, string> }).Variables;

// Sequential: both runs build into .esbuild/ (as does test/deploy), one at a time within this file.
describe.sequential('serverless package with and without Slack (offline)', () => {
  it('subscribes the Slack function to the alert topic when a route is configured', async () => {
    const t = await packageWith('test/deploy/configs/slack.yml');
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
    // The function gets the parameter's NAME, never a URL; IAM names that parameter only, and only
    // for the Slack function's own role.
    expect(JSON.parse(slackEnv(t).SLACK_ROUTES ?? '')).toEqual([{ parameter: '/trailwatch/slack-webhook', minSeverity: 'high' }]);
    expect(JSON.stringify(t.Resources.SlackLambdaFunction)).not.toMatch(/hooks\.slack\.com/);
    expect(t.Resources.SlackLambdaFunction?.Properties.Role).toEqual({ 'Fn::GetAtt': ['TrailwatchSlackRole', 'Arn'] });
    const ssm = statements(t, 'TrailwatchSlackRole').find((s) => JSON.stringify(s.Action).includes('ssm:GetParameter'));
    expect(JSON.stringify(ssm?.Resource)).toContain(':parameter/trailwatch/slack-webhook');
    const kms = statements(t, 'TrailwatchSlackRole').find((s) => JSON.stringify(s.Action).includes('kms:Decrypt'));
    expect(JSON.stringify(kms?.Condition)).toContain('parameter/trailwatch/slack-webhook');
    // Their only KMS use is the alert topic's own key, through SNS (checked in test/deploy/health-template.ts).
    const besidesAlertKey = (role: string) => statements(t, role).filter((s) => s.Sid !== 'AlertTopicKey');
    for (const role of ['TrailwatchDetectRole', 'TrailwatchFlushRole']) expect(JSON.stringify(besidesAlertKey(role))).not.toMatch(/ssm:|kms:|:parameter/);
    expect(t.Resources.SlackLambdaFunction?.Properties).toMatchObject({ Runtime: 'nodejs24.x', Handler: 'functions/slack.handler', ReservedConcurrentExecutions: 1 });
    expect(Object.values(t.Resources).find((r) => r.Type === 'AWS::Lambda::EventInvokeConfig' && JSON.stringify(r.Properties.FunctionName).includes('SlackLambdaFunction'))?.Properties).toMatchObject({
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['TrailwatchDeadLetterQueue', 'Arn'] } } },
    });
  });

  it('posts each route\'s alerts: one subscription filtered on the routes\' severities and rules', async () => {
    const t = await packageWith('test/deploy/configs/slack-routes.yml');
    expect(slackSubscriptions(t).map((s) => s.Properties.FilterPolicy)).toEqual([
      { $or: [{ severity: ['critical'], ruleId: ['root-account-activity'] }, { severity: ['medium', 'high', 'critical'], ruleId: ['s3-mass-delete', 's3-bucket-mass-delete'] }] },
    ]);
    const ssm = statements(t, 'TrailwatchSlackRole').find((s) => JSON.stringify(s.Action).includes('ssm:GetParameter'));
    expect(JSON.stringify(ssm?.Resource)).toMatch(/parameter\/trailwatch\/slack\/on-call.*parameter\/trailwatch\/slack\/storage/);
  });

  it('deploys the function but subscribes nothing without routes', async () => {
    const t = await packageWith();
    expect(t.Resources.SlackLambdaFunction).toBeDefined();
    expect(slackSubscriptions(t)).toEqual([]);
    expect(snsPermissions(t)).toEqual([]);
    expect(slackEnv(t).SLACK_ROUTES).toBe('[]');
    expect(JSON.stringify(statements(t, 'TrailwatchSlackRole'))).not.toMatch(/ssm:|kms:/);
  });
});

// trailwatch's own health, checked on the real `serverless package` output. Called from
// serverless.test.ts so the service is packaged once (parallel packagings would share .esbuild/).
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { describe, expect, it, vi } from 'vitest';
import { canaryPattern } from '../../infra/health.js';

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };
export type Template = { Resources: Record<string, Resource> };
type Statement = { Sid?: string; Effect: string; Principal?: unknown; Action: string | string[]; Resource?: unknown; Condition?: Record<string, Record<string, unknown>> };

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const refOf = (v: unknown): string | undefined => (v as { Ref?: string } | undefined)?.Ref;
const getAttOf = (v: unknown): string | undefined => (v as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];

/** The dimensions Powertools Metrics puts on a metric, configured as the functions configure it. */
function powertoolsDimensions(): Array<{ Name: string; Value: string }> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    vi.stubEnv('POWERTOOLS_DEV', '');
    const metrics = new Metrics({ namespace: 'trailwatch', serviceName: 'trailwatch' });
    metrics.addMetric('DeliveryDelay', MetricUnit.Seconds, 1);
    metrics.publishStoredMetrics();
  } finally {
    spy.mockRestore();
    vi.unstubAllEnvs();
  }
  const emf = JSON.parse(lines.join('').trim().split('\n').find((l) => l.includes('"_aws"')) ?? '{}') as {
    _aws: { CloudWatchMetrics: Array<{ Dimensions: string[][] }> };
  } & Record<string, unknown>;
  const names = emf._aws.CloudWatchMetrics[0]?.Dimensions[0] ?? [];
  return names.map((Name) => ({ Name, Value: String(emf[Name]) }));
}

export function describeHealthTemplate(template: () => Template, stage: string): void {
  const resources = () => Object.entries(template().Resources);
  const ofType = (type: string) => resources().filter(([, r]) => r.Type === type);
  const alarms = () => ofType('AWS::CloudWatch::Alarm').map(([id, r]) => ({ id, ...r.Properties }) as Record<string, unknown> & { id: string });
  const functions = () => ofType('AWS::Lambda::Function');
  const fnAlarm = (fnId: string, metric: string) => alarms().find((a) => a.Namespace === 'AWS/Lambda' && a.MetricName === metric && refOf((a.Dimensions as Array<{ Value: unknown }>)[0]?.Value) === fnId);
  const topicId = 'TrailwatchAlertTopic';
  const topicPolicy = () => {
    const policies = ofType('AWS::SNS::TopicPolicy').filter(([, r]) => list(r.Properties.Topics as unknown[]).some((t) => refOf(t) === topicId));
    expect(policies).toHaveLength(1);
    return (policies[0]?.[1].Properties.PolicyDocument as { Statement: Statement[] }).Statement;
  };

  describe('trailwatch health (serverless package)', () => {
    it('encrypts the alert topic with a rotating customer managed key the CloudWatch service may use', () => {
      const keyId = refOf(template().Resources[topicId]?.Properties.KmsMasterKeyId);
      const key = keyId ? template().Resources[keyId] : undefined;
      expect(key?.Type).toBe('AWS::KMS::Key');
      expect(key?.Properties.EnableKeyRotation).toBe(true);
      const statements = (key?.Properties.KeyPolicy as { Statement: Statement[] }).Statement;
      const cloudwatch = statements.filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Principal) === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }));
      expect(cloudwatch).toHaveLength(1);
      expect(list(cloudwatch[0]?.Action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
      expect(cloudwatch[0]?.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
      // The account administers it (else IAM policies could not grant its use either).
      // Listed actions (no `kms:*`), among them PutKeyPolicy (the key stays manageable) and the use that
      // IAM policies then grant to the publishers.
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Allow',
          Action: expect.arrayContaining(['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:GenerateDataKey', 'kms:Decrypt']),
          Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } },
        }),
      );
      // Nothing else is let in by the key policy.
      expect(statements).toHaveLength(2);
    });

    it('lets every role that may publish also use the topic\'s key (through SNS only)', () => {
      const keyArn = { 'Fn::GetAtt': [refOf(template().Resources[topicId]?.Properties.KmsMasterKeyId), 'Arn'] };
      const publishers = ofType('AWS::IAM::Role')
        .map(([id, r]) => ({ id, statements: ((r.Properties.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>).flatMap((p) => p.PolicyDocument.Statement) }))
        .filter(({ statements }) => statements.some((s) => list(s.Action).includes('sns:Publish') && refOf(s.Resource) === topicId));
      expect(publishers.map((p) => p.id)).toEqual(expect.arrayContaining(['TrailwatchDetectRole', 'TrailwatchFlushRole']));
      for (const { id, statements } of publishers) {
        const kms = statements.filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Resource) === JSON.stringify(keyArn));
        expect(kms.flatMap((s) => list(s.Action)).sort(), id).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
        expect(kms[0]?.Condition, id).toEqual({ StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'sns.${AWS::Region}.amazonaws.com' } } });
      }
    });

    it('lets every alarm publish: each one targets the topic, is named under the pattern the topic policy allows', () => {
      const allowed = topicPolicy().filter((s) => s.Effect === 'Allow');
      expect(allowed).toHaveLength(1);
      expect(allowed[0]).toMatchObject({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } });
      const pattern = (allowed[0]?.Condition?.ArnLike?.['aws:SourceArn'] as { 'Fn::Sub': string })['Fn::Sub'];
      expect(pattern).toBe(`arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:trailwatch-${stage}-*`);
      expect(alarms().length).toBeGreaterThanOrEqual(14);
      for (const alarm of alarms()) {
        expect(alarm.AlarmActions, alarm.id).toEqual([{ Ref: topicId }]);
        expect(String(alarm.AlarmName), alarm.id).toMatch(new RegExp(`^trailwatch-${stage}-[a-z0-9-]+$`));
      }
    });

    it('lets no one publish but the roles of trailwatch\'s functions (and the alarms above)', () => {
      const deny = topicPolicy().filter((s) => s.Effect === 'Deny');
      expect(deny).toHaveLength(1);
      expect(deny[0]).toMatchObject({ Principal: '*', Action: 'sns:Publish', Resource: { Ref: topicId }, Condition: { Bool: { 'aws:PrincipalIsAWSService': 'false' } } });
      const exempt = (deny[0]?.Condition?.ArnNotEquals?.['aws:PrincipalArn'] as unknown[]).map((a) => JSON.stringify(a));
      const roles = new Set(functions().map(([, f]) => JSON.stringify(f.Properties.Role)));
      expect(new Set(exempt)).toEqual(roles);
      expect(roles.size).toBeGreaterThan(0);
    });

    it('alarms on errors and on sustained throttles of every function, flush included', () => {
      expect(functions().map(([id]) => id)).toEqual(expect.arrayContaining(['DetectLambdaFunction', 'FlushLambdaFunction', 'SlackLambdaFunction', 'CanaryLambdaFunction']));
      for (const [id] of functions()) {
        expect(fnAlarm(id, 'Errors'), `${id} errors`).toMatchObject({ Statistic: 'Sum', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
        expect(fnAlarm(id, 'Throttles'), `${id} throttles`).toMatchObject({ Statistic: 'Sum', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
      }
      expect(fnAlarm('FlushLambdaFunction', 'Errors')?.AlarmName).toBe(`trailwatch-${stage}-flush-errors`);
    });

    it('gives every function a failure path that ends in an alarm', () => {
      const queueAlarm = (queueId: string | undefined) =>
        alarms().find((a) => a.Namespace === 'AWS/SQS' && a.MetricName === 'ApproximateNumberOfMessagesVisible' && getAttOf((a.Dimensions as Array<{ Value: unknown }>)[0]?.Value) === queueId);
      for (const [id] of functions()) {
        const config = ofType('AWS::Lambda::EventInvokeConfig').find(([, c]) => refOf(c.Properties.FunctionName) === id)?.[1].Properties;
        const retries = Number(config?.MaximumRetryAttempts ?? 2);
        const onFailure = (config?.DestinationConfig as { OnFailure?: { Destination: unknown } } | undefined)?.OnFailure?.Destination;
        // Retried asynchronous invocations end in the dead-letter queue, whose depth alarms; every
        // failed invocation (scheduled ones, which Lambda does not retry here) raises the Errors alarm.
        if (retries > 0) {
          expect(onFailure, `${id} on-failure destination`).toBeDefined();
          expect(queueAlarm(getAttOf(onFailure)), `${id} dead-letter alarm`).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
        }
        expect(fnAlarm(id, 'Errors'), `${id} errors alarm`).toBeDefined();
      }
    });

    it('alarms on delivery failures, delivery delay p99, rule errors, malformed events and canary silence, on the dimensions Powertools emits', () => {
      const ours = (metric: string) => alarms().filter((a) => a.Namespace === 'trailwatch' && a.MetricName === metric);
      expect(ours('DeliveryFailures')).toEqual([expect.objectContaining({ Statistic: 'Sum', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' })]);
      expect(ours('DeliveryDelay')).toEqual([expect.objectContaining({ ExtendedStatistic: 'p99', Threshold: 1200, ComparisonOperator: 'GreaterThanThreshold' })]);
      expect(ours('RuleErrors')).toHaveLength(1);
      expect(ours('MalformedEvents')).toHaveLength(1);
      // Silence is missing data: it must count as breaching, or a blind trailwatch would look healthy.
      expect(ours('CanaryDelay')).toEqual([
        expect.objectContaining({ AlarmName: `trailwatch-${stage}-blind`, Statistic: 'SampleCount', Threshold: 1, ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching' }),
      ]);
      const emitted = powertoolsDimensions();
      expect(emitted).toEqual([{ Name: 'service', Value: 'trailwatch' }]);
      for (const alarm of alarms().filter((a) => a.Namespace === 'trailwatch')) expect(alarm.Dimensions, alarm.id).toEqual(emitted);
    });

    it('scopes the canary to one action on one resource, under its own role', () => {
      const canary = template().Resources.CanaryLambdaFunction?.Properties;
      const roleId = getAttOf(canary?.Role);
      const role = roleId ? template().Resources[roleId] : undefined;
      expect(role?.Type).toBe('AWS::IAM::Role');
      const statements = (role?.Properties.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>).flatMap((p) => p.PolicyDocument.Statement);
      const parameterArn = { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${TrailwatchCanaryParameter}' };
      expect(statements.filter((s) => !list(s.Action).every((a) => a.startsWith('logs:')))).toEqual([
        { Sid: 'TagTheCanaryParameter', Effect: 'Allow', Action: 'ssm:AddTagsToResource', Resource: parameterArn },
      ]);
      const logs = statements.filter((s) => list(s.Action).every((a) => a.startsWith('logs:')));
      for (const s of logs) expect(JSON.stringify(s.Resource)).toContain(`log-group:/aws/lambda/trailwatch-${stage}-canary:*`);
      expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
      // No other role may tag: the detector trusts the canary's role name alone.
      const taggers = ofType('AWS::IAM::Role').filter(([, r]) => JSON.stringify(r.Properties).includes('ssm:AddTagsToResource'));
      expect(taggers.map(([id]) => id)).toEqual([roleId]);
      expect(template().Resources.TrailwatchCanaryParameter?.Properties.Name).toBe(`/trailwatch/${stage}/canary`);
    });

    it('schedules the canary and routes its call back to detect, where it is recognised by the same names', () => {
      const canaryEnv = (template().Resources.CanaryLambdaFunction?.Properties.Environment as { Variables: Record<string, string> }).Variables;
      const detectEnv = (template().Resources.DetectLambdaFunction?.Properties.Environment as { Variables: Record<string, string> }).Variables;
      const role = template().Resources.TrailwatchCanaryRole?.Properties.RoleName;
      expect(detectEnv.CANARY_ROLE_NAME).toBe(role);
      expect(detectEnv.CANARY_PARAMETER).toBe(canaryEnv.CANARY_PARAMETER);
      const rule = template().Resources.TrailwatchCanaryRule?.Properties;
      expect(rule?.EventPattern).toEqual(canaryPattern({ parameterName: `/trailwatch/${stage}/canary`, roleName: String(role) }));
      expect(rule?.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': ['DetectLambdaFunction', 'Arn'] } })]);
      const schedule = template().Resources.TrailwatchCanarySchedule?.Properties;
      expect(schedule).toMatchObject({ ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED', Targets: [{ Arn: { 'Fn::GetAtt': ['CanaryLambdaFunction', 'Arn'] } }] });
    });

    it('draws a dashboard whose every reference exists in the stack', () => {
      const body = (template().Resources.TrailwatchDashboard?.Properties.DashboardBody as { 'Fn::Sub': string })['Fn::Sub'];
      const refs = [...body.matchAll(/\$\{([^}!]+)\}/g)].map((m) => m[1]?.split('.')[0] ?? '');
      expect(refs.length).toBeGreaterThan(10);
      for (const ref of refs) if (!ref.startsWith('AWS::')) expect(template().Resources[ref], ref).toBeDefined();
      const widgets = (JSON.parse(body) as { widgets: Array<{ type: string; properties: { alarms?: string[] } }> }).widgets;
      expect(widgets.find((w) => w.type === 'alarm')?.properties.alarms).toHaveLength(alarms().length);
      for (const metric of ['AlertsSent', 'DeliveryFailures', 'DeliveryDelay', 'CanaryDelay', 'MalformedEvents', 'RuleErrors']) expect(body).toContain(`"${metric}"`);
    });
  });
}

import { CANARY_CALL } from '../lib/handlers/canary-event.js';
import { ruleNamePrefix, type CfnResource } from './eventbridge.js';

/**
 * trailwatch's own health, generated from the functions serverless.yml declares, so that a new
 * function gets its alarms, its place in the topic policy and on the dashboard without anyone
 * remembering to add them. The static part (the topic's key, the canary's role and parameter, the
 * metric alarms) is infra/health.yml.
 */

/** The slice of a serverless.yml function this needs. */
export interface FunctionConfig {
  role?: unknown;
  description?: string;
  events?: unknown[];
  destinations?: { onFailure?: unknown };
}

export interface CanaryOptions {
  /** `canary` in trailwatch.<stage>.yml (default true). */
  enabled: boolean;
  /** Alarm when no canary has been detected for this long. */
  silenceMinutes: number;
  parameterName: string;
  roleName: string;
  /** Key of the canary function in serverless.yml. */
  functionKey: string;
}

export interface HealthOptions {
  stage: string;
  functions: Readonly<Record<string, FunctionConfig>>;
  /** `provider.iam.role` as serverless.yml has it: a custom role, or the default role's settings. */
  providerRole?: unknown;
  topicLogicalId: string;
  deadLetterQueueLogicalId: string;
  detectFunctionKey: string;
  /** `alarms.deliveryDelayMinutes`: p99 of DeliveryDelay above this for 15 minutes alarms. */
  deliveryDelayAlarmMinutes: number;
  canary: CanaryOptions;
}

/** The logical id serverless gives a function's `AWS::Lambda::Function` (its naming.getLambdaLogicalId). */
export function functionLogicalId(key: string): string {
  const normalized = key.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return `${normalized.charAt(0).toUpperCase()}${normalized.slice(1)}LambdaFunction`;
}

export const alarmNamePrefix = (stage: string): string => `trailwatch-${stage}-`;
export const canaryRuleName = (stage: string): string => `${ruleNamePrefix(stage)}health-canary`;
export const canaryScheduleName = (stage: string): string => `${ruleNamePrefix(stage)}health-canary-schedule`;
/** Our EventBridge rules that are not detections (test/deploy tells them apart by these names). */
export const healthRuleNames = (stage: string): string[] => [canaryRuleName(stage), canaryScheduleName(stage)];

const isIntrinsic = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.keys(v).length === 1 && /^(Ref|Fn::.+)$/.test(Object.keys(v)[0] ?? '');

/**
 * The role a function runs as, as CloudFormation will see it: serverless.yml's `role` (a logical id,
 * an ARN or an intrinsic), else `provider.iam.role` when that names a role, else the default role.
 */
export function functionRoleArn(fn: FunctionConfig, providerRole: unknown): unknown {
  const role = fn.role ?? (typeof providerRole === 'string' || isIntrinsic(providerRole) ? providerRole : undefined);
  if (role === undefined) return { 'Fn::GetAtt': ['IamRoleLambdaExecution', 'Arn'] };
  if (typeof role === 'string') return role.startsWith('arn:') ? role : { 'Fn::GetAtt': [role, 'Arn'] };
  return role;
}

interface AlarmSpec {
  name: string;
  description: unknown;
  namespace: string;
  metric: string;
  dimensions: Array<{ Name: string; Value: unknown }>;
  statistic: string;
  periodSeconds: number;
  periods: number;
  threshold: number;
  comparison: string;
  missing: 'notBreaching' | 'breaching';
}

function alarm(spec: AlarmSpec, topicLogicalId: string): CfnResource {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: spec.name,
      AlarmDescription: spec.description,
      Namespace: spec.namespace,
      MetricName: spec.metric,
      Dimensions: spec.dimensions,
      ...(/^p\d/.test(spec.statistic) ? { ExtendedStatistic: spec.statistic } : { Statistic: spec.statistic }),
      Period: spec.periodSeconds,
      EvaluationPeriods: spec.periods,
      DatapointsToAlarm: spec.periods,
      Threshold: spec.threshold,
      ComparisonOperator: spec.comparison,
      TreatMissingData: spec.missing,
      AlarmActions: [{ Ref: topicLogicalId }],
      OKActions: [{ Ref: topicLogicalId }],
    },
  };
}

const pascal = (key: string): string => functionLogicalId(key).replace(/LambdaFunction$/, '');

/** Errors and Throttles of every function. */
function functionAlarms(opts: HealthOptions): Record<string, CfnResource> {
  const resources: Record<string, CfnResource> = {};
  for (const [key, fn] of Object.entries(opts.functions)) {
    const dimensions = [{ Name: 'FunctionName', Value: { Ref: functionLogicalId(key) } }];
    const what = fn.description ? ` (${fn.description.replace(/\s+/g, ' ').slice(0, 200).replace(/\$\{/g, '${!')})` : '';
    resources[`Trailwatch${pascal(key)}ErrorsAlarm`] = alarm(
      {
        name: `${alarmNamePrefix(opts.stage)}${key}-errors`,
        description: { 'Fn::Sub': `trailwatch function ${key}${what} failed: the error is in log group /aws/lambda/\${${functionLogicalId(key)}}. README "When things go wrong".` },
        namespace: 'AWS/Lambda',
        metric: 'Errors',
        dimensions,
        statistic: 'Sum',
        periodSeconds: 300,
        periods: 1,
        threshold: 0,
        comparison: 'GreaterThanThreshold',
        missing: 'notBreaching',
      },
      opts.topicLogicalId,
    );
    // Reserved concurrency 1 (flush, slack) throttles briefly by design, and Lambda retries throttled
    // asynchronous invocations for hours: only sustained throttling (15 minutes) is worth a person.
    resources[`Trailwatch${pascal(key)}ThrottlesAlarm`] = alarm(
      {
        name: `${alarmNamePrefix(opts.stage)}${key}-throttles`,
        description: `trailwatch function ${key} has been throttled for 15 minutes: invocations wait or are dropped. README "When things go wrong".`,
        namespace: 'AWS/Lambda',
        metric: 'Throttles',
        dimensions,
        statistic: 'Sum',
        periodSeconds: 300,
        periods: 3,
        threshold: 0,
        comparison: 'GreaterThanThreshold',
        missing: 'notBreaching',
      },
      opts.topicLogicalId,
    );
  }
  return resources;
}

/**
 * Only trailwatch publishes to its topic: CloudWatch alarms of this stack (confused-deputy conditions),
 * and the roles its functions run as. Everyone else in the account is denied even with an IAM policy
 * that allows sns:Publish, so nobody can fake an alert, or an "all clear", to the people subscribed.
 */
function topicPolicy(opts: HealthOptions): CfnResource {
  const topic = { Ref: opts.topicLogicalId };
  const roles = new Map<string, unknown>();
  for (const fn of Object.values(opts.functions)) {
    const arn = functionRoleArn(fn, opts.providerRole);
    roles.set(JSON.stringify(arn), arn);
  }
  return {
    Type: 'AWS::SNS::TopicPolicy',
    Properties: {
      Topics: [topic],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'CloudWatchAlarmsOfThisStack',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topic,
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': { 'Fn::Sub': `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${alarmNamePrefix(opts.stage)}*` } },
            },
          },
          {
            Sid: 'OnlyTrailwatchRolesPublish',
            Effect: 'Deny',
            Principal: '*',
            Action: 'sns:Publish',
            Resource: topic,
            Condition: {
              Bool: { 'aws:PrincipalIsAWSService': 'false' },
              ArnNotEquals: { 'aws:PrincipalArn': [...roles.values()] },
            },
          },
        ],
      },
    },
  };
}

/** The canary's schedule, its recognition rule and its silence alarm ("trailwatch is blind"). */
function canaryResources(opts: HealthOptions): Record<string, CfnResource> {
  const { canary, stage } = opts;
  if (!canary.enabled) return {};
  const canaryFunction = functionLogicalId(canary.functionKey);
  return {
    TrailwatchCanarySchedule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: canaryScheduleName(stage),
        Description: 'trailwatch health: runs the canary every 5 minutes',
        ScheduleExpression: 'rate(5 minutes)',
        State: 'ENABLED',
        Targets: [{ Id: 'canary', Arn: { 'Fn::GetAtt': [canaryFunction, 'Arn'] } }],
      },
    },
    TrailwatchCanaryInvokePermission: {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [canaryFunction, 'Arn'] },
        Principal: 'events.amazonaws.com',
        SourceAccount: { Ref: 'AWS::AccountId' },
        SourceArn: { 'Fn::GetAtt': ['TrailwatchCanarySchedule', 'Arn'] },
      },
    },
    // No dead-letter queue: an undeliverable canary is what the silence alarm reports.
    TrailwatchCanaryRule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: canaryRuleName(stage),
        Description: 'trailwatch health: the canary tag write, back through CloudTrail (measured, never alerted)',
        EventBusName: 'default',
        EventPattern: canaryPattern(canary),
        State: 'ENABLED',
        Targets: [{ Id: 'detect', Arn: { 'Fn::GetAtt': [functionLogicalId(opts.detectFunctionKey), 'Arn'] } }],
      },
    },
    TrailwatchCanaryDetectPermission: {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [functionLogicalId(opts.detectFunctionKey), 'Arn'] },
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': ['TrailwatchCanaryRule', 'Arn'] },
      },
    },
    TrailwatchCanarySilenceAlarm: alarm(
      {
        name: `${alarmNamePrefix(stage)}blind`,
        description:
          `trailwatch is blind: no canary event for ${canary.silenceMinutes} minutes. The trail stopped, ` +
          'the forwarder or EventBridge rule is broken, or CloudTrail is delayed. README "When things go wrong".',
        namespace: 'trailwatch',
        metric: 'CanaryDelay',
        dimensions: [{ Name: 'service', Value: 'trailwatch' }],
        statistic: 'SampleCount',
        periodSeconds: 300,
        periods: canary.silenceMinutes / 5,
        threshold: 1,
        comparison: 'LessThanThreshold',
        // No datapoint is exactly what silence looks like.
        missing: 'breaching',
      },
      opts.topicLogicalId,
    ),
  };
}

/** What the canary EventBridge rule matches; the detector re-checks it all (lib/handlers/canary-event.ts). */
export function canaryPattern(canary: Pick<CanaryOptions, 'parameterName' | 'roleName'>): Record<string, unknown> {
  return {
    source: [CANARY_CALL.source],
    'detail-type': [CANARY_CALL.detailType],
    detail: {
      eventSource: [CANARY_CALL.eventSource],
      eventName: [CANARY_CALL.eventName],
      requestParameters: { resourceType: [CANARY_CALL.resourceType], resourceId: [canary.parameterName] },
      userIdentity: { sessionContext: { sessionIssuer: { userName: [canary.roleName] } } },
    },
  };
}

/** Static alarms of infra/health.yml and infra/resources.yml, shown on the dashboard with the generated ones. */
export const STATIC_ALARMS = [
  'TrailwatchDeliveryFailureAlarm',
  'TrailwatchDeadLetterAlarm',
  'TrailwatchRuleErrorAlarm',
  'TrailwatchMalformedEventAlarm',
] as const;

function dashboard(opts: HealthOptions, alarmIds: readonly string[]): CfnResource {
  const keys = Object.keys(opts.functions);
  const ours = (metric: string, extra?: Record<string, unknown>) => ['trailwatch', metric, 'service', 'trailwatch', ...(extra ? [extra] : [])];
  const perFunction = (metric: string) => keys.map((k) => ['AWS/Lambda', metric, 'FunctionName', `\${${functionLogicalId(k)}}`, { label: k }]);
  const queue = (metric: string) => ['AWS/SQS', metric, 'QueueName', `\${${opts.deadLetterQueueLogicalId}.QueueName}`];
  const widget = (x: number, y: number, title: string, metrics: unknown[], extra: Record<string, unknown> = {}) => ({
    type: 'metric',
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region: '${AWS::Region}', period: 300, stat: 'Sum', view: 'timeSeries', metrics, ...extra },
  });
  const body = {
    widgets: [
      {
        type: 'alarm',
        x: 0,
        y: 0,
        width: 24,
        height: 4,
        properties: { title: 'trailwatch alarms', alarms: alarmIds.map((id) => `\${${id}.Arn}`) },
      },
      widget(0, 4, 'Alerts', [ours('Matches'), ours('AlertsSent'), ours('GroupedMatches'), ours('DuplicatesDropped'), ours('FollowUpsSent'), ours('DeliveryFailures')]),
      widget(12, 4, 'Delay, API call to detection (seconds)', [
        ours('DeliveryDelay', { stat: 'p50', label: 'events p50' }),
        ours('DeliveryDelay', { stat: 'p99', label: 'events p99' }),
        ours('CanaryDelay', { stat: 'Maximum', label: 'canary' }),
      ]),
      widget(0, 10, 'Events trailwatch could not use', [ours('MalformedEvents'), ours('RuleErrors'), ours('LateEvents')]),
      widget(12, 10, 'Function errors', perFunction('Errors')),
      widget(0, 16, 'Function invocations', perFunction('Invocations')),
      widget(12, 16, 'Function throttles', perFunction('Throttles')),
      widget(0, 22, 'Function duration p99 (ms)', perFunction('Duration'), { stat: 'p99' }),
      widget(12, 22, 'Dead-letter queue', [queue('ApproximateNumberOfMessagesVisible'), queue('ApproximateAgeOfOldestMessage')], { stat: 'Maximum' }),
    ],
  };
  return {
    Type: 'AWS::CloudWatch::Dashboard',
    Properties: { DashboardName: `trailwatch-${opts.stage}`, DashboardBody: { 'Fn::Sub': JSON.stringify(body) } },
  };
}

/**
 * CloudTrail reaches EventBridge in about 5 minutes: a p99 above the threshold for 15 minutes means
 * alerts arrive late and events risk missing their burst windows (allowedLatenessMinutes).
 */
function deliveryDelayAlarm(opts: HealthOptions): CfnResource {
  return alarm(
    {
      name: `${alarmNamePrefix(opts.stage)}delivery-delay`,
      description: `Events reach trailwatch more than ${opts.deliveryDelayAlarmMinutes} minutes after the API call (p99, 15 minutes). README "When things go wrong".`,
      namespace: 'trailwatch',
      metric: 'DeliveryDelay',
      dimensions: [{ Name: 'service', Value: 'trailwatch' }],
      statistic: 'p99',
      periodSeconds: 300,
      periods: 3,
      threshold: opts.deliveryDelayAlarmMinutes * 60,
      comparison: 'GreaterThanThreshold',
      missing: 'notBreaching',
    },
    opts.topicLogicalId,
  );
}

/** Everything generated for trailwatch's own health. */
export function healthResources(opts: HealthOptions): Record<string, CfnResource> {
  if (opts.canary.enabled && !opts.functions[opts.canary.functionKey]) {
    throw new Error(`canary is on but serverless.yml declares no function "${opts.canary.functionKey}"`);
  }
  const resources: Record<string, CfnResource> = {
    ...functionAlarms(opts),
    ...canaryResources(opts),
    TrailwatchDeliveryDelayAlarm: deliveryDelayAlarm(opts),
    TrailwatchAlertTopicPolicy: topicPolicy(opts),
  };
  const alarmIds = [...STATIC_ALARMS, ...Object.keys(resources).filter((id) => resources[id]?.Type === 'AWS::CloudWatch::Alarm')];
  resources.TrailwatchDashboard = dashboard(opts, alarmIds);
  return resources;
}

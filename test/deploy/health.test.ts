import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { rules } from '../../rules/index.js';
import { parseDeployConfig } from '../../infra/config.js';
import { functionLogicalId, functionRoleArn, healthResources, type HealthOptions } from '../../infra/health.js';

// The Serverless Framework's own naming, as the oracle for the logical ids alarms refer to.
const naming = createRequire(import.meta.url)('osls/lib/plugins/aws/lib/naming.js') as { getLambdaLogicalId(key: string): string };

const options = (overrides: Partial<HealthOptions> = {}): HealthOptions => ({
  stage: 'unit',
  functions: { detect: {}, flush: {}, canary: { role: 'TrailwatchCanaryRole' } },
  topicLogicalId: 'TrailwatchAlertTopic',
  deadLetterQueueLogicalId: 'TrailwatchDeadLetterQueue',
  detectFunctionKey: 'detect',
  deliveryDelayAlarmMinutes: 20,
  canary: { enabled: true, silenceMinutes: 30, parameterName: '/trailwatch/unit/canary', roleName: 'trailwatch-unit-us-east-1-canary', functionKey: 'canary' },
  ...overrides,
});
const alarmNames = (r: ReturnType<typeof healthResources>) =>
  Object.values(r).filter((x) => x.Type === 'AWS::CloudWatch::Alarm').map((x) => x.Properties.AlarmName).sort();

describe('health resources (pure)', () => {
  it.each(['detect', 'audit-log', 'my_fn', 'Fn2', 'a-b_c'])('names function %s as serverless does', (key) => {
    expect(functionLogicalId(key)).toBe(naming.getLambdaLogicalId(key));
  });

  it('gives a newly declared function its own Errors and Throttles alarms and a dashboard line', () => {
    const r = healthResources(options({ functions: { ...options().functions, 'audit-log': { description: 'Writes ${x} audits' } } }));
    expect(r.TrailwatchAuditDashlogErrorsAlarm?.Properties).toMatchObject({
      AlarmName: 'trailwatch-unit-audit-log-errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'AuditDashlogLambdaFunction' } }],
      // A `${` in a description must not become a Fn::Sub reference.
      AlarmDescription: { 'Fn::Sub': expect.stringContaining('(Writes ${!x} audits)') },
    });
    expect(r.TrailwatchAuditDashlogThrottlesAlarm?.Properties).toMatchObject({ AlarmName: 'trailwatch-unit-audit-log-throttles', EvaluationPeriods: 3 });
    expect(JSON.stringify(r.TrailwatchDashboard)).toContain('${AuditDashlogLambdaFunction}');
  });

  it('without the canary: no schedule, no canary rule, no silence alarm; the canary function keeps its error alarm', () => {
    const on = healthResources(options());
    const off = healthResources(options({ canary: { ...options().canary, enabled: false } }));
    expect(Object.keys(on).filter((k) => !(k in off)).sort()).toEqual(['TrailwatchCanaryDetectPermission', 'TrailwatchCanaryInvokePermission', 'TrailwatchCanaryRule', 'TrailwatchCanarySchedule', 'TrailwatchCanarySilenceAlarm']);
    expect(alarmNames(off)).toContain('trailwatch-unit-canary-errors');
    expect(JSON.stringify(off.TrailwatchDashboard)).not.toContain('TrailwatchCanarySilenceAlarm');
  });

  it('turns the silence threshold into 5-minute periods', () => {
    const r = healthResources(options({ canary: { ...options().canary, silenceMinutes: 60 } }));
    expect(r.TrailwatchCanarySilenceAlarm?.Properties).toMatchObject({ Period: 300, EvaluationPeriods: 12, DatapointsToAlarm: 12, TreatMissingData: 'breaching' });
  });

  it('refuses a canary without a function', () => {
    expect(() => healthResources(options({ functions: { detect: {} } }))).toThrow(/no function "canary"/);
  });

  it('exempts from the topic policy the role each function runs as', () => {
    expect(functionRoleArn({}, undefined)).toEqual({ 'Fn::GetAtt': ['IamRoleLambdaExecution', 'Arn'] });
    expect(functionRoleArn({}, { statements: [] })).toEqual({ 'Fn::GetAtt': ['IamRoleLambdaExecution', 'Arn'] });
    expect(functionRoleArn({ role: 'DetectRole' }, undefined)).toEqual({ 'Fn::GetAtt': ['DetectRole', 'Arn'] });
    expect(functionRoleArn({ role: 'arn:aws:iam::123456789012:role/x' }, undefined)).toBe('arn:aws:iam::123456789012:role/x');
    expect(functionRoleArn({}, 'SharedRole')).toEqual({ 'Fn::GetAtt': ['SharedRole', 'Arn'] });
    expect(functionRoleArn({}, { 'Fn::ImportValue': 'role-arn' })).toEqual({ 'Fn::ImportValue': 'role-arn' });
    const policy = healthResources(options()).TrailwatchAlertTopicPolicy?.Properties.PolicyDocument as { Statement: Array<{ Effect: string; Condition: { ArnNotEquals: { 'aws:PrincipalArn': unknown[] } } }> };
    expect(policy.Statement.find((s) => s.Effect === 'Deny')?.Condition.ArnNotEquals['aws:PrincipalArn']).toEqual([
      { 'Fn::GetAtt': ['IamRoleLambdaExecution', 'Arn'] },
      { 'Fn::GetAtt': ['TrailwatchCanaryRole', 'Arn'] },
    ]);
  });

  it('reads the canary switch and the alarm thresholds from trailwatch.<stage>.yml, refusing what an alarm cannot express', () => {
    const parse = (text: string) => parseDeployConfig(text, 'trailwatch.prod.yml', { rules });
    expect(parse('{}')).toMatchObject({ canary: true, alarms: { deliveryDelayMinutes: 20, canarySilenceMinutes: 30 } });
    expect(parse('canary: false\nalarms: {canarySilenceMinutes: 60}')).toMatchObject({ canary: false, alarms: { deliveryDelayMinutes: 20, canarySilenceMinutes: 60 } });
    expect(() => parse('alarms: {canarySilenceMinutes: 7}')).toThrow(/alarms\.canarySilenceMinutes/);
    expect(() => parse('alarms: {deliveryDelayMinutes: 2000}')).toThrow(/alarms\.deliveryDelayMinutes/);
    expect(() => parse('alarms: {silence: 30}')).toThrow(/"silence" is not a setting of alarms/);
  });
});

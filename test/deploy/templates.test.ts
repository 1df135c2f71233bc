/*
 * `npm run deploy -- --dry-run` (the real `serverless package` plus the companion templates) for a home
 * region of us-east-1 and of ap-northeast-2, with and without each optional part; every template is
 * then checked: scoped IAM, encryption, EventBridge limits, and cfn-lint against the CloudFormation
 * resource specification (offline).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '../../lib/cloudtrail/types.js';
import { matchesPattern } from '../../lib/eventbridge/pattern.js';
import { functionPolicyBytes, MAX_FUNCTION_POLICY_BYTES } from '../../lib/infra/eventbridge.js';
import { rules } from '../../rules/index.js';
import { deployDryRun } from './serverless.js';
import { encryptionProblems, ofType, patternProblems, wildcardProblems, type Template } from './template-checks.js';

const STAGE = 'tpl';
interface Packaged {
  home: Template;
  companions: Record<string, Template>;
  stdout: string;
  dir: string;
}

const work = mkdtempSync(join(tmpdir(), 'trailwatch-templates-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function packageWith(name: string, config?: string): Promise<Packaged> {
  const dir = join(work, name);
  const env: Record<string, string> = {};
  if (config !== undefined) {
    const file = join(work, `${name}.yml`);
    writeFileSync(file, config);
    env.TRAILWATCH_CONFIG = file;
  }
  const { stdout } = await deployDryRun(STAGE, dir, env);
  const read = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Template;
  const companions = Object.fromEntries(readdirSync(dir).filter((f) => f.startsWith(`trailwatch-${STAGE}-`)).map((f) => [f, read(f)]));
  return { home: read('cloudformation-template-update-stack.json'), companions, stdout, dir };
}

const CONFIGS = {
  /** No file at all: the defaults, home us-east-1. */
  useast1Defaults: undefined,
  seoul: 'region: ap-northeast-2\n',
  seoulEverything: `region: ap-northeast-2
email: [{ address: secops@example.com, minSeverity: high }]
slack: [{ parameter: /trailwatch/slack/on-call, minSeverity: critical }, { parameter: /trailwatch/slack/storage, rules: [s3-mass-delete] }]
accounts: { '123456789012': prod }
forwarder: { regions: [us-east-1, eu-west-1] }
trail: { enabled: true, s3DataEvents: [logs-prod, backups-prod] }
eventBridgeOutput: { enabled: true, bus: security-alerts }
`,
  seoulOrganization: `region: ap-northeast-2
organization: { id: o-a1b2c3d4e5, organizationalUnits: [r-ab12], regions: [us-east-1, ap-northeast-2, eu-west-1] }
`,
  useast1Trail: `region: us-east-1
forwarder: { regions: [eu-west-1] }
trail: { enabled: true, insights: false }
`,
} as const;

const packaged: Partial<Record<keyof typeof CONFIGS, Packaged>> = {};
// One after another: every run builds into the same .esbuild/ folder.
beforeAll(async () => {
  for (const [name, config] of Object.entries(CONFIGS)) packaged[name as keyof typeof CONFIGS] = await packageWith(name, config);
}, 400_000);
const get = (name: keyof typeof CONFIGS): Packaged => {
  const p = packaged[name];
  if (!p) throw new Error(`${name} was not packaged`);
  return p;
};
const all = (): Array<[string, Template]> =>
  Object.entries(packaged).flatMap(([name, p]) => [[`${name}/home`, p.home] as [string, Template], ...Object.entries(p.companions).map(([f, t]) => [`${name}/${f}`, t] as [string, Template])]);

const forwardRules = (t: Template) => ofType(t, 'AWS::Events::Rule').map(([, r]) => r.Properties);
const forwardedIds = (t: Template) => forwardRules(t).map((p) => String(p.Name).replace(`trailwatch-${STAGE}-fwd-`, '')).sort();
const byId = (id: string) => rules.find((r) => r.id === id);
const sample = (file: string) => JSON.parse(readFileSync(join('events', file), 'utf8')) as Record<string, unknown>;

describe('home region us-east-1, nothing optional', () => {
  it('needs no forwarder, no trail, no organisation policy and no output subscription', () => {
    const { home, companions, stdout } = get('useast1Defaults');
    expect(companions).toEqual({});
    expect(stdout).toContain('No forwarder needed');
    for (const type of ['AWS::CloudTrail::Trail', 'AWS::S3::Bucket', 'AWS::Events::EventBusPolicy']) {
      expect(ofType(home, type).filter(([id]) => id !== 'ServerlessDeploymentBucket')).toEqual([]);
    }
    expect(ofType(home, 'AWS::SNS::Subscription')).toEqual([]);
    expect(ofType(home, 'AWS::KMS::Key').map(([id]) => id)).toEqual(['TrailwatchAlertKey']);
  });
});

describe('home region ap-northeast-2', () => {
  it('adds a us-east-1 forwarder for exactly the events delivered only there', () => {
    const { companions, stdout } = get('seoul');
    expect(Object.keys(companions)).toEqual([`trailwatch-${STAGE}-forwarder-us-east-1.json`]);
    expect(stdout).toMatch(/aws cloudformation deploy --region us-east-1 --stack-name trailwatch-tpl-forwarder/);
    const t = companions[`trailwatch-${STAGE}-forwarder-us-east-1.json`] as Template;
    const usEast1Only = rules.filter((r) => r.requires.usEast1Only).map((r) => r.id);
    const signIn = rules.filter((r) => !r.requires.usEast1Only && JSON.stringify(r.pattern['detail-type'] ?? DETAIL_TYPES.consoleSignIn).includes(DETAIL_TYPES.consoleSignIn)).map((r) => r.id);
    expect(usEast1Only).toContain('iam-user-deleted');
    expect(forwardedIds(t)).toEqual([...usEast1Only, ...signIn].sort());
    for (const p of forwardRules(t)) {
      const id = String(p.Name).replace(`trailwatch-${STAGE}-fwd-`, '');
      const rule = byId(id);
      // Global rules travel whole; regional rules only for their console sign-ins.
      if (rule?.requires.usEast1Only) expect(p.EventPattern).toEqual(rule.pattern);
      else expect((p.EventPattern as Record<string, unknown>)['detail-type']).toEqual(expect.arrayContaining([DETAIL_TYPES.consoleSignIn]));
      expect(p.Targets).toEqual([
        expect.objectContaining({
          Arn: { 'Fn::Sub': ['arn:${AWS::Partition}:events:ap-northeast-2:${Account}:event-bus/default', { Account: { Ref: 'AWS::AccountId' } }] },
          RoleArn: { 'Fn::GetAtt': ['ForwardRole', 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['ForwardDeadLetterQueue', 'Arn'] } },
        }),
      ]);
      expect(p.State).toBe(rule?.readOnlyEvents ? 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS' : 'ENABLED');
    }
  });

  it('forwards the IAM DeleteUser event unchanged, and the home rule matches it as it arrives (region us-east-1)', () => {
    const t = get('seoul').companions[`trailwatch-${STAGE}-forwarder-us-east-1.json`] as Template;
    // The sample is anonymised; a real DeleteUser is delivered in us-east-1, and arrives with that region.
    const event = { ...sample('iam-user-deleted.json'), region: 'us-east-1' };
    const forwarding = forwardRules(t).filter((p) => matchesPattern(p.EventPattern, event));
    expect(forwarding.map((p) => p.Name)).toEqual([`trailwatch-${STAGE}-fwd-iam-user-deleted`]);
    const home = ofType(get('seoul').home, 'AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern && matchesPattern(r.Properties.EventPattern, event));
    expect(home.map(([, r]) => r.Properties.Name)).toContain(`trailwatch-${STAGE}-iam-user-deleted`);
  });

  it('lets the forwarder put events on the home bus and do nothing else', () => {
    const t = get('seoul').companions[`trailwatch-${STAGE}-forwarder-us-east-1.json`] as Template;
    const role = t.Resources.ForwardRole?.Properties as { Policies: Array<{ PolicyDocument: { Statement: unknown[] } }> };
    expect(role.Policies.flatMap((p) => p.PolicyDocument.Statement)).toEqual([
      { Sid: 'PutOnHomeBus', Effect: 'Allow', Action: 'events:PutEvents', Resource: { 'Fn::Sub': ['arn:${AWS::Partition}:events:ap-northeast-2:${Account}:event-bus/default', { Account: { Ref: 'AWS::AccountId' } }] } },
    ]);
  });

  it('with every option: us-east-1 forwards all rules, eu-west-1 the regional ones; trail, output and Slack routes are deployed', () => {
    const { home, companions } = get('seoulEverything');
    const usEast1 = companions[`trailwatch-${STAGE}-forwarder-us-east-1.json`] as Template;
    const euWest1 = companions[`trailwatch-${STAGE}-forwarder-eu-west-1.json`] as Template;
    expect(forwardedIds(usEast1)).toEqual(rules.map((r) => r.id).sort());
    expect(forwardedIds(euWest1)).toEqual(rules.filter((r) => !r.requires.usEast1Only).map((r) => r.id).sort());
    const trail = ofType(home, 'AWS::CloudTrail::Trail')[0]?.[1].Properties;
    expect(trail).toMatchObject({ IsMultiRegionTrail: true, IncludeGlobalServiceEvents: true, EnableLogFileValidation: true, IsLogging: true });
    expect(trail?.InsightSelectors).toEqual([{ InsightType: 'ApiCallRateInsight' }, { InsightType: 'ApiErrorRateInsight' }]);
    const selectors = JSON.stringify(trail?.AdvancedEventSelectors);
    expect(selectors).toContain('"Equals":["DeleteObject","DeleteObjects"]');
    expect(selectors).toContain('arn:${AWS::Partition}:s3:::logs-prod/');
    expect(selectors).toContain('arn:${AWS::Partition}:s3:::backups-prod/');
    const bucket = home.Resources.TrailwatchTrailBucket?.Properties;
    expect(bucket?.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(JSON.stringify(home.Resources.TrailwatchTrailKey?.Properties.KeyPolicy)).toContain('cloudtrail.amazonaws.com');
    expect(JSON.stringify(home.Resources.TrailwatchTrailBucketPolicy?.Properties)).toMatch(/s3:GetBucketAcl.*s3:PutObject/);
    const subs = ofType(home, 'AWS::SNS::Subscription').map(([id]) => id).sort();
    expect(subs).toEqual(['TrailwatchEmailSubscription1', 'TrailwatchOutputSubscription', 'TrailwatchSlackSubscription']);
    const output = home.Resources.TrailwatchOutputRole?.Properties as { Policies: Array<{ PolicyDocument: { Statement: Array<{ Action: string; Resource: unknown }> } }> };
    expect(JSON.stringify(output.Policies)).toContain('event-bus/security-alerts');
    expect((home.Resources.OutputLambdaFunction?.Properties.Environment as { Variables: Record<string, string> }).Variables.OUTPUT_EVENT_BUS).toBe('security-alerts');
  });

  it('for an organisation: a bus policy admitting its accounts and a StackSet template for every member and region', () => {
    const { home, companions, stdout } = get('seoulOrganization');
    expect(Object.keys(companions)).toEqual([`trailwatch-${STAGE}-organization-stackset.json`]);
    expect(ofType(home, 'AWS::Events::EventBusPolicy').map(([, r]) => r.Properties.Statement)).toEqual([
      expect.objectContaining({ Action: 'events:PutEvents', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } } }),
    ]);
    expect(stdout).toMatch(/create-stack-set --stack-set-name trailwatch-tpl-forwarders .*--permission-model SERVICE_MANAGED/);
    expect(stdout).toMatch(/create-stack-instances .*OrganizationalUnitIds=r-ab12 --regions us-east-1 ap-northeast-2 eu-west-1/);
    const t = companions[`trailwatch-${STAGE}-organization-stackset.json`] as Template;
    expect(t.Parameters).toHaveProperty('CentralAccountId');
    const conditions = Object.fromEntries(ofType(t, 'AWS::Events::Rule').map(([, r]) => [String(r.Properties.Name).replace(`trailwatch-${STAGE}-fwd-`, ''), r.Condition]));
    for (const rule of rules) expect(conditions[rule.id]).toBe(rule.requires.usEast1Only ? 'ForwardsGlobal' : 'Forwards');
    // Never the home bus forwarding to itself.
    expect(JSON.stringify(t.Conditions?.IsHomeBus)).toContain('ap-northeast-2');
  });
});

describe('home region us-east-1 with a forwarded region and the trail', () => {
  it('forwards only the regional events of eu-west-1 and deploys the trail without Insights', () => {
    const { home, companions } = get('useast1Trail');
    expect(Object.keys(companions)).toEqual([`trailwatch-${STAGE}-forwarder-eu-west-1.json`]);
    expect(forwardedIds(companions[`trailwatch-${STAGE}-forwarder-eu-west-1.json`] as Template)).not.toContain('iam-user-deleted');
    const trail = ofType(home, 'AWS::CloudTrail::Trail')[0]?.[1].Properties;
    expect(trail?.InsightSelectors).toBeUndefined();
    expect(JSON.stringify(trail?.AdvancedEventSelectors)).not.toContain('resources.ARN');
  });
});

describe('every packaged template', () => {
  it('scopes every IAM statement: no wildcard action, no "*" resource', () => {
    expect(all().length).toBeGreaterThanOrEqual(10);
    for (const [name, t] of all()) expect({ name, problems: wildcardProblems(t) }).toEqual({ name, problems: [] });
  });

  it('gives each function its own role, and only slack may read SSM and only detect and flush touch the state table', () => {
    const { home } = get('seoulEverything');
    for (const fn of ['Detect', 'Flush', 'Slack', 'Output']) expect(home.Resources[`${fn}LambdaFunction`]?.Properties.Role).toEqual({ 'Fn::GetAtt': [`Trailwatch${fn}Role`, 'Arn'] });
    expect(home.Resources.IamRoleLambdaExecution).toBeUndefined();
    const actions = (role: string) => JSON.stringify((home.Resources[role]?.Properties.Policies as Array<{ PolicyDocument: unknown }>)[0]?.PolicyDocument);
    // detect uses the alert topic's key through SNS only, and reads no parameter.
    expect(actions('TrailwatchDetectRole')).not.toMatch(/ssm:|:parameter/);
    expect(actions('TrailwatchDetectRole').match(/kms:ViaService[^}]*/g)?.every((c) => c.includes('sns.'))).toBe(true);
    expect(actions('TrailwatchSlackRole')).not.toMatch(/dynamodb:|sns:Publish/);
    expect(actions('TrailwatchOutputRole')).not.toMatch(/dynamodb:|ssm:|sns:Publish/);
  });

  it('encrypts the topic, queues, table, trail bucket and trail', () => {
    for (const [name, t] of all()) expect({ name, problems: encryptionProblems(t) }).toEqual({ name, problems: [] });
  });

  it('fits EventBridge\'s limits, and Lambda\'s policy limit with one invoke permission per rule', () => {
    for (const [name, t] of all()) expect({ name, problems: patternProblems(t) }).toEqual({ name, problems: [] });
    const { home } = get('seoulEverything');
    const invoke = ofType(home, 'AWS::Lambda::Permission').filter(([, r]) => r.Properties.Principal === 'events.amazonaws.com' && JSON.stringify(r.Properties.FunctionName).includes('Detect'));
    // Every rule that targets detect (the pack's, and the canary's) has its own permission, by ARN.
    const targeting = ofType(home, 'AWS::Events::Rule')
      .filter(([, r]) => JSON.stringify(r.Properties.Targets).includes('DetectLambdaFunction'))
      .map(([id]) => ({ 'Fn::GetAtt': [id, 'Arn'] }));
    expect(targeting.length).toBeGreaterThanOrEqual(rules.length);
    expect(invoke.map(([, r]) => r.Properties.SourceArn)).toEqual(expect.arrayContaining(targeting));
    expect(invoke).toHaveLength(targeting.length);
    for (const [, r] of invoke) expect(JSON.stringify(r.Properties.SourceArn)).not.toContain('*');
    expect(functionPolicyBytes(rules.map((r) => r.id), STAGE)).toBeLessThan(MAX_FUNCTION_POLICY_BYTES);
  });

  it('passes cfn-lint: resource types and properties valid against the CloudFormation specification', async () => {
    const files = Object.values(packaged).flatMap((p) => [
      join(p.dir, 'cloudformation-template-update-stack.json'),
      ...Object.keys(p.companions).map((f) => join(p.dir, f)),
    ]);
    const findings = await cfnLint(files);
    expect(findings).toEqual([]);
  }, 120_000);
});

describe('the checks themselves', () => {
  const role = (statement: Record<string, unknown>): Template => ({
    Resources: { R: { Type: 'AWS::IAM::Role', Properties: { Policies: [{ PolicyDocument: { Statement: [{ Effect: 'Allow', ...statement }] } }] } } },
  });

  it.each([
    [{ Action: '*', Resource: 'arn:aws:s3:::b' }, 'R[0]: action "*"'],
    [{ Action: ['s3:GetObject', 's3:*'], Resource: 'arn:aws:s3:::b/*' }, 'R[0]: action "s3:*"'],
    [{ Action: 'kms:Create*', Resource: 'arn:aws:kms:us-east-1:1:key/k' }, 'R[0]: action "kms:Create*"'],
    [{ Action: 'sns:Publish', Resource: '*' }, 'R[0]: resource "*"'],
  ])('fails on %j', (statement, problem) => {
    expect(wildcardProblems(role(statement))).toEqual([problem]);
  });

  it('fails on a managed policy, whose grants are not in the template', () => {
    expect(wildcardProblems({ Resources: { R: { Type: 'AWS::IAM::Role', Properties: { ManagedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'] } } } })).toHaveLength(1);
  });

  it('fails on an unencrypted queue and a pattern over 2,048 characters', () => {
    expect(encryptionProblems({ Resources: { Q: { Type: 'AWS::SQS::Queue', Properties: {} } } })).toEqual(['Q: queue without SSE']);
    const big = { Resources: { E: { Type: 'AWS::Events::Rule', Properties: { EventPattern: { detail: { eventName: Array.from({ length: 400 }, (_, i) => `Name${i}`) } } } } } };
    expect(patternProblems(big)).toEqual([expect.stringMatching(/^E: pattern of \d+ characters$/)]);
  });

  it('cfn-lint reports an unknown property and a wrong resource type', async () => {
    const file = join(work, 'broken.json');
    writeFileSync(file, JSON.stringify({ Resources: { Q: { Type: 'AWS::SQS::Queue', Properties: { RetentionDays: 4 } }, T: { Type: 'AWS::SNS::Topik', Properties: {} } } }));
    const findings = await cfnLint([file]);
    expect([...new Set(findings.map((f) => f.rule))].sort()).toEqual(['E3002', 'E3006']);
  }, 60_000);
});

/**
 * cfn-lint (AWS's CloudFormation linter, installed on this project's machines: see .ci/run), offline:
 * it carries the resource specification. Errors and warnings count; W3005 (an explicit DependsOn that a
 * GetAtt already implies) is how serverless writes every function's role dependency, not ours.
 */
async function cfnLint(files: string[]): Promise<Array<{ file: string; rule: string; message: string }>> {
  const run = promisify(execFile);
  const result = await run('cfn-lint', ['--format', 'json', '--regions', 'us-east-1', 'ap-northeast-2', 'eu-west-1', '--ignore-checks', 'W3005', 'I', '--', ...files], { maxBuffer: 16 * 1024 * 1024 }).catch(
    (error: { stdout?: string; code?: number }) => {
      // Exit codes flag findings (2 errors, 4 warnings, 8 informational); only the JSON tells what they are.
      if (typeof error.stdout === 'string' && error.stdout.trim().startsWith('[')) return { stdout: error.stdout };
      if ((error as { code?: unknown }).code === 'ENOENT') throw new Error('cfn-lint is not installed (see .ci/run)', { cause: error });
      throw error;
    },
  );
  const findings = JSON.parse(result.stdout) as Array<{ Filename: string; Rule: { Id: string }; Message: string }>;
  return findings.map((f) => ({ file: f.Filename, rule: f.Rule.Id, message: f.Message }));
}

describe('an event forwarded from a member account', () => {
  it('alerts in the home region naming the source account by its configured name', async () => {
    const { runtimeFromEnv } = await import('../../lib/runtime.js');
    const { settings } = await import('../../infra/stack.js');
    const { parseDeployConfig } = await import('../../infra/config.js');
    const config = parseDeployConfig("region: ap-northeast-2\naccounts: { '210987654321': staging }\n", 'trailwatch.prod.yml', { rules });
    const s = settings(config);
    const runtime = runtimeFromEnv(rules, { TRAILWATCH_STATE: 'memory', TRAILWATCH_CLOCK: 'event', ACCOUNT_NAMES: String(s.accountNames), RULE_TUNING: String(s.ruleTuning) });
    // As the StackSet's forwarder delivers it: unchanged, from the member account, region us-east-1.
    const event = { ...sample('iam-user-deleted.json'), account: '210987654321', region: 'us-east-1' };
    const result = await runtime.detector.process(event);
    expect(result.alerts.map((a) => [a.ruleId, a.account, a.accountName, a.region])).toEqual([['iam-user-deleted', '210987654321', 'staging', 'us-east-1']]);
  });
});

// One file, so the packaging and the local invocations never build into .esbuild/ at the same time.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionPolicyBytes, MAX_FUNCTION_POLICY_BYTES, READ_ONLY_STATE, routesFor } from '../../infra/eventbridge.js';
import { healthRuleNames } from '../../infra/health.js';
import { rules } from '../../rules/index.js';
import { describeHealthTemplate } from './health-template.js';
import { readmeCommands } from '../support/readme-commands.js';
import { ROOT, serverless } from './serverless.js';

type Template = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

const out = mkdtempSync(join(tmpdir(), 'trailwatch-package-'));
let template: Template;

beforeAll(async () => {
  await serverless(['package', '--stage', 'ci', '--package', out], { TRAILWATCH_CONFIG: 'test/deploy/configs/emails.yml' });
  template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
}, 180_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

const ofType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

describe('serverless package (offline, no credentials)', () => {
  it('routes every detection through one EventBridge rule whose pattern holds the rule file\'s, in the state it needs', () => {
    const deployed = ofType('AWS::Events::Rule').filter(([, r]) => String(r.Properties.Name ?? '').startsWith('trailwatch-ci-') && !healthRuleNames('ci').includes(String(r.Properties.Name)));
    const routes = routesFor(rules, 'ci');
    expect(deployed.map(([, r]) => r.Properties.Name).sort()).toEqual(routes.map((r) => r.name).sort());
    for (const rule of rules) {
      const holding = deployed.filter(([, r]) => {
        const pattern = r.Properties.EventPattern as Record<string, unknown>;
        const alternatives = Array.isArray(pattern.$or) ? (pattern.$or as unknown[]) : [pattern];
        return alternatives.some((p) => JSON.stringify(p) === JSON.stringify(rule.pattern));
      });
      expect(holding.map(([, r]) => r.Properties.Description)).toEqual([expect.stringContaining(rule.id)]);
      const [, resource] = holding[0] ?? [];
      expect(JSON.stringify(resource?.Properties.EventPattern).length).toBeLessThanOrEqual(2048);
      expect(resource?.Properties.State).toBe(rule.readOnlyEvents ? READ_ONLY_STATE : 'ENABLED');
      const [target] = resource?.Properties.Targets as Array<Record<string, unknown>>;
      expect(target).toMatchObject({ Arn: { 'Fn::GetAtt': ['DetectLambdaFunction', 'Arn'] }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['TrailwatchDeadLetterQueue', 'Arn'] } } });
    }
  });

  it('lets EventBridge invoke the function from exactly the generated rules, each named by its own ARN', () => {
    const permissions = ofType('AWS::Lambda::Permission').filter(([, r]) => r.Properties.Principal === 'events.amazonaws.com' && JSON.stringify(r.Properties.FunctionName).includes('DetectLambdaFunction'));
    const targetsDetect = (r: { Properties: Record<string, unknown> }) => JSON.stringify(r.Properties.Targets).includes('"DetectLambdaFunction"');
    const ruleIds = ofType('AWS::Events::Rule').filter(([, r]) => String(r.Properties.Name ?? '').startsWith('trailwatch-ci-') && targetsDetect(r)).map(([id]) => id);
    expect(permissions.map(([, r]) => r.Properties.SourceArn)).toEqual(ruleIds.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })));
    expect(JSON.stringify(permissions)).not.toContain('*');
    expect(functionPolicyBytes(routesFor(rules, 'ci').map((r) => r.name), 'ci')).toBeLessThan(MAX_FUNCTION_POLICY_BYTES);
  });

  it('runs Node 24 on arm64 with plain-string environment (nothing invoke local would resolve against AWS)', () => {
    const fn = template.Resources.DetectLambdaFunction?.Properties;
    expect(fn?.Runtime).toBe('nodejs24.x');
    expect(fn?.Architectures).toEqual(['arm64']);
    const vars = (fn?.Environment as { Variables: Record<string, unknown> }).Variables;
    for (const value of Object.values(vars)) expect(typeof value).toBe('string');
    expect(vars).toMatchObject({ ALERT_TOPIC_NAME: 'trailwatch-ci-alerts', STATE_TABLE: 'trailwatch-ci-state' });
  });

  it('defines the alert topic, the state table with TTL, and email subscriptions with severity filters', () => {
    expect(template.Resources.TrailwatchAlertTopic?.Properties.TopicName).toBe('trailwatch-ci-alerts');
    expect(template.Resources.TrailwatchStateTable?.Properties).toMatchObject({ BillingMode: 'PAY_PER_REQUEST', TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } });
    const subs = ofType('AWS::SNS::Subscription').map(([, r]) => r.Properties);
    expect(subs).toEqual([
      expect.objectContaining({ Protocol: 'email', Endpoint: 'secops@example.com', FilterPolicy: { $or: [{ severity: ['high', 'critical'] }, { severity: [{ exists: false }] }] } }),
      expect.objectContaining({ Protocol: 'email', Endpoint: 'ops@example.com', FilterPolicy: { $or: [{ severity: ['info', 'low', 'medium', 'high', 'critical'] }, { severity: [{ exists: false }] }] } }),
    ]);
  });

  it('schedules the follow-up flush every 5 minutes, one at a time', () => {
    const flush = template.Resources.FlushLambdaFunction?.Properties;
    expect(flush?.ReservedConcurrentExecutions).toBe(1);
    const schedule = ofType('AWS::Events::Rule').find(([, r]) => r.Properties.ScheduleExpression === 'rate(5 minutes)');
    expect(schedule).toBeDefined();
  });
});

describeHealthTemplate(() => template, 'ci');

const state = mkdtempSync(join(tmpdir(), 'trailwatch-invoke-'));
afterAll(() => rmSync(state, { recursive: true, force: true }));

const invoke = (event: string) =>
  serverless(['invoke', 'local', '-f', 'detect', '-p', event], {
    TRAILWATCH_CLOCK: 'event',
    TRAILWATCH_STATE_FILE: join(state, 'state.json'),
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });

/** `npm run <script>` in the project root, offline (as a user runs it). */
const npmRun = (script: string, args: string[] = []) =>
  promisify(execFile)('npm', ['run', '--silent', script, ...(args.length ? ['--', ...args] : [])], {
    cwd: ROOT,
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('TRAILWATCH_'))), POWERTOOLS_LOG_LEVEL: 'ERROR' },
    maxBuffer: 32 * 1024 * 1024,
    timeout: 120_000,
  });

describe('local state, where the README says it is', () => {
  // The developer's own local state is put aside for the test and restored after it.
  const own = join(ROOT, '.trailwatch');
  const aside = mkdtempSync(join(tmpdir(), 'trailwatch-own-state-'));
  beforeAll(() => {
    if (existsSync(own)) renameSync(own, join(aside, 'state'));
  });
  afterAll(() => {
    rmSync(own, { recursive: true, force: true });
    if (existsSync(join(aside, 'state'))) renameSync(join(aside, 'state'), own);
    rmSync(aside, { recursive: true, force: true });
  });

  it('runs the README\'s local commands as written (demo, invoke twice, state:reset, invoke): state in .trailwatch/ at the project root', async () => {
    // Read from the README itself (test/support/readme-commands.ts), so it cannot drift from the code.
    const local = readmeCommands().filter((c) => /npm run (demo|invoke|state:reset)\b/.test(c.command));
    expect(local.map((c) => c.command.replace(/^npm ci && /, '').split(' ').slice(0, 3).join(' '))).toEqual([
      'npm run demo',
      'npm run invoke',
      'npm run invoke',
      'npm run state:reset',
      'npm run invoke',
    ]);
    const outputs: string[] = [];
    for (const c of local) {
      const [script, ...args] = c.command.replace(/^npm ci && /, '').replace(/^npm run /, '').split(/\s+/);
      outputs.push((await npmRun(script ?? '', args.filter((a) => a !== '--'))).stdout);
    }
    const [demo, first, second, reset, third] = outputs;
    expect(demo).toContain('Subject: [trailwatch] MEDIUM IAM user deleted');
    expect(first).toContain('Subject: [trailwatch] MEDIUM IAM user deleted');
    expect(existsSync(join(ROOT, '.trailwatch', 'state.json'))).toBe(true);
    expect(second).not.toContain('Subject:');
    expect(second).toContain('"duplicates": [\n        "iam-user-deleted"');
    expect(reset).toContain('local state cleared');
    expect(third).toContain('Subject: [trailwatch] MEDIUM IAM user deleted');
    // Four `serverless invoke local` processes and npm: room on a loaded 2-core box.
  }, 300_000);
});

describe('serverless invoke local (no credentials)', () => {
  it('prints a readable alert for an IAM user deletion', async () => {
    const { stdout } = await invoke('events/iam-user-deleted.json');
    expect(stdout).toContain('Subject: [trailwatch] MEDIUM IAM user deleted - user/christophe in 229654561268');
    expect(stdout).toContain('IAM user malicious-iam-user deleted by user/christophe');
  });

  it('fires a burst rule on the Nth event when the burst samples are invoked one after another', async () => {
    const dir = 'events/bursts/s3-bucket-mass-delete';
    const files = readdirSync(dir).sort();
    expect(files.length).toBeGreaterThan(1);
    const outputs: string[] = [];
    for (const file of files) outputs.push((await invoke(join(dir, file))).stdout);
    expect(outputs.slice(0, -1).every((o) => !o.includes('Subject:'))).toBe(true);
    expect(outputs.at(-1)).toContain('Subject: [trailwatch] HIGH Several S3 buckets deleted');
    expect(outputs.at(-1)).toMatch(/Count\s+3/);
    // Delivered again, the same event is a duplicate: state persisted across processes.
    expect((await invoke(join(dir, files[0] ?? ''))).stdout).toContain('"duplicates": [\n        "s3-bucket-mass-delete"');
    // Four `serverless invoke local` processes: measured at 55-60 s on a loaded 2-core box.
  }, 240_000);
});

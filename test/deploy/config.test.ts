import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigFileError, loadDeployConfig, parseDeployConfig, refuseMovedParams } from '../../infra/config.js';
import { settings } from '../../infra/stack.js';
import { rules } from '../../rules/index.js';
import { ROOT, serverless } from './serverless.js';

const parse = (text: string, cliRegion?: string) => parseDeployConfig(text, 'trailwatch.prod.yml', { rules, cliRegion });

describe('trailwatch.<stage>.yml', () => {
  it('defaults everything when the stage has no file (invoke local and the demo need none)', () => {
    const config = loadDeployConfig({ serviceDir: join(ROOT, 'test/deploy/configs'), stage: 'no-such-stage', rules, env: {} });
    expect(config).toMatchObject({
      file: '(defaults)',
      region: 'us-east-1',
      email: [],
      slack: [],
      accounts: {},
      allowedLatenessMinutes: 30,
      rules: {},
      forwarder: { globalEvents: true, regions: [] },
      trail: { enabled: false },
      eventBridgeOutput: { enabled: false },
      canary: true,
    });
    expect(config.organization).toBeUndefined();
  });

  it('reads the commented example in the repository', () => {
    const config = parse(readFileSync(join(ROOT, 'infra/trailwatch.example.yml'), 'utf8'));
    expect(config.region).toBe('ap-northeast-2');
    expect(config.email).toEqual([
      { address: 'secops@example.com', minSeverity: 'high' },
      { address: 'platform@example.com', minSeverity: 'info' },
    ]);
    expect(config.slack[2]).toEqual({ parameter: '/trailwatch/slack/storage', minSeverity: 'low', rules: ['s3-mass-delete', 's3-bucket-mass-delete'] });
    expect(config.accounts).toEqual({ '123456789012': 'prod', '210987654321': 'staging' });
  });

  it('hands the functions plain strings: account names, lateness, rule settings verbatim, Slack routes', () => {
    const s = settings(parse("accounts: {'123456789012': prod}\nallowedLatenessMinutes: 45\nrules: {s3-mass-delete: {dedupeMinutes: 90}}\nslack: [{parameter: /a/b, rules: [iam-user-deleted]}]\n"));
    expect(s).toEqual({
      region: 'us-east-1',
      accountNames: '123456789012=prod',
      allowedLatenessMinutes: '45',
      ruleTuning: '{"s3-mass-delete":{"dedupeMinutes":90}}',
      slackRoutes: '[{"parameter":"/a/b","minSeverity":"medium","rules":["iam-user-deleted"]}]',
      outputBus: 'default',
      canary: true,
    });
  });

  it('takes the home region from the file or --region, and refuses two different answers', () => {
    expect(parse('{}', 'eu-west-1').region).toBe('eu-west-1');
    expect(parse('region: ap-northeast-2', 'ap-northeast-2').region).toBe('ap-northeast-2');
    expect(() => parse('region: ap-northeast-2', 'eu-west-1')).toThrow('trailwatch.prod.yml: region is ap-northeast-2 but --region says eu-west-1');
  });

  // The table the issue asks for: a broken file, and the message its author gets.
  it.each([
    ['email: [{address: secops}]', 'trailwatch.prod.yml: email[0].address: "secops" is not an email address'],
    ['email: [{address: a@example.com, minSeverity: urgent}]', 'trailwatch.prod.yml: email[0].minSeverity: "urgent" is not a severity (info, low, medium, high, critical)'],
    ['emails: []', 'trailwatch.prod.yml: "emails" is not a setting'],
    ['trail: {enabled: true, insight: true}', 'trailwatch.prod.yml: "insight" is not a setting of trail'],
    ['slack: [{parameter: https://hooks.slack.com/services/T/B/x}]', 'trailwatch.prod.yml: slack[0].parameter: "https://hooks.slack.com/services/T/B/x" is not an SSM parameter name starting with /'],
    ['slack: [{parameter: /a, rules: [no-such-rule]}]', 'trailwatch.prod.yml: slack[0].rules: "no-such-rule" is not a rule id'],
    ['accounts: {012345678901: prod}', 'trailwatch.prod.yml: accounts.12345678901: "12345678901" is not a 12-digit account id (quote it in YAML)'],
    ["accounts: {'12345': prod}", 'trailwatch.prod.yml: accounts.12345: "12345" is not a 12-digit account id'],
    ["accounts: {'123456789012': 'a,b'}", 'trailwatch.prod.yml: accounts.123456789012: must be 1-64 characters without , = or a line break'],
    ['allowedLatenessMinutes: "30"', 'trailwatch.prod.yml: allowedLatenessMinutes: '],
    ['region: tokyo', 'trailwatch.prod.yml: region: "tokyo" is not an AWS region name'],
    ['forwarder: {regions: everywhere}', 'trailwatch.prod.yml: forwarder.regions: must be all or a list of region names'],
    ['forwarder: {regions: [eu-west-1, us-east-1]}', 'trailwatch.prod.yml: forwarder.regions: us-east-1 is the home region'],
    ['organization: {id: my-org, regions: [us-east-1], organizationalUnits: [r-ab12]}', 'trailwatch.prod.yml: organization.id: "my-org" is not an organization id'],
    ['organization: {id: o-a1b2c3d4e5, regions: [us-east-1], organizationalUnits: [Security]}', 'trailwatch.prod.yml: organization.organizationalUnits[0]: "Security" is not an organization root (r-...) or unit (ou-...) id'],
    ['organization: {id: o-a1b2c3d4e5, organizationalUnits: [r-ab12]}', 'trailwatch.prod.yml: organization.regions: '],
    ['trail: {enabled: true, s3DataEvents: [My_Bucket]}', 'trailwatch.prod.yml: trail.s3DataEvents'],
    ['rules: {no-such-rule: {}}', 'trailwatch.prod.yml: rules: names unknown rule "no-such-rule"'],
    ['rules: {s3-mass-delete: {threshold: {count: 0, windowMinutes: 5}}}', 'trailwatch.prod.yml: rules: s3-mass-delete.threshold.count must be a positive whole number'],
    ['email: [a: 1\n  b', 'trailwatch.prod.yml:2: not valid YAML: Flow sequence in block collection must be sufficiently indented'],
    ['email: []\nemail: []', 'trailwatch.prod.yml:2: not valid YAML: Map keys must be unique'],
    ['- just\n- a list', 'trailwatch.prod.yml: must be a mapping of settings'],
  ])('refuses %j', (text, message) => {
    expect(() => parse(text)).toThrow(ConfigFileError);
    expect(() => parse(text)).toThrow(message);
  });

  it('lists every problem of a file, one per line', () => {
    expect(() => parse('email: [{address: x}]\ncanary: yes-please')).toThrow(/email\[0\]\.address: "x" is not an email address\ntrailwatch\.prod\.yml: canary: /);
  });

  it.each([
    ['alertEmails=secops@example.com', 'email'],
    ['accountNames=123456789012=prod', 'accounts'],
    ['allowedLatenessMinutes=10', 'allowedLatenessMinutes'],
    ['ruleTuning={}', 'rules'],
    ['slackWebhookParameter=/trailwatch/slack-webhook', 'slack'],
    ['slackMinSeverity=high', 'slack'],
  ])('says where --param %s moved', (param, key) => {
    expect(() => refuseMovedParams([param], 'trailwatch.prod.yml')).toThrow(`--param ${param.split('=')[0]} is no longer read: set "${key}" in trailwatch.prod.yml instead`);
  });

  it('leaves other --param values alone', () => {
    expect(() => refuseMovedParams(['somethingElse=1'], 'trailwatch.prod.yml')).not.toThrow();
  });

  it('fails on a TRAILWATCH_CONFIG that names no file instead of deploying defaults', () => {
    expect(() => loadDeployConfig({ serviceDir: ROOT, stage: 'prod', rules, env: { TRAILWATCH_CONFIG: 'nowhere.yml' } })).toThrow('nowhere.yml: no such file');
  });
});

describe('serverless package with a broken configuration (offline)', () => {
  const failure = async (args: string[], env: Record<string, string>) => {
    const error = await serverless(['package', '--stage', 'cfgci', '--package', join(tmpdir(), 'trailwatch-never-written'), ...args], env).then(
      () => undefined,
      (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ''}${e.stderr ?? ''}`,
    );
    expect(error).toBeDefined();
    return error ?? '';
  };

  it('stops before building anything and names the file, the key and the problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trailwatch-bad-config-'));
    const file = join(dir, 'trailwatch.cfgci.yml');
    writeFileSync(file, 'email:\n  - address: secops@example.com\n    minSeverity: urgent\n');
    try {
      const output = await failure([], { TRAILWATCH_CONFIG: file });
      expect(output).toContain(`${file}: email[0].minSeverity: "urgent" is not a severity (info, low, medium, high, critical)`);
      // Said once in full, not once per variable that reads the file.
      expect(output.split('is not a severity').length - 1).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a moved --param with where the setting went', async () => {
    const output = await failure(['--param', 'alertEmails=secops@example.com'], {});
    expect(output).toContain('--param alertEmails is no longer read: set "email" in trailwatch.cfgci.yml instead');
  });
});

/*
 * `npm run deploy -- --stage prod [--dry-run]`: one command for everything a configuration file asks
 * for. 1. the serverless stack in the home region; 2. the forwarders in us-east-1 and any extra
 * regions (plain CloudFormation, `aws cloudformation deploy`); 3. for an organisation, the StackSet
 * of forwarding rules in every member account and region. `--dry-run` packages everything offline into
 * .serverless/ and prints the AWS commands instead of running them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { companionTemplates, deployConfig } from '../infra/stack.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVERLESS = join(ROOT, 'node_modules/osls/bin/serverless.js');

const { values } = parseArgs({
  options: {
    stage: { type: 'string', default: 'dev' },
    'dry-run': { type: 'boolean', default: false },
    out: { type: 'string' },
    /** With `forwarder.regions: all` and --dry-run: the regions to assume enabled (comma-separated). */
    'enabled-regions': { type: 'string' },
  },
});
const stage = values.stage ?? 'dev';
const dryRun = values['dry-run'] ?? false;
const out = values.out ?? join(ROOT, '.serverless');

const config = deployConfig({ serviceDir: ROOT, stage, env: process.env });
console.log(`trailwatch ${stage}: home region ${config.region} (configuration: ${config.file})`);

function run(cmd: string, args: string[]): void {
  console.log(`$ ${[cmd, ...args].map((a) => (/[\s"'$]/.test(a) ? `'${a}'` : a)).join(' ')}`);
  if (dryRun && cmd === 'aws') return;
  const result = spawnSync(cmd, args, { stdio: 'inherit', cwd: ROOT });
  if (result.status !== 0) {
    console.error(`trailwatch deploy: ${cmd} failed (exit ${result.status ?? result.signal}); nothing after it was deployed.`);
    process.exit(result.status ?? 1);
  }
}

// 1. The home stack first: an organisation's forwarders need its bus policy in place.
run(process.execPath, [SERVERLESS, dryRun ? 'package' : 'deploy', '--stage', stage, '--region', config.region, ...(dryRun ? ['--package', out] : [])]);

// 2. and 3. The companion templates, written where `serverless package` writes its own.
mkdirSync(out, { recursive: true });
// `forwarder.regions: all`: every region enabled in this account (opt-in regions only once opted in).
const enabledRegions = (): string[] => {
  if (values['enabled-regions']) return values['enabled-regions'].split(',').map((r) => r.trim()).filter(Boolean);
  if (dryRun) throw new Error('forwarder.regions is all: pass --enabled-regions a,b,c with --dry-run (no AWS call is made)');
  const text = execFileSync('aws', ['ec2', 'describe-regions', '--region', config.region, '--query', 'Regions[].RegionName', '--output', 'text'], { encoding: 'utf8' });
  return text.split(/\s+/).filter(Boolean);
};
const templates = companionTemplates(config, stage, config.forwarder.regions === 'all' ? enabledRegions() : undefined);
const account = () => (dryRun ? '<this account id>' : execFileSync('aws', ['sts', 'get-caller-identity', '--query', 'Account', '--output', 'text'], { encoding: 'utf8' }).trim());
for (const [name, part] of Object.entries(templates)) {
  const file = join(out, name);
  writeFileSync(file, `${JSON.stringify(part.template, null, 2)}\n`);
  if ('stackSet' in part) {
    const stackSet = `trailwatch-${stage}-forwarders`;
    const common = ['--stack-set-name', stackSet, '--template-body', `file://${file}`, '--capabilities', 'CAPABILITY_IAM', '--parameters', `ParameterKey=CentralAccountId,ParameterValue=${account()}`];
    const exists = !dryRun && spawnSync('aws', ['cloudformation', 'describe-stack-set', '--stack-set-name', stackSet], { stdio: 'ignore' }).status === 0;
    if (exists) {
      run('aws', ['cloudformation', 'update-stack-set', ...common]);
    } else {
      run('aws', ['cloudformation', 'create-stack-set', ...common, '--permission-model', 'SERVICE_MANAGED', '--auto-deployment', 'Enabled=true,RetainStacksOnAccountRemoval=false']);
      run('aws', [
        'cloudformation', 'create-stack-instances', '--stack-set-name', stackSet,
        '--deployment-targets', `OrganizationalUnitIds=${config.organization?.organizationalUnits.join(',') ?? ''}`,
        '--regions', ...part.regions,
        '--operation-preferences', 'RegionConcurrencyType=PARALLEL,MaxConcurrentPercentage=100,FailureTolerancePercentage=10',
      ]);
    }
  } else {
    run('aws', [
      'cloudformation', 'deploy', '--region', part.region, '--stack-name', `trailwatch-${stage}-forwarder`,
      '--template-file', file, '--capabilities', 'CAPABILITY_IAM', '--no-fail-on-empty-changeset',
    ]);
  }
}
if (Object.keys(templates).length === 0) console.log('No forwarder needed: the home region sees every event the rules need.');

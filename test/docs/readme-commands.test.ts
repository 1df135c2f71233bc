import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { needsAws, readmeCommands, type ReadmeCommand } from '../support/readme-commands.js';

/**
 * The README's shell commands, read from the README itself, so it cannot drift from the code. This
 * file runs the `npx trailwatch` ones (replay on the shared samples instead of your ./AWSLogs/, hunt,
 * rules) and checks the ones that need AWS for syntax only. The `serverless invoke local` ones (demo,
 * invoke, state:reset) run in test/deploy/serverless.test.ts, the one file that builds into .esbuild/.
 * Not run: `npm ci` and `npm test` (CI runs exactly those, on a clean clone).
 */
const run = promisify(execFile);
const commands = readmeCommands();
const SAMPLES = 'test/fixtures/stratus-red-team/';
const out = mkdtempSync(join(tmpdir(), 'trailwatch-readme-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** The README's placeholders for your own logs become the shared samples; output files go to a temp dir. */
function offline(command: string): string[] {
  return command
    .replace(/\s+>\s+(\S+)$/, '')
    .split(/\s+/)
    .map((arg) => (arg === './AWSLogs/' || arg === 'logs/' ? SAMPLES : arg));
}

const sh = async (args: string[]) => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  const [cmd, ...rest] = args;
  return run(cmd ?? 'true', rest, { env: { ...env, AWS_EC2_METADATA_DISABLED: 'true' }, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
  );
};

const trailwatch = commands.filter((c) => c.command.startsWith('npx trailwatch ') && !needsAws(c));
/** Blocks that script the AWS CLI (loops, variables): checked as a whole with `bash -n`. */
const awsScripts = [...new Set(commands.filter((c) => /^(\w+=\$\()?aws /.test(c.command)).map((c) => c.block))];
const inAwsScript = (c: ReadmeCommand) => awsScripts.includes(c.block);

describe('README commands', () => {
  it('has the commands this test knows how to check', () => {
    const known = (c: ReadmeCommand) =>
      c.command.startsWith('npx trailwatch ') || /^npm (ci|test|run (demo|invoke|state:reset|package|deploy))\b/.test(c.command) || c.command.startsWith('cat > ') || needsAws(c) || inAwsScript(c);
    expect(commands.filter((c) => !known(c)).map((c) => c.command)).toEqual([]);
    expect(commands[0]?.command).toBe('npm ci && npm run demo');
    expect(trailwatch.map((c) => c.command.split(' ')[2])).toEqual(expect.arrayContaining(['replay', 'hunt', 'rules']));
  });

  it.each(trailwatch.map((c) => [c.command, c] as const))('runs offline: %s', async (_text, c) => {
    const result = await sh(offline(c.command));
    const what = offline(c.command)[2];
    if (what === 'replay') {
      // The shared samples: alerts and a per-rule summary (exit 0; a corrupt file would make it 1).
      expect(result.code, result.stderr).toBe(0);
      expect(`${result.stdout}${result.stderr}`).toMatch(/alert/i);
      if (c.command.includes('--json')) for (const line of result.stdout.trim().split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
    } else if (what === 'hunt') {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^SELECT /m);
    } else {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('s3-mass-delete');
    }
  });

  it.each(awsScripts.map((b) => [b] as const))('block %i scripts the AWS CLI: bash -n accepts it', async (block) => {
    const text = readFileSync('README.md', 'utf8');
    const script = [...text.matchAll(/^```sh\n([\s\S]*?)^```$/gm)][block - 1]?.[1] ?? '';
    expect(script).toMatch(/\baws /);
    const result = await sh(['bash', '-n', '-c', script]);
    expect(result.code, result.stderr).toBe(0);
  });

  it.each(commands.filter((c) => needsAws(c) && !inAwsScript(c)).map((c) => [c.command, c] as const))('needs AWS, so only its syntax is checked: %s', async (_text, c) => {
    if (c.command.startsWith('npx trailwatch ')) {
      const [, , sub, ...flags] = c.command.split(/\s+/);
      const help = await sh(['npx', 'trailwatch', '--help']);
      expect(help.stdout).toContain(`trailwatch ${sub}`);
      for (const flag of flags.filter((f) => f.startsWith('--'))) expect(help.stdout).toContain(flag);
    } else if (c.command.startsWith('npm run deploy')) {
      const source = readFileSync('scripts/deploy.ts', 'utf8');
      const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
      expect(pkg.scripts.deploy).toBeDefined();
      for (const flag of c.command.split(/\s+/).filter((f) => f.startsWith('--') && f !== '--')) expect(source).toContain(`${flag.slice(2)}: {`);
    } else {
      throw new Error(`no syntax check for ${c.command}`);
    }
  });
});

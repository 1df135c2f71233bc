import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = fileURLToPath(new URL('../../node_modules/osls/bin/serverless.js', import.meta.url));

/**
 * Runs the real Serverless Framework (osls) offline, on the Node running the tests. No credentials:
 * AWS variables are removed and instance-metadata lookups disabled, so nothing leaves the machine.
 */
export async function serverless(args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  return run(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...clean, AWS_EC2_METADATA_DISABLED: 'true', SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', ...env },
    maxBuffer: 32 * 1024 * 1024,
    timeout: 120_000,
  });
}

const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));

/** `npm run deploy -- --dry-run`: packages the stack and writes the companion templates, offline. */
export async function deployDryRun(stage: string, out: string, env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && k !== 'TRAILWATCH_CONFIG'));
  return run(process.execPath, [TSX, 'scripts/deploy.ts', '--stage', stage, '--dry-run', '--out', out], {
    cwd: ROOT,
    env: { ...clean, AWS_EC2_METADATA_DISABLED: 'true', SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', ...env },
    maxBuffer: 32 * 1024 * 1024,
    timeout: 180_000,
  });
}

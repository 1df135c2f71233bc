#!/usr/bin/env node
// The `trailwatch` command: runs the TypeScript sources through tsx (no build step to forget), under
// the V8 flags in node-flags.mjs (re-executing Node once if they are not set yet).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from './node-flags.mjs';

if (!NODE_FLAGS.every((flag) => process.execArgv.includes(flag))) {
  const child = spawnSync(process.execPath, [...NODE_FLAGS, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}
const { register } = await import('tsx/esm/api');
register();
await import('./trailwatch.ts');

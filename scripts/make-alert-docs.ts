/**
 * Writes docs/alerts/ (see scripts/alert-docs.ts) and the README's inline examples: npm run docs:alerts. Files no longer produced are
 * removed, so a deleted rule leaves nothing stale behind.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rules } from '../rules/index.js';
import { alertDocFiles, readmeWithAlerts } from './alert-docs.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'docs', 'alerts');
const files = await alertDocFiles(rules, join(root, 'events'));
mkdirSync(out, { recursive: true });
for (const old of readdirSync(out)) if (!files.has(old)) rmSync(join(out, old));
for (const [name, text] of files) writeFileSync(join(out, name), text);
const readme = join(root, 'README.md');
writeFileSync(readme, readmeWithAlerts(readFileSync(readme, 'utf8'), files));
console.log(`docs/alerts: ${files.size} files; README.md's inline examples updated`);

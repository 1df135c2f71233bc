/**
 * Writes events/<rule-id>.json: for every rule, the EventBridge envelope of its first firing case,
 * for `serverless invoke local`. Run after adding a rule: npm run make:events
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rules } from '../rules/index.js';
import { allCases } from '../test/support/rule-cases.js';

const dir = fileURLToPath(new URL('../events', import.meta.url));
mkdirSync(dir, { recursive: true });
const cases = allCases();
for (const rule of rules) {
  const c = cases.find((x) => x.matches.includes(rule.id));
  if (!c) throw new Error(`rule ${rule.id} has no firing case`);
  writeFileSync(join(dir, `${rule.id}.json`), `${JSON.stringify(c.event, null, 2)}\n`);
  console.log(`events/${rule.id}.json  <- ${c.file}: ${c.name}`);
}

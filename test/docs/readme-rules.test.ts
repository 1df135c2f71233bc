import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rules } from '../../rules/index.js';
import { README, ruleTable, withRuleTable } from '../../scripts/rules-table.js';

describe("README's rule table", () => {
  const readme = readFileSync(README, 'utf8');

  it('is what `npm run docs:rules` writes from the rules (run it after adding or changing a rule)', () => {
    expect(readme, 'the README rule table is stale: run npm run docs:rules').toBe(withRuleTable(readme, ruleTable(rules)));
  });

  it('lists every rule with its severity, CIS and ATT&CK mapping and what it needs', () => {
    const table = ruleTable(rules);
    for (const rule of rules) {
      const row = table.split('\n').find((l) => l.startsWith(`| \`${rule.id}\` |`));
      expect(row).toBeDefined();
      const section = table.slice(0, table.indexOf(row ?? '')).split('\n').filter((l) => /^\*\*[a-z]+\*\*$/.test(l)).pop();
      expect(section).toBe(`**${rule.severity}**`);
      for (const control of rule.cis ?? []) expect(row).toContain(control);
      for (const id of rule.mitre) expect(row).toContain(id.split(':')[1]);
      expect(row).toMatch(rule.requires.eventCategory === 'insight' ? /Insights/ : rule.requires.eventCategory === 'data' ? /data events: AWS::/ : /management/);
      if (rule.requires.usEast1Only) expect(row).toContain('us-east-1');
      if (rule.readOnlyEvents) expect(row).toContain('read-only');
    }
  });

  it('refuses a README without the markers rather than appending a second table', () => {
    expect(() => withRuleTable('# no markers here\n', 'table')).toThrow(/markers/);
  });
});

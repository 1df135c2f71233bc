/**
 * Writes the README's rule table from the rules' own metadata, between the markers
 * `<!-- rules:start -->` and `<!-- rules:end -->`. Run after adding or changing a rule:
 *
 *   npm run docs:rules
 *
 * test/docs/readme-rules.test.ts fails when the README's table is not what this would write.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { groupKeyOf } from '../lib/detection/evaluate.js';
import { SEVERITIES, type Rule, type Severity } from '../lib/detection/rule.js';
import { rules } from '../rules/index.js';
import { allCases, type LoadedCase } from '../test/support/rule-cases.js';

export const START = '<!-- rules:start -->';
export const END = '<!-- rules:end -->';
export const README = fileURLToPath(new URL('../README.md', import.meta.url));

/** Table cells are one line; a pipe would end the cell. */
const cell = (text: string): string => text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();

const minutes = (m: number): string => (m >= 60 && m % 60 === 0 ? `${m / 60} h` : `${m} min`);

/** What "the same incident" is, read from the group key the rule gives its first firing case. */
function incidentOf(rule: Rule, cases: readonly LoadedCase[]): string {
  const firing = cases.find((c) => c.matches.includes(rule.id));
  let keys = 'principal, account';
  if (firing) {
    try {
      keys = Object.keys(groupKeyOf(rule, firing.event)).join(', ');
    } catch {
      // A groupBy that throws on its own case is caught by the rule-case tests; the table stays usable.
    }
  }
  const burst = rule.threshold ? `${rule.threshold.count}${rule.distinct ? ' distinct' : ''} in ${minutes(rule.threshold.windowMinutes)}, then ` : '';
  const distinct = rule.distinct && !rule.threshold ? ', each value counted once a day' : '';
  return `${burst}${minutes(rule.dedupeMinutes)} per ${keys}${distinct}`;
}

function needsOf(rule: Rule): string {
  const { eventCategory, dataEvents, usEast1Only } = rule.requires;
  const parts: string[] = [];
  if (eventCategory === 'data' && dataEvents) parts.push(`data events: ${dataEvents.resourceType} ${dataEvents.eventNames.join(', ')}`);
  else if (eventCategory === 'insight') parts.push('Insights');
  else parts.push('management');
  if (rule.readOnlyEvents) parts.push('read-only');
  if (usEast1Only) parts.push('us-east-1');
  return parts.join('; ');
}

const techniques = (rule: Rule): string => [...new Set(rule.mitre.map((m) => m.split(':')[1] ?? m))].join(', ');

/** The generated section: a summary line, then one table per severity, most severe first. */
export function ruleTable(all: readonly Rule[], cases: readonly LoadedCase[] = allCases()): string {
  const bySeverity = new Map<Severity, Rule[]>();
  for (const rule of all) bySeverity.set(rule.severity, [...(bySeverity.get(rule.severity) ?? []), rule]);
  const order = [...SEVERITIES].reverse().filter((s) => bySeverity.has(s));
  const cis = [...new Set(all.flatMap((r) => r.cis ?? []))].sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
  const lines = [
    `${all.length} rules (${order.map((s) => `${bySeverity.get(s)?.length} ${s}`).join(', ')}); CIS AWS Foundations monitoring controls covered: ${cis.join(', ') || 'none'}.`,
    '**needs**: which CloudTrail events the account must log (management events: every trail; data events: the trail selector named; Insights: enabled on a trail), `read-only`: the rule sees Get/List/Describe calls (its EventBridge rule is deployed in the state that delivers them), `us-east-1`: its events exist only there. **incident**: matches grouped into one alert (`N in M min` is a burst threshold; `distinct`: calls count only when they touch something, e.g. a secret, new to the principal that UTC day). Generated from `rules/` by `npm run docs:rules`.',
  ];
  for (const severity of order) {
    lines.push('', `**${severity}**`, '', '| rule | fires on | incident | CIS | ATT&CK | needs |', '| --- | --- | --- | --- | --- | --- |');
    for (const rule of [...(bySeverity.get(severity) ?? [])].sort((a, b) => a.id.localeCompare(b.id))) {
      const title = rule.status === 'staged' ? `${rule.title} (staged)` : rule.title;
      lines.push(`| \`${rule.id}\` | ${cell(title)} | ${cell(incidentOf(rule, cases))} | ${cell((rule.cis ?? []).join(', '))} | ${cell(techniques(rule))} | ${cell(needsOf(rule))} |`);
    }
  }
  return lines.join('\n');
}

/** The README with its generated section replaced; throws when the markers are missing. */
export function withRuleTable(readme: string, table: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md needs the markers ${START} and ${END} around the rule table`);
  return `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const before = readFileSync(README, 'utf8');
  const after = withRuleTable(before, ruleTable(rules));
  if (after !== before) writeFileSync(README, after);
  console.log(after === before ? 'README.md rule table is up to date' : `README.md rule table rewritten (${rules.length} rules)`);
}

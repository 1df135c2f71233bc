import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rules } from '../../rules/index.js';
import { alertDocFiles, readmeWithAlerts } from '../../scripts/alert-docs.js';

/**
 * docs/alerts/ shows reviewers what every alert looks like. It is generated; this test fails when a
 * change to a rule, a sample or the format leaves it stale, so the change shows up in review.
 */
const expected = await alertDocFiles(rules);
const STALE = 'docs/alerts/ is stale: run `npm run docs:alerts` and commit the result';

describe('docs/alerts/', () => {
  it('holds exactly the generated files', () => {
    expect(readdirSync('docs/alerts').sort(), STALE).toEqual([...expected.keys()].sort());
  });

  it.each([...expected.keys()].map((name) => [name] as const))('%s is current', (name) => {
    expect(readFileSync(`docs/alerts/${name}`, 'utf8'), STALE).toBe(expected.get(name));
  });

  it('has an email and a Slack message for every rule, a burst alert and a follow-up', () => {
    for (const rule of rules) {
      expect(expected.has(`${rule.id}.email.txt`)).toBe(true);
      expect(expected.has(`${rule.id}.slack.json`)).toBe(true);
    }
    const emails = [...expected.entries()].filter(([name]) => name.endsWith('.email.txt')).map(([, text]) => text);
    expect(emails.some((t) => t.includes('Follow-up:'))).toBe(true);
    expect(emails.some((t) => t.includes('after the call that completed the burst'))).toBe(true);
  });

  it('is the same when generated twice (deterministic)', async () => {
    expect(await alertDocFiles(rules)).toEqual(expected);
  });
});

describe('README', () => {
  const readme = readFileSync('README.md', 'utf8');
  it.each(['root-account-activity.email.txt', 'iam-user-deleted.slack.json'])('shows the current %s inline', (name) => {
    expect(readme, `README.md shows an old ${name}: paste docs/alerts/${name} again`).toContain((expected.get(name) ?? '?').trimEnd());
  });
  it('is what npm run docs:alerts leaves it (its inline examples are current)', () => {
    expect(readmeWithAlerts(readme, expected), 'README.md shows stale alerts: run `npm run docs:alerts`').toBe(readme);
    expect(readmeWithAlerts('<!-- docs:alerts iam-user-deleted.slack.json -->\n```json\nold\n```\n<!-- /docs:alerts -->', expected)).toContain('"blocks"');
  });

  it('links docs/alerts/', () => {
    expect(readme).toContain('](docs/alerts/README.md)');
  });
});

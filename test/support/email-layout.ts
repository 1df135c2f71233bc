import { expect } from 'vitest';
import type { Alert } from '../../lib/alert/alert.js';
import { CONTINUATION, emailBody } from '../../lib/alert/email.js';
import { oneLine } from '../../lib/untrusted/text.js';

/** Labels trailwatch writes in an email body (besides each rule's detail labels). */
const FIXED_LABELS = [
  'Account', 'Region', 'Event time', 'Detected', 'Span', 'Count', 'API', 'Result',
  'Who', 'Identity type', 'ARN', 'Access key', 'MFA', 'Source IP', 'Via', 'User agent', 'Invoked by', 'Unusual',
  'Incident key', 'Rule', 'MITRE ATT&CK', 'Event IDs', 'Alert ID', 'Event history', 'Athena query',
];

/**
 * Every line of the labelled sections is `label + at least one space + value`, or a wrapped
 * continuation (indented past the label column): no label runs into its value. The first section
 * (headline, summary, delay) and the last (what to do, references) are prose.
 */
export function assertLabelled(alert: Alert): void {
  const labels = [...FIXED_LABELS, ...alert.details.map((d) => oneLine(d.label, 40))].sort((a, b) => b.length - a.length);
  const sections = emailBody(alert).trimEnd().split('\n\n');
  for (const section of sections.slice(1, -1)) {
    for (const line of section.split('\n')) {
      if (line === 'Next steps' || (line.startsWith(CONTINUATION) && line.trim() !== '')) continue;
      const label = labels.find((l) => l !== '' && line.startsWith(l) && /^ +\S/.test(line.slice(l.length)));
      expect(label, `label runs into its value, or unknown label: ${JSON.stringify(line.slice(0, 80))}`).toBeDefined();
    }
  }
  expect(sections.at(-1)?.startsWith('What to do: ')).toBe(true);
}

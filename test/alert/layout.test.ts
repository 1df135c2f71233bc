import { describe, it } from 'vitest';
import { rules } from '../../rules/index.js';
import { renderAlertDocs } from '../../scripts/alert-docs.js';
import { assertLabelled } from '../support/email-layout.js';

/** Every rule's sample in events/ (and the burst alerts and follow-up made from them) reads as label, space, value. */
const docs = await renderAlertDocs(rules);

describe('email layout of every rule sample', () => {
  it.each(docs.map((d) => [d.name, d.alert] as const))('%s: no label runs into its value', (_name, alert) => {
    assertLabelled(alert);
  });
});

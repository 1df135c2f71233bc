import type { Alert } from '../alert/alert.js';
import { emailBody, subjectOf } from '../alert/email.js';
import type { Transport } from './transport.js';

/** Prints what would be sent. Used by invoke local and replay when no topic is reachable. */
export function createDryRunTransport(write: (text: string) => void = (t) => process.stdout.write(t)): Transport & { sent: Alert[] } {
  const sent: Alert[] = [];
  return {
    name: 'dry-run',
    sent,
    async send(alert) {
      sent.push(alert);
      const rule = '-'.repeat(72);
      write(`${rule}\nSubject: ${subjectOf(alert)}\n${rule}\n${emailBody(alert)}${rule}\n`);
    },
  };
}

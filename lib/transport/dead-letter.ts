import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Alert } from '../alert/alert.js';
import { emailBody, subjectOf } from '../alert/email.js';
import { DeliveryError } from './transport.js';

/** Where a follow-up goes when it could not be delivered after its attempts (lib/incidents/followups.ts). */
export interface DeadLetterQueue {
  readonly name: string;
  send(alert: Alert, reason: string, attempts: number): Promise<void>;
}

/**
 * The message a dead-lettered follow-up becomes: the alert itself (redrive it by publishing `alert`
 * to the topic again; readers dedupe on `alert.id`), why it failed and how often it was tried.
 */
export function deadLetterBody(alert: Alert, reason: string, attempts: number): string {
  return JSON.stringify({ source: 'trailwatch', kind: 'follow-up', reason, attempts, alertId: alert.id, alert });
}

/**
 * SendMessage to the stack's dead-letter queue (the one EventBridge and Lambda already use, so the
 * existing alarm on its depth covers follow-ups too). The client is built at the first dead letter,
 * which most runs never have, but its module is imported statically: loaded with `import()`, the SQS
 * module and everything it shares with the DynamoDB client (half of @smithy/core) became
 * lazily-initialized wrappers in the CommonJS bundle that esbuild cannot tree-shake (as for SNS,
 * lib/transport/sns.ts). `client` is injectable for tests.
 */
export function createSqsDeadLetterQueue(queueUrl: string, client?: SQSClient): DeadLetterQueue {
  let sqs = client;
  return {
    name: 'sqs',
    async send(alert, reason, attempts) {
      try {
        sqs ??= new SQSClient({});
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: deadLetterBody(alert, reason, attempts),
            MessageAttributes: {
              source: { DataType: 'String', StringValue: 'trailwatch-follow-up' },
              alertId: { DataType: 'String', StringValue: alert.id.slice(0, 256) || '-' },
            },
          }),
        );
      } catch (error) {
        throw new DeliveryError(`Dead-lettering follow-up ${alert.id} failed: ${(error as Error).message}`, { cause: error });
      }
    },
  };
}

/** invoke local: prints what would be dead-lettered, like the dry-run transport. */
export function createDryRunDeadLetterQueue(write: (text: string) => void = (t) => process.stdout.write(t)): DeadLetterQueue & { sent: Alert[] } {
  const sent: Alert[] = [];
  return {
    name: 'dry-run',
    sent,
    async send(alert, reason, attempts) {
      sent.push(alert);
      write(`Dead-lettered after ${attempts} attempts (${reason}):\nSubject: ${subjectOf(alert)}\n${emailBody(alert)}`);
    },
  };
}

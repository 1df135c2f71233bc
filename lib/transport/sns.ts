import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Alert } from '../alert/alert.js';
import { emailBody, messageAttributes, subjectOf } from '../alert/format.js';
import { DeliveryError, type Transport } from './transport.js';

/**
 * One publish per alert with MessageStructure=json: email subscribers get the plain text, machine
 * subscribers (email-json, SQS, Lambda, HTTPS: the Slack notifier among them) get the alert as JSON.
 */
export function snsMessage(alert: Alert): string {
  const text = emailBody(alert);
  const json = JSON.stringify(alert);
  return JSON.stringify({ default: text, email: text, 'email-json': json, sqs: json, lambda: json, https: json });
}

export function createSnsTransport(client: SNSClient, topicArn: string): Transport {
  return {
    name: 'sns',
    async send(alert) {
      try {
        await client.send(
          new PublishCommand({
            TopicArn: topicArn,
            Subject: subjectOf(alert),
            Message: snsMessage(alert),
            MessageStructure: 'json',
            MessageAttributes: messageAttributes(alert),
          }),
        );
      } catch (error) {
        throw new DeliveryError(`SNS publish of alert ${alert.id} failed: ${(error as Error).message}`, { cause: error });
      }
    },
  };
}

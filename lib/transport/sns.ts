import type { SNSClient } from '@aws-sdk/client-sns';
import type { Alert } from '../alert/alert.js';
import { messageAttributes, snsMessage, subjectOf } from '../alert/email.js';
import { DeliveryError, type Transport } from './transport.js';

export { snsMessage };

/**
 * The SNS client module is loaded at the first publish, not at cold start: most invocations (grouped
 * matches, duplicates, bursts below threshold) never publish, and the client is ~20 ms of module
 * evaluation (bench/RESULTS.md). `client` is injectable for tests.
 */
export function createSnsTransport(topicArn: string, client?: SNSClient): Transport {
  let sdk: Promise<{ client: SNSClient; PublishCommand: typeof import('@aws-sdk/client-sns').PublishCommand }> | undefined;
  const load = () =>
    (sdk ??= import('@aws-sdk/client-sns').then((m) => ({ client: client ?? new m.SNSClient({}), PublishCommand: m.PublishCommand })));
  return {
    name: 'sns',
    async send(alert) {
      try {
        const { client: sns, PublishCommand } = await load();
        await sns.send(
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

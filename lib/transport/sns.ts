import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Alert } from '../alert/alert.js';
import { messageAttributes, snsMessage, subjectOf } from '../alert/email.js';
import { DeliveryError, type Transport } from './transport.js';

export { snsMessage };

/**
 * The client is built at the first publish (most invocations never publish), but its module is imported
 * statically: loaded with `import()`, the SNS module and everything it shares with the DynamoDB client
 * became lazily-initialized wrappers in the CommonJS bundle that esbuild cannot tree-shake, which cost
 * every cold start ~10 ms of CPU more than the two classes used here (bench/RESULTS.md). `client` is
 * injectable for tests.
 */
export function createSnsTransport(topicArn: string, client?: SNSClient): Transport {
  let sns = client;
  return {
    name: 'sns',
    async send(alert) {
      try {
        sns ??= new SNSClient({});
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

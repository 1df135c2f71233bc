import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { getEndpointDiscoveryRequiredPlugin } from '@aws-sdk/middleware-endpoint-discovery';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../lib/config/env.js';
import { EndpointCache } from '../../lib/config/no-endpoint-cache.js';
import { lambdaBundles, ROOT } from '../support/lambda-bundles.js';

const STOPPED = 'stopped before sending';

/** A real DynamoDB client with endpoint discovery on, whose cache is the stand-in and which never sends. */
function clientWithStandIn(): { client: DynamoDBClient; documents: DynamoDBDocumentClient } {
  const client = new DynamoDBClient({ region: 'us-east-1', endpointDiscoveryEnabled: true, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
  (client.config as unknown as { endpointCache: unknown }).endpointCache = new EndpointCache(1000);
  client.middlewareStack.add(
    () => async () => {
      throw new Error(STOPPED);
    },
    { step: 'finalizeRequest', priority: 'high', name: 'stopBeforeSending' },
  );
  return { client, documents: DynamoDBDocumentClient.from(client) };
}

const TableName = 'trailwatch-test-state';
const Key = { pk: 'p', sk: 's' };
// Every command lib/state/dynamodb-store.ts sends.
const STORE_COMMANDS = [
  new GetCommand({ TableName, Key, ConsistentRead: true }),
  new PutCommand({ TableName, Item: { ...Key, v: 1 }, ConditionExpression: 'attribute_not_exists(pk)' }),
  new UpdateCommand({ TableName, Key, UpdateExpression: 'SET v = :v', ExpressionAttributeValues: { ':v': 2 } }),
  new QueryCommand({ TableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'p' } }),
  new DeleteCommand({ TableName, Key }),
];

describe("the Lambda bundles' stand-in for the SDK's endpoint-discovery cache (lib/config/no-endpoint-cache.ts)", () => {
  it('is built for free and fails loudly, naming the alias, when used', () => {
    const cache = new EndpointCache(1000);
    for (const use of [() => cache.get('k'), () => cache.getEndpoint('k'), () => cache.set('k', []), () => cache.has('k'), () => cache.delete('k'), () => cache.clear()]) {
      expect(use).toThrow(ConfigurationError);
      expect(use).toThrow(/custom\.esbuild\.alias.*@aws-sdk\/endpoint-cache/);
    }
  });

  it.each(STORE_COMMANDS.map((command) => [command.constructor.name, command] as const))(
    'is never used by %s, even with endpoint discovery on',
    async (_name, command) => {
      const { documents } = clientWithStandIn();

      await expect(documents.send(command as never)).rejects.toThrow(STOPPED);
    },
  );

  it('would be used, and fail, by a command that discovered endpoints (the tests above can fail)', async () => {
    const { client } = clientWithStandIn();
    const { GetItemCommand } = await import('@aws-sdk/client-dynamodb');
    const command = new GetItemCommand({ TableName, Key: { pk: { S: 'p' }, sk: { S: 's' } } });
    command.middlewareStack.use(getEndpointDiscoveryRequiredPlugin(client.config as never, { clientStack: client.middlewareStack, options: {} } as never));

    await expect(client.send(command)).rejects.toThrow(ConfigurationError);
  });
});

describe("serverless.yml's esbuild alias for the endpoint-discovery cache", () => {
  it('keeps the cache and the LRU code it brings out of the detect bundle', async () => {
    const { alias, mainFields } = lambdaBundles();
    expect(alias['@aws-sdk/endpoint-cache']).toBe('./lib/config/no-endpoint-cache.ts');
    const lruInputs = async (withAlias: Record<string, string>) => {
      const result = await build({
        entryPoints: [path.join(ROOT, 'functions/detect.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node24', mainFields, alias: withAlias,
        absWorkingDir: ROOT, write: false, outfile: 'detect.cjs', metafile: true, logLevel: 'silent',
      });
      return Object.keys(result.metafile.inputs).filter((i) => /node_modules\/(mnemonist|@aws-sdk\/endpoint-cache)\//.test(i));
    };
    expect(await lruInputs(alias)).toEqual([]);
    const { ['@aws-sdk/endpoint-cache']: _, ...others } = alias;
    expect((await lruInputs(others)).length).toBeGreaterThan(0);
  });
});

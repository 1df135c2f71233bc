/**
 * A local DynamoDB (dynalite, in memory) on a loopback port, for tests of the DynamoDB state adapter
 * and of anything built on it. Start one per test file; create a table per test for isolation.
 */
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { createTableInput } from '../../lib/state/dynamodb-store.js';

export interface DynaliteHarness {
  endpoint: string;
  client: DynamoDBDocumentClient;
  /** Creates a table shaped like the deployed one (unique name unless given) and waits until it is ACTIVE. */
  createTable(name?: string): Promise<string>;
  stop(): Promise<void>;
}

let tableCounter = 0;

function uniqueTableName(): string {
  return `trailwatch-test-${process.pid}-${++tableCounter}`;
}

async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  // dynalite with createTableMs: 0 activates on the next tick; the SDK waiter's minimum delay is seconds.
  for (let attempt = 0; attempt < 500; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

export async function startDynalite(): Promise<DynaliteHarness> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`dynalite: unexpected address ${String(address)}`);
  const endpoint = `http://127.0.0.1:${address.port}`;
  const base = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const client = DynamoDBDocumentClient.from(base);

  return {
    endpoint,
    client,
    async createTable(name = uniqueTableName()) {
      await base.send(new CreateTableCommand(createTableInput(name)));
      await waitUntilActive(base, name);
      return name;
    },
    async stop() {
      client.destroy();
      base.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type GetQueryResultsOutput,
  type QueryExecutionState,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { runAthenaQuery } from '../../lib/hunt/run-athena.js';

const athena = mockClient(AthenaClient);
const client = new AthenaClient({ region: 'us-east-1' });
const SQL = 'SELECT eventname, errorcode FROM "default"."cloudtrail_logs" LIMIT 10';

const state = (State: QueryExecutionState, StateChangeReason?: string) => ({
  QueryExecution: { QueryExecutionId: 'q-1', Status: { State, ...(StateChangeReason ? { StateChangeReason } : {}) } },
});

const page = (rows: Array<Array<string | undefined>>, NextToken?: string): GetQueryResultsOutput => ({
  ResultSet: {
    ResultSetMetadata: { ColumnInfo: [{ Name: 'eventname', Type: 'varchar' }, { Name: 'errorcode', Type: 'varchar' }] },
    Rows: rows.map((r) => ({ Data: r.map((v) => (v === undefined ? {} : { VarCharValue: v })) })),
  },
  ...(NextToken ? { NextToken } : {}),
});

beforeEach(() => {
  athena.reset();
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
});

describe('runAthenaQuery', () => {
  it('starts the query, polls until it succeeds, and reads every page without the header row', async () => {
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce(state('QUEUED'))
      .resolvesOnce(state('RUNNING'))
      .resolves(state('SUCCEEDED'));
    athena
      .on(GetQueryResultsCommand)
      .resolvesOnce(page([['eventname', 'errorcode'], ['StopLogging', undefined]], 'token-2'))
      .resolvesOnce(page([['DeleteTrail', 'AccessDenied']]));

    const result = await runAthenaQuery(client, SQL, {
      database: 'default',
      workgroup: 'hunting',
      outputLocation: 's3://results/hunt/',
      pollMs: 0,
    });

    expect(result).toEqual({
      columns: ['eventname', 'errorcode'],
      rows: [
        ['StopLogging', ''],
        ['DeleteTrail', 'AccessDenied'],
      ],
    });
    expect(athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input)).toEqual([
      {
        QueryString: SQL,
        QueryExecutionContext: { Database: 'default' },
        WorkGroup: 'hunting',
        ResultConfiguration: { OutputLocation: 's3://results/hunt/' },
      },
    ]);
    expect(athena.commandCalls(GetQueryExecutionCommand).map((c) => c.args[0].input)).toEqual([
      { QueryExecutionId: 'q-1' },
      { QueryExecutionId: 'q-1' },
      { QueryExecutionId: 'q-1' },
    ]);
    expect(athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input)).toEqual([
      { QueryExecutionId: 'q-1' },
      { QueryExecutionId: 'q-1', NextToken: 'token-2' },
    ]);
  });

  it('leaves out workgroup and output location when not given', async () => {
    athena.on(GetQueryExecutionCommand).resolves(state('SUCCEEDED'));
    athena.on(GetQueryResultsCommand).resolves(page([['eventname', 'errorcode']]));

    const result = await runAthenaQuery(client, SQL, { database: 'default', pollMs: 0 });

    expect(result).toEqual({ columns: ['eventname', 'errorcode'], rows: [] });
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input).toEqual({
      QueryString: SQL,
      QueryExecutionContext: { Database: 'default' },
    });
  });

  it('fails with the state-change reason and reads no results', async () => {
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce(state('RUNNING'))
      .resolves(state('FAILED', "COLUMN_NOT_FOUND: line 3:7: Column 'tlsdetails' cannot be resolved"));

    const p = runAthenaQuery(client, SQL, { database: 'default', pollMs: 0 });

    await expect(p).rejects.toThrow("Athena query q-1 FAILED: COLUMN_NOT_FOUND: line 3:7: Column 'tlsdetails' cannot be resolved");
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  it('fails on a cancelled query, falling back to the structured error message', async () => {
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: { QueryExecutionId: 'q-1', Status: { State: 'CANCELLED', AthenaError: { ErrorMessage: 'stopped by user' } } },
    });

    await expect(runAthenaQuery(client, SQL, { database: 'default', pollMs: 0 })).rejects.toThrow('Athena query q-1 CANCELLED: stopped by user');
  });

  it('stops the query and fails when it runs past the timeout', async () => {
    athena.on(GetQueryExecutionCommand).resolves(state('RUNNING'));
    athena.on(StopQueryExecutionCommand).resolves({});

    const p = runAthenaQuery(client, SQL, { database: 'default', pollMs: 5, timeoutMs: 20 });

    await expect(p).rejects.toThrow(/Athena query q-1 did not finish within 20 ms \(last state RUNNING\)/);
    expect(athena.commandCalls(StopQueryExecutionCommand).map((c) => c.args[0].input)).toEqual([{ QueryExecutionId: 'q-1' }]);
  });

  it('fails clearly when Athena returns no query id', async () => {
    athena.on(StartQueryExecutionCommand).resolves({});

    await expect(runAthenaQuery(client, SQL, { database: 'default' })).rejects.toThrow(/returned no QueryExecutionId/);
  });
});

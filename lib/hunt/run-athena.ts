/**
 * Run one Athena query to completion and read all of its rows: start it, poll its state, then page
 * through the results. Athena has no synchronous query call, hence the loop.
 */
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClient,
  type QueryExecutionStatus,
  type ResultSet,
  type Row,
} from '@aws-sdk/client-athena';

export interface RunAthenaOptions {
  database: string;
  workgroup?: string;
  /** s3://bucket/prefix/ for results; optional when the workgroup sets one. */
  outputLocation?: string;
  /** Between state checks; default 1000 ms. */
  pollMs?: number;
  /** Give up (and stop the query) after this long; default 5 minutes. */
  timeoutMs?: number;
}

export interface AthenaRows {
  columns: string[];
  rows: string[][];
}

const DEFAULT_POLL_MS = 1000;
const DEFAULT_TIMEOUT_MS = 5 * 60 * 1000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function startQuery(client: AthenaClient, sql: string, opts: RunAthenaOptions): Promise<string> {
  const out = await client.send(
    new StartQueryExecutionCommand({
      QueryString: sql,
      QueryExecutionContext: { Database: opts.database },
      ...(opts.workgroup !== undefined ? { WorkGroup: opts.workgroup } : {}),
      ...(opts.outputLocation !== undefined ? { ResultConfiguration: { OutputLocation: opts.outputLocation } } : {}),
    }),
  );
  if (!out.QueryExecutionId) throw new Error('Athena StartQueryExecution returned no QueryExecutionId');
  return out.QueryExecutionId;
}

/** The reason Athena gives, with its structured error when there is one. */
function failureMessage(id: string, state: string, status: QueryExecutionStatus | undefined): string {
  const reason = status?.StateChangeReason ?? status?.AthenaError?.ErrorMessage ?? 'no reason given';
  return `Athena query ${id} ${state}: ${reason}`;
}

/** Best effort: a query we stop waiting for should not keep scanning (and billing) in the background. */
async function stopQuietly(client: AthenaClient, id: string): Promise<void> {
  try {
    await client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
  } catch {
    // The timeout error below is the one worth reporting.
  }
}

async function waitForSuccess(client: AthenaClient, id: string, pollMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
    const status = out.QueryExecution?.Status;
    const state = status?.State;
    if (state === 'SUCCEEDED') return;
    if (state === 'FAILED' || state === 'CANCELLED') throw new Error(failureMessage(id, state, status));
    if (Date.now() >= deadline) {
      await stopQuietly(client, id);
      throw new Error(`Athena query ${id} did not finish within ${timeoutMs} ms (last state ${state ?? 'unknown'}); it was asked to stop`);
    }
    await sleep(pollMs);
  }
}

const rowValues = (row: Row): string[] =>
  // Athena omits VarCharValue for SQL NULL; the row shape is strings, so NULL reads as ''.
  (row.Data ?? []).map((d) => d.VarCharValue ?? '');

function columnNames(resultSet: ResultSet | undefined): string[] {
  return (resultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name ?? '');
}

async function readResults(client: AthenaClient, id: string): Promise<AthenaRows> {
  let columns: string[] | undefined;
  const rows: string[][] = [];
  let nextToken: string | undefined;
  do {
    const out = await client.send(
      new GetQueryResultsCommand({ QueryExecutionId: id, ...(nextToken !== undefined ? { NextToken: nextToken } : {}) }),
    );
    const pageRows = (out.ResultSet?.Rows ?? []).map(rowValues);
    if (columns === undefined) {
      columns = columnNames(out.ResultSet);
      // For a SELECT, the first row of the first page repeats the column names.
      pageRows.shift();
    }
    rows.push(...pageRows);
    nextToken = out.NextToken;
  } while (nextToken);
  return { columns: columns ?? [], rows };
}

export async function runAthenaQuery(client: AthenaClient, sql: string, opts: RunAthenaOptions): Promise<AthenaRows> {
  const id = await startQuery(client, sql, opts);
  await waitForSuccess(client, id, opts.pollMs ?? DEFAULT_POLL_MS, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  return readResults(client, id);
}

import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { emailBody, subjectOf } from '../alert/email.js';
import type { Alert } from '../alert/alert.js';
import { parseRuleTuning } from '../detection/tuning.js';
import { ruleToAthenaSql } from '../hunt/athena-sql.js';
import { renderReport, ReportBuilder } from '../replay/report.js';
import { runReplay, type ReplaySummary } from '../replay/run.js';
import { listInputFiles } from '../replay/sources/list.js';
import type { Rule } from '../detection/rule.js';

/** What the CLI writes to; tests pass buffers. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** stderr is a terminal: progress may be drawn there. */
  tty: boolean;
}

export const USAGE = `Usage:
  trailwatch replay <path>... [--json] [--report] [--report-json] [--order event-time|input]
                    [--since ISO] [--until ISO] [--rules id,id] [--staged] [--tuning JSON] [--workers N]
      Runs the detection pipeline over CloudTrail log files (.json, .json.gz, directories of them),
      JSON arrays, NDJSON or single events, as the deployed alerter would have. --workers: threads
      that read and parse files (default: one per core; 0 reads on the main thread).
  trailwatch replay --lookup [--since ISO] [--until ISO] [--region R]... [other replay options]
      The same over CloudTrail Event history (LookupEvents, your AWS credentials): the last 90 days of
      management events, no trail needed (default: the last 7 days, in the SDK's default region).
  trailwatch hunt <rule-id> --table <name> [--database default] [--since ISO] [--until ISO]
                  [--limit N] [--run] [--workgroup W] [--output-location s3://...]
      Prints the Athena SQL that finds the rule's matches in the CloudTrail console's Athena table.
  trailwatch rules
      Lists the rules.
`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function parseDate(value: string | undefined, flag: string): Date | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new UsageError(`${flag}: "${value}" is not a date (use ISO 8601, e.g. 2026-11-01 or 2026-11-01T10:00:00Z)`);
  return new Date(ms);
}

function summaryText(s: ReplaySummary): string {
  const lines = [`Replayed ${s.events} events in ${(s.elapsedMs / 1000).toFixed(1)} s: ${s.matchedEvents} matched, ${s.alerts} alerts.`];
  for (const [id, r] of Object.entries(s.perRule)) lines.push(`  ${id.padEnd(34)} ${String(r.matched).padStart(8)} matched ${String(r.alerts).padStart(6)} alerts`);
  for (const [id, reasons] of Object.entries(s.allowlisted)) {
    for (const [reason, n] of Object.entries(reasons)) lines.push(`  ${id.padEnd(34)} ${String(n).padStart(8)} allowlisted: ${reason}`);
  }
  if (s.skipped) lines.push(`Outside --since/--until: ${s.skipped} events.`);
  if (s.malformed) lines.push(`Skipped as malformed: ${s.malformed}. First reasons:`, ...s.malformedReasons.map((r) => `  - ${r}`));
  if (s.fileErrors.length) lines.push(`Unreadable or corrupt inputs: ${s.fileErrors.length}`, ...s.fileErrors.slice(0, 20).map((e) => `  - ${e.path}: ${e.reason}`));
  return `${lines.join('\n')}\n`;
}

function readableAlert(alert: Alert): string {
  const bar = '-'.repeat(72);
  return `${bar}\n${subjectOf(alert)}\n${bar}\n${emailBody(alert)}`;
}

async function replay(argv: string[], rules: readonly Rule[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      report: { type: 'boolean', default: false },
      'report-json': { type: 'boolean', default: false },
      order: { type: 'string', default: 'event-time' },
      since: { type: 'string' },
      until: { type: 'string' },
      rules: { type: 'string' },
      staged: { type: 'boolean', default: false },
      tuning: { type: 'string' },
      lookup: { type: 'boolean', default: false },
      workers: { type: 'string' },
      region: { type: 'string', multiple: true },
    },
  });
  if (values.lookup && positionals.length) throw new UsageError('replay --lookup reads Event history: give no paths');
  if (!values.lookup && values.region) throw new UsageError('--region goes with --lookup');
  if (!values.lookup && !positionals.length) throw new UsageError('replay needs at least one path (or --lookup)');
  if (values.order !== 'event-time' && values.order !== 'input') throw new UsageError('--order is event-time or input');
  const since = parseDate(values.since, '--since');
  const until = parseDate(values.until, '--until');
  const reporting = values.report || values['report-json'];
  const report = new ReportBuilder();

  // A progress line on stderr when a person is watching a large input.
  let total = 0;
  if (io.tty && !values.lookup) total = (await listInputFiles(positionals)).length;
  const progress = io.tty && total > 20;
  const source = values.lookup ? await lookupSource(values.region ?? [], since, until, io) : undefined;
  const workers = values.workers === undefined ? availableParallelism() : Number(values.workers);
  if (!Number.isInteger(workers) || workers < 0 || workers > 64) throw new UsageError('--workers is a whole number from 0 (this thread only) to 64');

  const summary = await runReplay({
    paths: positionals,
    workers,
    ...(source ? { source } : {}),
    order: values.order,
    rules,
    staged: values.staged,
    ...(values.rules ? { ruleIds: values.rules.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    ...(values.tuning ? { overrides: parseRuleTuning(values.tuning, rules) } : {}),
    onAlert: (alert) => {
      if (reporting) report.add(alert);
      if (values.json) io.out(`${JSON.stringify(alert)}\n`);
      else if (!reporting) io.out(readableAlert(alert));
    },
    ...(progress
      ? {
          onProgress: ({ events, filesStarted }: { events: number; filesStarted: number }) => {
            const width = 30;
            const done = Math.min(width, Math.round((filesStarted / total) * width));
            io.err(`\r[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${filesStarted}/${total} files, ${events} events`);
          },
        }
      : {}),
  });
  if (progress) io.err('\n');
  if (values['report-json']) io.out(`${JSON.stringify(report.build(summary))}\n`);
  else if (values.report) io.out(renderReport(report.build(summary)));
  // With --json, stdout stays one JSON object per line: the summary goes to stderr.
  (values.json || values['report-json'] ? io.err : io.out)(summaryText(summary));
  return summary.fileErrors.length ? 1 : 0;
}

/**
 * Event history for `replay --lookup`. The window defaults to the last 7 days (Event history keeps 90:
 * at 2 requests a second a long window takes a while). Each region gets its own client; throttling
 * is retried by the SDK with backoff, on top of our own pacing under the API's rate.
 */
async function lookupSource(regions: string[], since: Date | undefined, until: Date | undefined, io: Io) {
  const { CloudTrailClient } = await import('@aws-sdk/client-cloudtrail');
  const { readLookupBatches } = await import('../replay/lookup.js');
  const end = until ?? new Date();
  const start = since ?? new Date(end.getTime() - 7 * 86_400_000);
  if (start.getTime() < end.getTime() - 90 * 86_400_000) io.err('trailwatch: Event history keeps 90 days; older events are not there\n');
  const clientOf = (region?: string) => new CloudTrailClient({ ...(region ? { region } : {}), maxAttempts: 8 });
  const clients = new Map(regions.length ? regions.map((r) => [r, clientOf(r)] as const) : [['default', clientOf()] as const]);
  return readLookupBatches({
    since: start,
    until: end,
    clients,
    // A redrawn line on a terminal; otherwise a line every 25 requests (about 12 s at the API's rate).
    onProgress: (p) => {
      const line = `Event history ${p.region}: at ${p.sliceStart.toISOString().slice(0, 16)}Z, ${p.events} events, ${p.requests} requests`;
      if (io.tty) io.err(`\r${line}`);
      else if (p.requests % 25 === 0) io.err(`${line}\n`);
    },
  });
}

async function hunt(argv: string[], rules: readonly Rule[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      table: { type: 'string' },
      database: { type: 'string', default: 'default' },
      since: { type: 'string' },
      until: { type: 'string' },
      limit: { type: 'string', default: '1000' },
      run: { type: 'boolean', default: false },
      workgroup: { type: 'string' },
      'output-location': { type: 'string' },
    },
  });
  const id = positionals[0];
  const rule = rules.find((r) => r.id === id);
  if (!rule) throw new UsageError(`hunt needs a rule id (one of: ${rules.map((r) => r.id).join(', ')})`);
  if (!values.table) throw new UsageError('hunt needs --table (the Athena table over your CloudTrail logs)');
  const until = parseDate(values.until, '--until') ?? new Date();
  const since = parseDate(values.since, '--since') ?? new Date(until.getTime() - 7 * 86_400_000);
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit <= 0) throw new UsageError('--limit must be a positive whole number');
  const query = ruleToAthenaSql(rule, { database: values.database, table: values.table, since, until, limit });
  io.out(`${query.sql}\n`);
  if (query.caveats.length) io.err(`-- Not expressed in SQL:\n${query.caveats.map((c) => `--  * ${c}`).join('\n')}\n`);
  if (!values.run) return 0;
  const { AthenaClient } = await import('@aws-sdk/client-athena');
  const { runAthenaQuery } = await import('../hunt/run-athena.js');
  const result = await runAthenaQuery(new AthenaClient({}), query.sql, {
    database: values.database,
    ...(values.workgroup ? { workgroup: values.workgroup } : {}),
    ...(values['output-location'] ? { outputLocation: values['output-location'] } : {}),
  });
  io.out(`${result.columns.join('\t')}\n`);
  for (const row of result.rows) io.out(`${row.map((c) => JSON.stringify(c)).join('\t')}\n`);
  io.err(`${result.rows.length} rows\n`);
  return 0;
}

function listRules(rules: readonly Rule[], io: Io): number {
  for (const r of rules) {
    const threshold = r.threshold ? `${r.threshold.count} in ${r.threshold.windowMinutes} min` : '-';
    io.out(`${r.id.padEnd(34)} ${r.severity.padEnd(8)} ${r.status.padEnd(6)} ${threshold.padEnd(14)} ${r.title}\n`);
  }
  return 0;
}

/** Runs one command line; returns the exit code. Never exits the process itself. */
export async function main(argv: string[], rules: readonly Rule[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'replay':
        return await replay(rest, rules, io);
      case 'hunt':
        return await hunt(rest, rules, io);
      case 'rules':
        return listRules(rules, io);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    io.err(`trailwatch: ${(error as Error).message}\n${usage ? USAGE : ''}`);
    return 2;
  }
}

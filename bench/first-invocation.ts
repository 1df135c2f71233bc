/**
 * The first invocation after a cold start, for bench/cold-start.ts: what a cold container pays before
 * its first event is done, import included. Work deferred from import to first use (rule patterns
 * compiled per source, SDK clients loaded when needed) shows up here, so it is not hidden by the
 * import figure.
 *
 * Each run is a fresh Node process that requires the bundle, then calls its handler once with a
 * sample event (fresh event id and time, so it alerts) and reports wall and CPU time of both steps.
 * The state table (dynalite) and SNS are local stand-ins on loopback, spoken to over HTTPS as in AWS
 * (a throwaway self-signed certificate from `openssl`; over plain HTTP the SDK would load `node:http`
 * as an ES module, which costs a cold process ~8 ms that Lambda never pays). Each run gets an empty
 * table, so every first invocation does the same work: claim the event, open the incident, publish.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, type Server } from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { createTableInput } from '../lib/state/dynamodb-store.js';
import { summarize } from './common.js';

export interface FirstInvocationStats {
  /** Medians over the runs, ms. */
  importMs: number;
  invokeMs: number;
  importCpuMs: number;
  invokeCpuMs: number;
  /** Import + first invocation, CPU of the process (all threads), ms. */
  totalCpuMs: number;
  totalMs: number;
}

export interface FirstInvocationResults {
  event: string;
  runs: number;
  /** What the handler returned on the first run of the first bundle (so a reader sees it alerted). */
  summary: unknown;
  bundles: Record<string, FirstInvocationStats>;
}

/** Runs in the measured process: require, one invocation, timings on the last stdout line. */
const CHILD = `
const t0 = performance.now(), c0 = process.cpuUsage();
const { handler } = require(process.argv[2]);
const t1 = performance.now(), c1 = process.cpuUsage();
const event = JSON.parse(require('node:fs').readFileSync(process.argv[3], 'utf8'));
const now = new Date().toISOString().replace(/\\.\\d+Z$/, 'Z');
event.id = require('node:crypto').randomUUID();
event.time = now;
event.detail.eventTime = now;
event.detail.eventID = require('node:crypto').randomUUID();
const context = {
  functionName: 'trailwatch-bench-detect', functionVersion: '$LATEST', memoryLimitInMB: '1024',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:trailwatch-bench-detect',
  awsRequestId: 'bench', logGroupName: '/aws/lambda/trailwatch-bench-detect', logStreamName: 'bench',
  getRemainingTimeInMillis: () => 30000, callbackWaitsForEmptyEventLoop: true,
};
handler(event, context).then((summary) => {
  const t2 = performance.now(), c2 = process.cpuUsage();
  const cpu = (a, b) => (b.user + b.system - a.user - a.system) / 1000;
  process.stdout.write('\\n@@' + JSON.stringify({ importMs: t1 - t0, invokeMs: t2 - t1, importCpuMs: cpu(c0, c1), invokeCpuMs: cpu(c1, c2), totalCpuMs: (c2.user + c2.system) / 1000, summary }) + '\\n');
});
`;

interface Sample {
  importMs: number;
  invokeMs: number;
  importCpuMs: number;
  invokeCpuMs: number;
  totalCpuMs: number;
  summary: unknown;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`https://127.0.0.1:${(server.address() as { port: number }).port}`));
  });
}

function runChild(node: string, args: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('@@'));
      if (code !== 0 || !line) reject(new Error(`first invocation exited ${code}: ${err.slice(-2000)}${out.slice(-2000)}`));
      else resolve(JSON.parse(line.slice(2)) as Sample);
    });
  });
}

/**
 * Interleaves the bundles run by run. `env` is the function's environment (without NODE_OPTIONS);
 * state and SNS endpoints, credentials and the CA are added here.
 */
export async function measureFirstInvocation(opts: {
  node: string;
  bundles: Record<string, string>;
  eventFile: string;
  runs: number;
  env: NodeJS.ProcessEnv;
}): Promise<FirstInvocationResults> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'trailwatch-first-invocation-'));
  const servers: Server[] = [];
  try {
    const key = path.join(tmp, 'key.pem');
    const cert = path.join(tmp, 'cert.pem');
    const ssl = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { encoding: 'utf8' });
    if (ssl.status !== 0) throw new Error(`openssl could not make a certificate for the local stand-ins: ${ssl.stderr || ssl.error?.message}`);
    const tls = { key: readFileSync(key), cert: readFileSync(cert) };
    // dynalite's options include its HTTPS server's (its typings in test/state cover only what tests use).
    const state = (dynalite as unknown as (o: Record<string, unknown>) => Server)({ ssl: true, ...tls, createTableMs: 0 });
    servers.push(state);
    const stateUrl = await listen(state);
    let published = 0;
    const sns = createServer(tls, (req, res) => {
      req.resume();
      req.on('end', () => {
        published += 1;
        res.setHeader('content-type', 'text/xml');
        res.end(`<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-${published}</MessageId></PublishResult><ResponseMetadata><RequestId>r-${published}</RequestId></ResponseMetadata></PublishResponse>`);
      });
    });
    servers.push(sns);
    const snsUrl = await listen(sns);
    // Creates each run's table; trusts the certificate through its agent (NODE_EXTRA_CA_CERTS is read at start).
    const admin = new DynamoDBClient({
      endpoint: stateUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
      requestHandler: { httpsAgent: new Agent({ ca: tls.cert }) },
    });
    let tables = 0;
    const childFile = path.join(tmp, 'first-invocation.cjs');
    writeFileSync(childFile, CHILD);
    const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(opts.bundles).map((k) => [k, []]));
    try {
      for (let i = -1; i < opts.runs; i++) {
        for (const [name, bundle] of Object.entries(opts.bundles)) {
          const table = `trailwatch-bench-${++tables}`;
          await admin.send(new CreateTableCommand(createTableInput(table)));
          const env: NodeJS.ProcessEnv = {
            ...opts.env,
            STATE_TABLE: table,
            DYNAMODB_ENDPOINT: stateUrl,
            AWS_ENDPOINT_URL_SNS: snsUrl,
            AWS_ACCESS_KEY_ID: 'bench',
            AWS_SECRET_ACCESS_KEY: 'bench',
            AWS_SESSION_TOKEN: 'bench',
            NODE_EXTRA_CA_CERTS: cert,
          };
          const sample = await runChild(opts.node, [childFile, bundle, opts.eventFile], env);
          // Run -1 warms the page cache and is not counted.
          if (i >= 0) (samples[name] as Sample[]).push(sample);
        }
      }
    } finally {
      admin.destroy();
    }
    const med = (xs: number[]) => summarize(xs).median;
    const bundles = Object.fromEntries(
      Object.entries(samples).map(([name, s]) => [
        name,
        {
          importMs: med(s.map((x) => x.importMs)),
          invokeMs: med(s.map((x) => x.invokeMs)),
          importCpuMs: med(s.map((x) => x.importCpuMs)),
          invokeCpuMs: med(s.map((x) => x.invokeCpuMs)),
          totalCpuMs: med(s.map((x) => x.totalCpuMs)),
          totalMs: med(s.map((x) => x.importMs + x.invokeMs)),
        },
      ]),
    );
    const first = Object.values(samples)[0]?.[0];
    return { event: path.basename(opts.eventFile), runs: opts.runs, summary: first?.summary, bundles };
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    rmSync(tmp, { recursive: true, force: true });
  }
}

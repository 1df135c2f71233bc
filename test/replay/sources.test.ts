import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asEnvelope, recordToEnvelope } from '../../lib/cloudtrail/wrap.js';
import type { CloudTrailRecord } from '../../lib/cloudtrail/types.js';
import { fileStamp, listInputFiles, sortInputFiles } from '../../lib/replay/sources/list.js';
import { type SourceItem } from '../../lib/replay/sources/parse.js';
import { readSources } from '../../lib/replay/sources/read.js';

const SAMPLES = fileURLToPath(new URL('../fixtures/stratus-red-team/', import.meta.url));

async function sample(file: string): Promise<CloudTrailRecord[]> {
  return JSON.parse(await readFile(join(SAMPLES, file), 'utf8')) as CloudTrailRecord[];
}

async function collect(paths: string[], onFile?: (path: string, bytes: number) => void): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const item of readSources(paths, onFile ? { onFile } : {})) out.push(item);
  return out;
}

type EventItem = Extract<SourceItem, { kind: 'event' }>;
type ErrorItem = Extract<SourceItem, { kind: 'error' }>;
const eventsOf = (items: SourceItem[]): EventItem[] => items.filter((i): i is EventItem => i.kind === 'event');
const errorsOf = (items: SourceItem[]): ErrorItem[] => items.filter((i): i is ErrorItem => i.kind === 'error');

/** Events per origin file, in reading order. */
function countsByFile(items: SourceItem[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of eventsOf(items)) counts.set(item.origin.path, (counts.get(item.origin.path) ?? 0) + 1);
  return counts;
}

let root: string;
let stratusStop: CloudTrailRecord[];
let passwordData: CloudTrailRecord[]; // 34 records
let signIn: CloudTrailRecord[]; // 1 record
let ssmSend: CloudTrailRecord[]; // 56 records
let adminUser: CloudTrailRecord[]; // 3 records

// The tree mirrors an S3 bucket of CloudTrail logs next to hand-made exports.
const ACCOUNT = '143434273843';
const east = `AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/2024/07/31`;
const west = `AWSLogs/${ACCOUNT}/CloudTrail/us-west-2/2024/07/31`;
const files = {
  eastLate: `${east}/${ACCOUNT}_CloudTrail_us-east-1_20240731T1310Z_AbCdEf0123456789.json.gz`,
  westEarly: `${west}/${ACCOUNT}_CloudTrail_us-west-2_20240731T1300Z_ZzZz0123456789Ab.json.gz`,
  insight: `AWSLogs/${ACCOUNT}/CloudTrail-Insight/us-east-1/2024/07/31/${ACCOUNT}_CloudTrail-Insight_us-east-1_20240731T1305Z_Qq0123456789AbCd.json.gz`,
  digest: `AWSLogs/${ACCOUNT}/CloudTrail-Digest/us-east-1/2024/07/31/${ACCOUNT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20240731T130000Z.json.gz`,
  digestFile: 'exports/2024-07-31.digest',
  readme: 'exports/README',
  hidden: 'exports/.cache/old.json',
  records: 'exports/records.json',
  array: 'exports/array.json',
  ndjson: 'exports/events.ndjson',
  ndjsonAsJson: 'exports/lines.json',
  brokenFirstLine: 'exports/broken-first.json',
  truncated: 'exports/truncated.json.gz',
  invalid: 'exports/invalid.json',
  truncatedNdjson: 'exports/partial.ndjson.gz',
  envelope: 'exports/envelope.json',
  empty: 'exports/empty.json',
  explicitGzip: 'elsewhere/blob.bin',
};

async function put(rel: string, content: string | Buffer): Promise<string> {
  const full = join(root, rel);
  await mkdir(dirname(full), { recursive: true });
  await writeFile(full, content);
  return full;
}

const at = (rel: string): string => join(root, rel);
const ndjson = (values: unknown[]): string => values.map((v) => JSON.stringify(v)).join('\n');

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'trailwatch-sources-'));
  stratusStop = await sample('aws.defense-evasion.cloudtrail-stop.json');
  passwordData = await sample('aws.credential-access.ec2-get-password-data.json');
  signIn = await sample('aws.initial-access.console-login-without-mfa.json');
  ssmSend = await sample('aws.execution.ssm-send-command.json');
  adminUser = await sample('aws.persistence.iam-create-admin-user.json');

  // Real log files are one line of {"Records":[...]}, gzipped, no trailing newline.
  await put(files.eastLate, gzipSync(JSON.stringify({ Records: passwordData })));
  await put(files.westEarly, gzipSync(JSON.stringify({ Records: stratusStop })));
  await put(files.insight, gzipSync(JSON.stringify({ Records: signIn })));
  await put(files.digest, gzipSync(JSON.stringify({ awsAccountId: ACCOUNT, logFiles: [] })));
  await put(files.digestFile, JSON.stringify({ Records: ssmSend }));
  await put(files.readme, 'not JSON at all\n');
  await put(files.hidden, JSON.stringify({ Records: ssmSend }));
  // Pretty-printed log file body: one multi-line document.
  await put(files.records, JSON.stringify({ Records: ssmSend }, null, 2));
  // A stratus sample as is: a pretty-printed array.
  await put(files.array, await readFile(join(SAMPLES, 'aws.persistence.iam-create-admin-user.json')));
  // NDJSON: a raw record, blank lines, a broken line 3, an envelope, a CRLF line, a log file body.
  await put(
    files.ndjson,
    [
      JSON.stringify(adminUser[0]),
      '',
      '{"eventID": "broken", "eventTime":',
      JSON.stringify(recordToEnvelope(adminUser[1] as CloudTrailRecord)),
      '   ',
      `${JSON.stringify(adminUser[2])}\r`,
      JSON.stringify({ Records: stratusStop }),
      '',
    ].join('\n'),
  );
  // NDJSON content under a .json name: found by content.
  await put(files.ndjsonAsJson, ndjson(passwordData.slice(0, 5)));
  // NDJSON under a .json name whose first line is broken: the second line says it is NDJSON.
  await put(files.brokenFirstLine, `{"eventID": "cut-off", "eventTi\n${ndjson(passwordData.slice(0, 4))}\n`);
  const gz = gzipSync(JSON.stringify({ Records: passwordData }));
  await put(files.truncated, gz.subarray(0, Math.floor(gz.length / 2)));
  await put(files.invalid, JSON.stringify({ Records: passwordData }, null, 2).slice(0, 2000));
  // A long gzipped NDJSON cut short: the lines before the cut still come through.
  const longNdjson = gzipSync(`${ndjson(Array.from({ length: 40 }, () => passwordData).flat())}\n`);
  await put(files.truncatedNdjson, longNdjson.subarray(0, Math.floor(longNdjson.length * 0.6)));
  await put(files.envelope, JSON.stringify(recordToEnvelope(signIn[0] as CloudTrailRecord), null, 2));
  await put(files.empty, '\n\n');
  await put(files.explicitGzip, gzipSync(ndjson(adminUser)));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('listInputFiles', () => {
  it('walks directories for JSON inputs, skipping digests, hidden and other files', async () => {
    const listed = await listInputFiles([root]);
    expect([...listed].sort()).toEqual(
      [
        files.eastLate,
        files.westEarly,
        files.insight,
        files.records,
        files.array,
        files.ndjson,
        files.ndjsonAsJson,
        files.brokenFirstLine,
        files.truncated,
        files.invalid,
        files.truncatedNdjson,
        files.envelope,
        files.empty,
      ]
        .map(at)
        .sort(),
    );
  });

  it('orders CloudTrail log files by their delivery stamp across regions, then by path', async () => {
    const listed = await listInputFiles([at('AWSLogs'), at('exports')]);
    const logs = listed.filter((f) => f.includes('AWSLogs'));
    expect(logs).toEqual([at(files.westEarly), at(files.insight), at(files.eastLate)]);
    // Unstamped exports first, in path order.
    const exports = listed.filter((f) => !f.includes('AWSLogs'));
    expect(exports).toEqual([...exports].sort());
    expect(listed.indexOf(at(files.westEarly))).toBeGreaterThan(listed.indexOf(at(files.records)));
  });

  it('reads a file named explicitly whatever its name, and lists each file once', async () => {
    const listed = await listInputFiles([at(files.readme), at(files.explicitGzip), at(files.records), at('exports')]);
    expect(listed).toContain(at(files.readme));
    expect(listed).toContain(at(files.explicitGzip));
    expect(listed.filter((f) => f === at(files.records))).toHaveLength(1);
  });
});

describe('sortInputFiles', () => {
  it('reads the stamp from CloudTrail names only', () => {
    expect(fileStamp(`x/${ACCOUNT}_CloudTrail_eu-west-2r_20240731T1305Z_abc.json.gz`)).toBe('20240731T1305Z');
    expect(fileStamp('x/20240731T1305Z.json')).toBe('');
    expect(sortInputFiles(['b/1_CloudTrail_r_20240101T0000Z_x.json.gz', 'a/1_CloudTrail_r_20240101T0005Z_x.json.gz', 'c.json'])).toEqual([
      'c.json',
      'b/1_CloudTrail_r_20240101T0000Z_x.json.gz',
      'a/1_CloudTrail_r_20240101T0005Z_x.json.gz',
    ]);
  });
});

describe('readSources', () => {
  let items: SourceItem[];
  let visited: Array<[string, number]>;

  beforeAll(async () => {
    visited = [];
    items = await collect([root], (path, bytes) => visited.push([path, bytes]));
  });

  it('reads every event of every readable file, and only those', () => {
    const counts = countsByFile(items);
    expect(Object.fromEntries(counts)).toEqual({
      [at(files.westEarly)]: 1,
      [at(files.insight)]: 1,
      [at(files.eastLate)]: 34,
      [at(files.records)]: 56,
      [at(files.array)]: 3,
      [at(files.ndjson)]: 4,
      [at(files.ndjsonAsJson)]: 5,
      [at(files.brokenFirstLine)]: 4,
      [at(files.envelope)]: 1,
      // 40 copies of 34 records were written; the cut leaves some, not all
      [at(files.truncatedNdjson)]: expect.any(Number),
    });
    const partial = counts.get(at(files.truncatedNdjson)) ?? 0;
    expect(partial).toBeGreaterThan(100);
    expect(partial).toBeLessThan(40 * 34);
  });

  it('gives each event its file and its position in it', () => {
    const byFile = new Map<string, number[]>();
    for (const item of eventsOf(items)) byFile.set(item.origin.path, [...(byFile.get(item.origin.path) ?? []), item.origin.index]);
    for (const indexes of byFile.values()) expect(indexes).toEqual(indexes.map((_, i) => i));
  });

  it('returns the parsed records themselves, in file order', () => {
    const fromEast = eventsOf(items).filter((i) => i.origin.path === at(files.eastLate));
    expect(fromEast.map((i) => i.value)).toEqual(passwordData);
    const fromNdjson = eventsOf(items).filter((i) => i.origin.path === at(files.ndjson));
    expect(fromNdjson.map((i) => asEnvelope(i.value)?.detail.eventID)).toEqual([
      adminUser[0]?.eventID,
      adminUser[1]?.eventID,
      adminUser[2]?.eventID,
      stratusStop[0]?.eventID,
    ]);
    // the envelope line stays an envelope
    expect(fromNdjson[1]?.value).toEqual(recordToEnvelope(adminUser[1] as CloudTrailRecord));
  });

  it('reads files in listed order, one after another', async () => {
    const order = eventsOf(items)
      .map((i) => i.origin.path)
      .filter((p, i, all) => all[i - 1] !== p);
    const listed = await listInputFiles([root]);
    expect(order).toEqual(listed.filter((f) => order.includes(f)));
  });

  it('reports each unreadable file once, each broken line by its number, and goes on', () => {
    const errors = errorsOf(items).map((e) => ({ path: e.path, reason: e.reason }));
    expect(errors).toEqual([
      { path: `${at(files.brokenFirstLine)}:1`, reason: expect.stringMatching(/^invalid JSON: /) },
      { path: `${at(files.ndjson)}:3`, reason: expect.stringMatching(/^invalid JSON: /) },
      { path: at(files.invalid), reason: expect.stringMatching(/^invalid JSON: /) },
      { path: at(files.truncatedNdjson), reason: 'gunzip failed: unexpected end of file' },
      { path: at(files.truncated), reason: 'gunzip failed: unexpected end of file' },
    ]);
    for (const e of errors) expect(e.reason.length).toBeLessThanOrEqual(200);
  });

  it('yields nothing from a file that fails to gunzip whole', () => {
    expect(countsByFile(items).has(at(files.truncated))).toBe(false);
    expect(countsByFile(items).has(at(files.invalid))).toBe(false);
  });

  it('reports progress once per listed file with its size on disk', async () => {
    const listed = await listInputFiles([root]);
    expect(visited.map(([p]) => p)).toEqual(listed);
    for (const [path, bytes] of visited) expect(bytes).toBe((await stat(path)).size);
  });

  it('detects gzip by content in a file named explicitly', async () => {
    const got = await collect([at(files.explicitGzip)]);
    expect(errorsOf(got)).toEqual([]);
    expect(eventsOf(got).map((i) => i.value)).toEqual(adminUser);
  });

  it('reports an explicitly named file that is not JSON, a missing path, and carries on', async () => {
    const got = await collect([at(files.readme), at('nope/missing.json'), at(files.envelope)]);
    expect(errorsOf(got)).toEqual([
      { kind: 'error', path: at('nope/missing.json'), reason: 'ENOENT: no such file or directory' },
      { kind: 'error', path: at(files.readme), reason: expect.stringMatching(/^invalid JSON: /) },
    ]);
    expect(eventsOf(got)).toHaveLength(1);
  });

  it('reads a multi-line document whose lines happen to parse as one document', async () => {
    // One record per line inside {"Records": [ ... ]}: line 2 alone is valid JSON, the file is not NDJSON.
    const dir = await mkdtemp(join(tmpdir(), 'trailwatch-sources-doc-'));
    const file = join(dir, 'one-per-line.json');
    await writeFile(file, `{"Records": [\n${JSON.stringify(adminUser[0])}\n]}\n`);
    const got = await collect([file]);
    await rm(dir, { recursive: true, force: true });
    expect(got).toEqual([{ kind: 'event', value: adminUser[0], origin: { path: file, index: 0 } }]);
  });

  it('reads a single pretty-printed envelope as one event', async () => {
    const got = await collect([at(files.envelope)]);
    expect(got).toEqual([
      { kind: 'event', value: recordToEnvelope(signIn[0] as CloudTrailRecord), origin: { path: at(files.envelope), index: 0 } },
    ]);
  });

});

describe('large files', () => {
  // Their own directory, so the listing tests above do not depend on test order.
  let big: string;
  beforeAll(async () => {
    big = await mkdtemp(join(tmpdir(), 'trailwatch-sources-big-'));
  });
  afterAll(async () => {
    await rm(big, { recursive: true, force: true });
  });
  const putBig = async (name: string, content: string | Buffer): Promise<string> => {
    const full = join(big, name);
    await writeFile(full, content);
    return full;
  };

  it('reads NDJSON lines that straddle read and inflate chunk boundaries', async () => {
    // ~3 MB of NDJSON with multi-byte characters: several 1 MiB reads, lines cut mid-character.
    const record = { ...(passwordData[0] as CloudTrailRecord), userAgent: 'é✓😀'.repeat(50) };
    const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ ...record, eventID: `id-${i}` }));
    const plain = await putBig('big.ndjson', `${lines.join('\n')}\n`);
    const zipped = await putBig('big.ndjson.gz', gzipSync(`${lines.join('\r\n')}`));
    for (const file of [plain, zipped]) {
      const got = await collect([file]);
      expect(errorsOf(got)).toEqual([]);
      const values = eventsOf(got).map((i) => i.value as CloudTrailRecord);
      expect(values.map((v) => v.eventID)).toEqual(lines.map((_, i) => `id-${i}`));
      expect(values.every((v) => v.userAgent === record.userAgent)).toBe(true);
    }
  });

  it.skipIf(process.platform !== 'linux')('closes the current file when the reader stops early', async () => {
    // Larger than one read, so the file is still open mid-way; random text so gzip cannot shrink it much.
    const lines = Array.from({ length: 4000 }, (_, i) =>
      JSON.stringify({ ...(passwordData[0] as CloudTrailRecord), eventID: `id-${i}`, userAgent: randomBytes(600).toString('hex') }),
    );
    const file = await putBig('open.ndjson.gz', gzipSync(lines.join('\n')));
    expect((await stat(file)).size).toBeGreaterThan(2 * 1024 * 1024);
    const openFds = async (): Promise<number> => (await readdir('/proc/self/fd')).length;
    const before = await openFds();
    const got: SourceItem[] = [];
    for await (const item of readSources([file])) {
      got.push(item);
      if (got.length === 5) break;
    }
    expect(got).toHaveLength(5);
    // The stream closes its file asynchronously once destroyed.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await openFds()).toBe(before);
  });

  it('reads a multi-megabyte pretty-printed document', async () => {
    const many = Array.from({ length: 60 }, () => ssmSend).flat();
    const file = await putBig('big-records.json', JSON.stringify({ Records: many }, null, 2));
    expect((await stat(file)).size).toBeGreaterThan(2 * 1024 * 1024);
    const got = await collect([file]);
    expect(errorsOf(got)).toEqual([]);
    expect(eventsOf(got)).toHaveLength(many.length);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { patternToSqlWhere, ruleToAthenaSql, type HuntOptions, type HuntRule } from '../../lib/hunt/athena-sql.js';
import { InvalidPatternError } from '../../lib/eventbridge/pattern.js';
import { parseTrino } from '../support/trino.js';

const OPTS: HuntOptions = {
  table: 'cloudtrail_logs',
  since: new Date('2025-01-01T00:00:00Z'),
  until: new Date('2025-01-08T00:00:00Z'),
};

const rule = (pattern: Record<string, unknown>, extra: Partial<HuntRule> = {}): HuntRule => ({
  id: 'test-rule',
  title: 'Test rule',
  pattern,
  ...extra,
});

/** The WHERE of a pattern whose only condition is one leaf on detail.<field>. */
const whereFor = (field: string, leaf: unknown[]): string => patternToSqlWhere({ detail: { [field]: leaf } }).where;

/** Every string literal in a parsed query, as its value (the parser keeps the escaped spelling). */
function stringLiterals(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const n of node) stringLiterals(n, out);
  } else if (typeof node === 'object' && node !== null) {
    const record = node as Record<string, unknown>;
    if (record['type'] === 'single_quote_string' && typeof record['value'] === 'string') {
      out.push(record['value'].replaceAll("''", "'").replaceAll('\\\\', '\\'));
    }
    for (const value of Object.values(record)) stringLiterals(value, out);
  }
  return out;
}

const CLOUDTRAIL_STOP = {
  source: ['aws.cloudtrail'],
  'detail-type': ['AWS API Call via CloudTrail'],
  detail: {
    eventName: ['StopLogging', 'DeleteTrail'],
    userIdentity: { type: ['Root'] },
    errorCode: [{ exists: false }],
  },
};

describe('the parse check', () => {
  it('rejects malformed SQL, so passing it means something', () => {
    expect(() => parseTrino("SELECT 1 FROM t WHERE a = 'x")).toThrow();
    expect(() => parseTrino('SELECT 1 FROM t WHERE (a = 1')).toThrow();
    expect(() => parseTrino("SELECT 1 FROM t WHERE a = 'x' b")).toThrow();
  });
});

describe('ruleToAthenaSql', () => {
  it('builds the full query for a plain rule', () => {
    const q = ruleToAthenaSql(rule(CLOUDTRAIL_STOP), OPTS);
    expect(q.sql).toBe(
      [
        'SELECT eventtime, eventid, eventsource, eventname, awsregion, recipientaccountid, useridentity.arn AS principal, sourceipaddress, useragent, errorcode',
        'FROM "default"."cloudtrail_logs"',
        "WHERE concat('aws.', split_part(eventsource, '.', 1)) = 'aws.cloudtrail' AND eventtype = 'AwsApiCall'" +
          " AND eventname IN ('StopLogging', 'DeleteTrail') AND useridentity.type = 'Root' AND errorcode IS NULL" +
          " AND eventtime >= '2025-01-01T00:00:00Z' AND eventtime < '2025-01-08T00:00:00Z'",
        'ORDER BY eventtime DESC',
        'LIMIT 1000',
      ].join('\n'),
    );
    expect(q.caveats).toEqual([]);
    expect(() => parseTrino(q.sql)).not.toThrow();
  });

  it('uses the given database and limit', () => {
    const q = ruleToAthenaSql(rule(CLOUDTRAIL_STOP), { ...OPTS, database: 'security_lake', limit: 50 });
    expect(q.sql).toContain('FROM "security_lake"."cloudtrail_logs"');
    expect(q.sql).toMatch(/\nLIMIT 50$/);
  });

  it('keeps the time range at second precision, widening a sub-second until', () => {
    const q = ruleToAthenaSql(rule(CLOUDTRAIL_STOP), {
      ...OPTS,
      since: new Date('2025-01-01T10:20:30.900Z'),
      until: new Date('2025-01-01T11:00:00.001Z'),
    });
    expect(q.sql).toContain("eventtime >= '2025-01-01T10:20:30Z' AND eventtime < '2025-01-01T11:00:01Z'");
  });

  it('rejects an empty or invalid time range and a bad limit', () => {
    expect(() => ruleToAthenaSql(rule(CLOUDTRAIL_STOP), { ...OPTS, since: OPTS.until })).toThrow(/empty hunt time range/);
    expect(() => ruleToAthenaSql(rule(CLOUDTRAIL_STOP), { ...OPTS, since: new Date('nope') })).toThrow(/invalid date/);
    expect(() => ruleToAthenaSql(rule(CLOUDTRAIL_STOP), { ...OPTS, limit: 0 })).toThrow(/limit/);
    expect(() => ruleToAthenaSql(rule(CLOUDTRAIL_STOP), { ...OPTS, limit: 1.5 })).toThrow(/limit/);
  });

  it.each(['cloudtrail-logs', 'logs"; DROP TABLE x; --', '1logs', 'a.b', '', 'tbl name', 'ü'])('rejects the table name %j', (table) => {
    expect(() => ruleToAthenaSql(rule(CLOUDTRAIL_STOP), { ...OPTS, table })).toThrow(/invalid SQL identifier/);
  });

  it('rejects a hostile database name', () => {
    expect(() => ruleToAthenaSql(rule(CLOUDTRAIL_STOP), { ...OPTS, database: 'default"."x' })).toThrow(/invalid SQL identifier/);
  });

  it('accepts the names the CloudTrail console gives its tables', () => {
    const q = ruleToAthenaSql(rule(CLOUDTRAIL_STOP), { ...OPTS, table: 'cloudtrail_logs_aws_cloudtrail_logs_123456789012_1a2b3c4d' });
    expect(q.sql).toContain('FROM "default"."cloudtrail_logs_aws_cloudtrail_logs_123456789012_1a2b3c4d"');
  });

  it('says the match() predicate is not expressed', () => {
    const q = ruleToAthenaSql(rule(CLOUDTRAIL_STOP, { match: () => true }), OPTS);
    expect(q.caveats).toEqual([expect.stringMatching(/match\(\) predicate is JavaScript and is not expressed/)]);
  });

  it('expresses a threshold with a window function over principal and account', () => {
    const q = ruleToAthenaSql(
      rule({ source: ['aws.secretsmanager'], detail: { eventName: ['GetSecretValue'] } }, { threshold: { count: 20, windowMinutes: 10 } }),
      OPTS,
    );
    const cols = 'eventtime, eventid, eventsource, eventname, awsregion, recipientaccountid, principal, sourceipaddress, useragent, errorcode';
    expect(q.sql).toBe(
      [
        `SELECT ${cols}, window_count`,
        'FROM (',
        `  SELECT ${cols}, COUNT(*) OVER (PARTITION BY group_principal, recipientaccountid ORDER BY from_iso8601_timestamp(eventtime) RANGE BETWEEN INTERVAL '10' MINUTE PRECEDING AND CURRENT ROW) AS window_count`,
        '  FROM (',
        '    SELECT eventtime, eventid, eventsource, eventname, awsregion, recipientaccountid, useridentity.arn AS principal, sourceipaddress, useragent, errorcode, ' +
          'coalesce(useridentity.sessioncontext.sessionissuer.arn, useridentity.arn, useridentity.invokedby, useridentity.principalid) AS group_principal',
        '    FROM "default"."cloudtrail_logs"',
        "    WHERE concat('aws.', split_part(eventsource, '.', 1)) = 'aws.secretsmanager' AND eventname = 'GetSecretValue'" +
          " AND eventtime >= '2025-01-01T00:00:00Z' AND eventtime < '2025-01-08T00:00:00Z'",
        '  ) AS hits',
        ') AS windowed',
        'WHERE window_count >= 20',
        'ORDER BY eventtime DESC',
        'LIMIT 1000',
      ].join('\n'),
    );
    expect(q.caveats).toEqual([expect.stringMatching(/^threshold: 20 in 10 min \(expressed with a window function/)]);
    expect(() => parseTrino(q.sql)).not.toThrow();
  });

  it('uses seconds for a fractional window and rejects nonsense thresholds', () => {
    const half = ruleToAthenaSql(rule(CLOUDTRAIL_STOP, { threshold: { count: 3, windowMinutes: 0.5 } }), OPTS);
    expect(half.sql).toContain("RANGE BETWEEN INTERVAL '30' SECOND PRECEDING AND CURRENT ROW");
    expect(() => parseTrino(half.sql)).not.toThrow();
    expect(() => ruleToAthenaSql(rule(CLOUDTRAIL_STOP, { threshold: { count: 0, windowMinutes: 5 } }), OPTS)).toThrow(/threshold.count/);
    expect(() => ruleToAthenaSql(rule(CLOUDTRAIL_STOP, { threshold: { count: 5, windowMinutes: -1 } }), OPTS)).toThrow(/windowMinutes/);
  });

  it('says what a threshold rule with match() and groupBy() loses', () => {
    const q = ruleToAthenaSql(
      rule(CLOUDTRAIL_STOP, { match: () => true, groupBy: () => ({ bucket: 'b' }), threshold: { count: 5, windowMinutes: 15 } }),
      OPTS,
    );
    expect(q.caveats).toEqual([
      expect.stringMatching(/match\(\) predicate/),
      expect.stringMatching(/^threshold: 5 in 15 min/),
      expect.stringMatching(/counts pattern matches, not match\(\) results/),
      expect.stringMatching(/groupBy\(\) is JavaScript/),
    ]);
  });
});

describe('patternToSqlWhere: leaf operators', () => {
  it.each<[string, unknown[], string]>([
    ['one exact string', ['DeleteTrail'], "eventname = 'DeleteTrail'"],
    ['several exact strings', ['A', 'B', 'A'], "eventname IN ('A', 'B')"],
    ['prefix', [{ prefix: 'Get' }], "starts_with(eventname, 'Get')"],
    ['prefix ignoring case', [{ prefix: { 'equals-ignore-case': 'get' } }], "starts_with(lower(eventname), lower('get'))"],
    ['suffix', [{ suffix: 'Trail' }], "eventname LIKE '%Trail' ESCAPE '!'"],
    ['suffix ignoring case', [{ suffix: { 'equals-ignore-case': 'trail' } }], "lower(eventname) LIKE lower('%trail') ESCAPE '!'"],
    ['equals-ignore-case', [{ 'equals-ignore-case': 'deletetrail' }], "lower(eventname) = lower('deletetrail')"],
    ['wildcard', [{ wildcard: 'Delete*Policy*' }], "eventname LIKE 'Delete%Policy%' ESCAPE '!'"],
    ['wildcard with escaped star and LIKE metacharacters', [{ wildcard: 'a\\*b_c%d!e*' }], "eventname LIKE 'a*b!_c!%d!!e%' ESCAPE '!'"],
    ['exists', [{ exists: true }], 'eventname IS NOT NULL'],
    ['not exists', [{ exists: false }], 'eventname IS NULL'],
    ['anything-but a value', [{ 'anything-but': 'ListBuckets' }], "eventname IS NOT NULL AND NOT (eventname = 'ListBuckets')"],
    ['anything-but a list', [{ 'anything-but': ['A', 'B'] }], "eventname IS NOT NULL AND NOT (eventname IN ('A', 'B'))"],
    ['anything-but prefix', [{ 'anything-but': { prefix: 'Get' } }], "eventname IS NOT NULL AND NOT (starts_with(eventname, 'Get'))"],
    [
      'anything-but prefixes',
      [{ 'anything-but': { prefix: ['Get', 'List'] } }],
      "eventname IS NOT NULL AND NOT (starts_with(eventname, 'Get') OR starts_with(eventname, 'List'))",
    ],
    ['anything-but suffix', [{ 'anything-but': { suffix: 'Trail' } }], "eventname IS NOT NULL AND NOT (eventname LIKE '%Trail' ESCAPE '!')"],
    [
      'anything-but equals-ignore-case',
      [{ 'anything-but': { 'equals-ignore-case': ['a', 'B'] } }],
      "eventname IS NOT NULL AND NOT (lower(eventname) = lower('a') OR lower(eventname) = lower('B'))",
    ],
    ['anything-but wildcard', [{ 'anything-but': { wildcard: '*Trail' } }], "eventname IS NOT NULL AND NOT (eventname LIKE '%Trail' ESCAPE '!')"],
    ['a mix of values and operators', ['A', { prefix: 'Get' }, 'B'], "(eventname IN ('A', 'B') OR starts_with(eventname, 'Get'))"],
  ])('%s', (_name, leaf, expected) => {
    const where = whereFor('eventName', leaf);
    expect(where).toBe(expected);
    expect(() => parseTrino(`SELECT 1 FROM t WHERE ${where}`)).not.toThrow();
  });

  it.each<[string, unknown[], string]>([
    ['a number', [5], "TRY_CAST(json_extract_scalar(requestparameters, '$.maxResults') AS double) = 5"],
    ['a boolean', [true], "json_extract_scalar(requestparameters, '$.maxResults') = 'true'"],
    [
      'a numeric range',
      [{ numeric: ['>', 0, '<=', 5.5] }],
      "TRY_CAST(json_extract_scalar(requestparameters, '$.maxResults') AS double) > 0 AND TRY_CAST(json_extract_scalar(requestparameters, '$.maxResults') AS double) <= 5.5",
    ],
    ['numeric equality', [{ numeric: ['=', -3] }], "TRY_CAST(json_extract_scalar(requestparameters, '$.maxResults') AS double) = -3"],
    [
      'anything-but numbers (a non-number is not excluded)',
      [{ 'anything-but': [100, 200] }],
      "json_extract_scalar(requestparameters, '$.maxResults') IS NOT NULL AND NOT coalesce(TRY_CAST(json_extract_scalar(requestparameters, '$.maxResults') AS double) = 100" +
        " OR TRY_CAST(json_extract_scalar(requestparameters, '$.maxResults') AS double) = 200, FALSE)",
    ],
  ])('numbers and booleans: %s', (_name, leaf, expected) => {
    const where = patternToSqlWhere({ detail: { requestParameters: { maxResults: leaf } } }).where;
    expect(where).toBe(expected);
    expect(() => parseTrino(`SELECT 1 FROM t WHERE ${where}`)).not.toThrow();
  });

  it('reads readOnly, a string column in the table, as the text true/false', () => {
    expect(whereFor('readOnly', [false])).toBe("readonly = 'false'");
  });

  it('matches null with IS NULL and says it cannot tell null from missing', () => {
    const { where, caveats } = patternToSqlWhere({ detail: { errorCode: [null] } });
    expect(where).toBe('errorcode IS NULL');
    expect(caveats).toEqual([expect.stringMatching(/^detail\.errorCode: null is matched with IS NULL/)]);
  });

  it('cidr uses Trino contains() with TRY_CAST, so non-IP values (service names) do not fail the query', () => {
    const where = whereFor('sourceIPAddress', [{ cidr: '10.0.0.0/8' }, { cidr: '2001:db8::/32' }]);
    expect(where).toBe(
      "(contains('10.0.0.0/8', TRY_CAST(sourceipaddress AS IPADDRESS)) OR contains('2001:db8::/32', TRY_CAST(sourceipaddress AS IPADDRESS)))",
    );
    expect(() => parseTrino(`SELECT 1 FROM t WHERE ${where}`)).not.toThrow();
  });
});

describe('patternToSqlWhere: fields', () => {
  it('maps envelope fields to columns', () => {
    const { where, caveats } = patternToSqlWhere({ account: ['123456789012'], region: [{ prefix: 'eu-' }], version: ['0'] });
    expect(where).toBe("recipientaccountid = '123456789012' AND starts_with(awsregion, 'eu-')");
    expect(caveats).toEqual([]);
  });

  it('turns a version that can never match into FALSE', () => {
    expect(patternToSqlWhere({ version: ['1'] }).where).toBe('FALSE');
  });

  it('derives detail-type from eventtype, both sign-in spellings included', () => {
    expect(patternToSqlWhere({ 'detail-type': ['AWS Console Signin via CloudTrail'] }).where).toBe("eventtype = 'AwsConsoleSignIn'");
    expect(patternToSqlWhere({ 'detail-type': ['AWS Console Sign In via CloudTrail'] }).where).toBe("eventtype = 'AwsConsoleSignIn'");
    expect(
      patternToSqlWhere({ 'detail-type': ['AWS API Call via CloudTrail', { prefix: 'AWS Console' }] }).where,
    ).toBe("eventtype IN ('AwsApiCall', 'AwsConsoleSignIn', 'AwsConsoleAction')");
    expect(patternToSqlWhere({ 'detail-type': [{ 'anything-but': 'AWS API Call via CloudTrail' }] }).where).toBe(
      "eventtype IN ('AwsConsoleSignIn', 'AwsConsoleAction', 'AwsServiceEvent')",
    );
  });

  it('says Insight events are not in the table', () => {
    const only = patternToSqlWhere({ 'detail-type': ['AWS Insight via CloudTrail'] });
    expect(only.where).toBe('FALSE');
    expect(only.caveats).toEqual([expect.stringMatching(/^the pattern matches only Insight events: .*CloudTrail-Insight prefix/)]);

    const also = patternToSqlWhere({ 'detail-type': [{ wildcard: 'AWS * via CloudTrail' }] });
    expect(also.where).toBe("eventtype IN ('AwsApiCall', 'AwsConsoleSignIn', 'AwsConsoleAction', 'AwsServiceEvent')");
    expect(also.caveats).toEqual([expect.stringMatching(/^the pattern also matches Insight events/)]);

    const byEventType = patternToSqlWhere({ detail: { eventType: ['AwsCloudTrailInsight'] } });
    expect(byEventType.caveats).toEqual([expect.stringMatching(/only Insight events/)]);

    const byDetails = patternToSqlWhere({ detail: { insightDetails: { state: ['Start'] } } });
    expect(byDetails.where).toBe('TRUE');
    expect(byDetails.caveats).toEqual([expect.stringMatching(/detail\.insightDetails\.state is left out \(CloudTrail delivers Insight events/)]);
  });

  it('reaches nested struct fields with dots', () => {
    expect(patternToSqlWhere({ detail: { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ suffix: '/admin' }] } } } } }).where).toBe(
      "useridentity.sessioncontext.sessionissuer.arn LIKE '%/admin' ESCAPE '!'",
    );
    expect(patternToSqlWhere({ detail: { userIdentity: { sessionContext: { attributes: { mfaAuthenticated: ['false'] } } } } }).where).toBe(
      "useridentity.sessioncontext.attributes.mfaauthenticated = 'false'",
    );
  });

  it('reads JSON-text columns with json_extract_scalar and says it does not see inside arrays', () => {
    const { where, caveats } = patternToSqlWhere({
      detail: { requestParameters: { policy: { effect: ['Allow'] }, 'x-amz-acl': ['public-read'], "it's": ['x'] } },
    });
    expect(where).toBe(
      "json_extract_scalar(requestparameters, '$.policy.effect') = 'Allow'" +
        " AND json_extract_scalar(requestparameters, '$[\"x-amz-acl\"]') = 'public-read'" +
        " AND json_extract_scalar(requestparameters, '$[\"it''s\"]') = 'x'",
    );
    expect(caveats).toEqual([expect.stringMatching(/^requestparameters is JSON text read with json_extract_scalar, which does not look inside JSON arrays/)]);
    expect(() => parseTrino(`SELECT 1 FROM t WHERE ${where}`)).not.toThrow();
  });

  it('leaves out a JSON key it cannot quote safely, and says so', () => {
    const { where, caveats } = patternToSqlWhere({ detail: { requestParameters: { 'a"b': ['x'] } } });
    expect(where).toBe('TRUE');
    expect(caveats).toEqual([expect.stringMatching(/condition on detail\.requestParameters\.a"b is left out/)]);
  });

  it('matches any element of resources, each leaf on its own', () => {
    const where = patternToSqlWhere({
      detail: { resources: { ARN: [{ prefix: 'arn:aws:s3:::' }, 'x'], type: [{ 'anything-but': 'AWS::S3::Object' }], accountId: [{ exists: false }] } },
    }).where;
    expect(where).toBe(
      "any_match(resources, r -> (r.arn = 'x' OR starts_with(r.arn, 'arn:aws:s3:::')))" +
        " AND any_match(resources, r -> (r.type IS NOT NULL AND NOT (r.type = 'AWS::S3::Object')))" +
        ' AND NOT coalesce(any_match(resources, r -> r.accountid IS NOT NULL), FALSE)',
    );
    expect(() => parseTrino(`SELECT 1 FROM t WHERE ${where}`)).not.toThrow();
  });

  it('ORs $or branches and parenthesizes them under AND', () => {
    const { where } = patternToSqlWhere({
      source: ['aws.iam'],
      detail: { $or: [{ eventName: ['CreateAccessKey'] }, { eventName: ['CreateLoginProfile'], errorCode: [{ exists: false }] }] },
    });
    expect(where).toBe(
      "concat('aws.', split_part(eventsource, '.', 1)) = 'aws.iam' AND (eventname = 'CreateAccessKey' OR (eventname = 'CreateLoginProfile' AND errorcode IS NULL))",
    );
    expect(() => parseTrino(`SELECT 1 FROM t WHERE ${where} AND x = 1`)).not.toThrow();
  });

  it('parenthesizes a top-level OR so it can be joined with AND', () => {
    const { where } = patternToSqlWhere({ $or: [{ region: ['eu-west-1'] }, { account: ['1'] }] });
    expect(where).toBe("(awsregion = 'eu-west-1' OR recipientaccountid = '1')");
  });

  it('leaves out fields the table has no column for, widening the query, and says so', () => {
    const { where, caveats } = patternToSqlWhere({
      id: ['x'],
      detail: { eventName: ['PutObject'], managementEvent: [false], userIdentity: { sessionContext: { sourceIdentity: ['me'] } } },
    });
    expect(where).toBe("eventname = 'PutObject'");
    expect(caveats).toEqual([
      expect.stringMatching(/^the condition on id is left out/),
      expect.stringMatching(/^the condition on detail\.managementEvent is left out \(the CloudTrail table has no such column\)/),
      expect.stringMatching(/^the condition on detail\.userIdentity\.sessionContext\.sourceIdentity is left out/),
    ]);
  });

  it('leaves out the whole of a $or branch it cannot express (TRUE absorbs the OR)', () => {
    const { where } = patternToSqlWhere({ detail: { eventName: ['A'], $or: [{ eventSource: ['s3.amazonaws.com'] }, { managementEvent: [true] }] } });
    expect(where).toBe("eventname = 'A'");
  });

  it('says when a column exists only in the newer DDL', () => {
    const { where, caveats } = patternToSqlWhere({ detail: { tlsDetails: { tlsVersion: ['TLSv1'] } } });
    expect(where).toBe("tlsdetails.tlsversion = 'TLSv1'");
    expect(caveats).toEqual([expect.stringMatching(/^tlsdetails exists only in tables created with the current Athena DDL/)]);
  });

  it('field names are case-sensitive, as in EventBridge', () => {
    expect(patternToSqlWhere({ detail: { sourceIpAddress: ['1.2.3.4'] } }).caveats).toEqual([
      expect.stringMatching(/detail\.sourceIpAddress is left out/),
    ]);
  });
});

describe('escaping of hostile values', () => {
  const HOSTILE = "x' OR '1'='1' -- 100%_\\'";

  it('keeps a hostile exact value inside one literal', () => {
    const q = ruleToAthenaSql(rule({ detail: { eventName: [HOSTILE] } }), OPTS);
    expect(q.sql).toContain(`eventname = 'x'' OR ''1''=''1'' -- 100%_\\'''`);
    expect(stringLiterals(parseTrino(q.sql))).toContain(HOSTILE);
  });

  it.each<[string, unknown[], string]>([
    ['prefix', [{ prefix: HOSTILE }], HOSTILE],
    ['equals-ignore-case', [{ 'equals-ignore-case': HOSTILE }], HOSTILE],
    ['suffix (as a LIKE pattern)', [{ suffix: HOSTILE }], "%x' OR '1'='1' -- 100!%!_\\'"],
    // A backslash in a wildcard must itself be escaped (EventBridge rejects a lone one).
    ['wildcard (as a LIKE pattern)', [{ wildcard: HOSTILE.replace('\\', '\\\\') }], "x' OR '1'='1' -- 100!%!_\\'"],
    ['anything-but', [{ 'anything-but': [HOSTILE] }], HOSTILE],
  ])('keeps a hostile %s value inside its literal', (_name, leaf, literal) => {
    const q = ruleToAthenaSql(rule({ detail: { userAgent: leaf } }), OPTS);
    const literals = stringLiterals(parseTrino(q.sql));
    expect(literals).toContain(literal);
    // Nothing else leaked out as an extra literal: the pattern's one, the ESCAPE char maybe, the two times.
    expect(literals.filter((l) => l !== literal && l !== '!' && !l.startsWith('2025-'))).toEqual([]);
  });

  it('keeps a hostile JSON key inside the path literal', () => {
    const where = patternToSqlWhere({ detail: { requestParameters: { "k') OR TRUE --": ['v'] } } }).where;
    expect(where).toBe("json_extract_scalar(requestparameters, '$[\"k'') OR TRUE --\"]') = 'v'");
    expect(stringLiterals(parseTrino(`SELECT 1 FROM t WHERE ${where}`))).toEqual(['$["k\') OR TRUE --"]', 'v']);
  });
});

describe('invalid patterns', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a bare value', { detail: { eventName: 'DeleteTrail' } }, /must be an object or an array of match values/],
    ['an empty leaf', { detail: { eventName: [] } }, /at least one value/],
    ['an unknown operator', { detail: { eventName: [{ contains: 'x' }] } }, /unknown operator "contains"/],
    ['two operators in one object', { detail: { eventName: [{ prefix: 'a', suffix: 'b' }] } }, /exactly one key/],
    ['a bad numeric range', { detail: { n: [{ numeric: ['<', 5, '>', 1] }] } }, /a numeric range starts with ">" or ">="/],
    ['a bad cidr', { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/33' }] } }, /cidr/],
    ['exists with a string', { detail: { eventName: [{ exists: 'yes' }] } }, /exists takes true or false/],
    ['anything-but null', { detail: { eventName: [{ 'anything-but': null }] } }, /anything-but takes a string, a number/],
    ['anything-but an empty prefix', { detail: { eventName: [{ 'anything-but': { prefix: '' } }] } }, /must not be empty/],
    ['a wildcard with **', { detail: { eventName: [{ wildcard: 'a**b' }] } }, /\*\*/],
    ['$or that is not a list of objects', { $or: { a: ['b'] } }, /\$or/],
  ])('rejects %s', (_name, pattern, message) => {
    expect(() => patternToSqlWhere(pattern)).toThrow(InvalidPatternError);
    expect(() => patternToSqlWhere(pattern)).toThrow(message);
  });
});

interface ConformanceCase {
  id: string;
  expected: boolean | 'error';
  pattern: string;
}

describe('EventBridge conformance patterns (recorded against AWS)', () => {
  const cases = JSON.parse(readFileSync(new URL('../fixtures/conformance/eventbridge-patterns.json', import.meta.url), 'utf8')) as ConformanceCase[];
  // The SQL is compiled from the matcher's parsed tree: it rejects exactly what the matcher rejects.
  const valid = cases.filter((c) => c.expected !== 'error');
  const invalid = cases.filter((c) => c.expected === 'error');

  it('has cases to check', () => {
    expect(valid.length).toBeGreaterThan(50);
    expect(invalid.length).toBeGreaterThan(20);
  });

  // Their field names are not CloudTrail's, so each pattern is also placed under requestParameters,
  // where every key is a JSON path: that compiles every operator, not a column-less TRUE.
  it.each(valid.map((c) => [c.id, c.pattern] as const))('%s compiles to SQL that parses', (_id, text) => {
    const pattern = JSON.parse(text) as Record<string, unknown>;
    for (const p of [pattern, { detail: { requestParameters: pattern } }]) {
      const q = ruleToAthenaSql(rule(p), OPTS);
      expect(() => parseTrino(q.sql)).not.toThrow();
    }
  });

  it.each(invalid.map((c) => [c.id, c.pattern] as const))('%s is rejected', (_id, text) => {
    expect(() => patternToSqlWhere(JSON.parse(text) as Record<string, unknown>)).toThrow(InvalidPatternError);
  });
});

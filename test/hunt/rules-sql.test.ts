import { describe, expect, it } from 'vitest';
import { ruleToAthenaSql } from '../../lib/hunt/athena-sql.js';
import { rules } from '../../rules/index.js';
import { parseTrino } from '../support/trino.js';

const opts = { table: 'cloudtrail_logs', since: new Date('2026-11-01T00:00:00Z'), until: new Date('2026-11-08T00:00:00Z') };

describe('hunt SQL for every rule in rules/', () => {
  it.each(rules.map((r) => [r.id, r] as const))('%s gives SQL that parses as Trino', (_id, rule) => {
    const { sql, caveats } = ruleToAthenaSql(rule, opts);
    expect(() => parseTrino(sql)).not.toThrow();
    expect(sql).toContain('FROM "default"."cloudtrail_logs"');
    if (rule.match) expect(caveats.join(' ')).toMatch(/match/i);
    if (rule.threshold) expect(sql).toContain(`>= ${rule.threshold.count}`);
  });

  it('gives the expected query for cloudtrail-tampering', () => {
    const rule = rules.find((r) => r.id === 'cloudtrail-tampering');
    expect(rule).toBeDefined();
    expect(ruleToAthenaSql(rule!, opts).sql).toBe(
      [
        'SELECT eventtime, eventid, eventsource, eventname, awsregion, recipientaccountid, useridentity.arn AS principal, sourceipaddress, useragent, errorcode',
        'FROM "default"."cloudtrail_logs"',
        "WHERE concat('aws.', split_part(eventsource, '.', 1)) = 'aws.cloudtrail' AND eventtype = 'AwsApiCall' AND eventsource = 'cloudtrail.amazonaws.com' AND eventname IN ('StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors', 'StopEventDataStoreIngestion', 'DeleteEventDataStore') AND eventtime >= '2026-11-01T00:00:00Z' AND eventtime < '2026-11-08T00:00:00Z'",
        'ORDER BY eventtime DESC',
        'LIMIT 1000',
      ].join('\n'),
    );
  });

  it('says Insight rules cannot be hunted in the CloudTrail table', () => {
    const rule = rules.find((r) => r.id === 'cloudtrail-insight');
    expect(ruleToAthenaSql(rule!, opts).caveats.join(' ')).toMatch(/Insight/);
  });
});

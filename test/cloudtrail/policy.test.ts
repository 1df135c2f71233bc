import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accountOfPrincipal, grantsFullAccess, parsePolicy, trustOpening } from '../../lib/cloudtrail/policy.js';

const doc = (statement: unknown) => JSON.stringify({ Version: '2012-10-17', Statement: statement });

describe('parsePolicy', () => {
  it.each([
    ['a JSON string', doc([{ Effect: 'Allow', Action: '*', Resource: '*' }])],
    ['URL-encoded JSON, as responseElements log it', encodeURIComponent(doc([{ Effect: 'Allow', Action: '*', Resource: '*' }]))],
    ['an embedded object', { Statement: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }] }],
    ['a single statement object instead of a list', doc({ Effect: 'Allow', Action: '*', Resource: '*' })],
    ['leading whitespace and newlines', `\n  ${doc([{ Effect: 'Allow', Action: '*', Resource: '*' }])}`],
  ])('reads %s', (_name, input) => {
    const statements = parsePolicy(input);
    expect(statements).toHaveLength(1);
    expect(statements?.[0]).toMatchObject({ effect: 'Allow', actions: ['*'], resources: ['*'] });
  });

  it.each([
    ['not JSON', 'Allow everything'],
    ['a broken URL escape', '%7B%E0%A4%A'],
    ['JSON without statements', '{"Version":"2012-10-17"}'],
    ['a number', 42],
    ['null', null],
    ['an oversized document', `{"Statement":[${'{"Effect":"Allow","Action":"*","Resource":"*"},'.repeat(2000)}{}]}`],
  ])('returns undefined for %s', (_name, input) => {
    expect(parsePolicy(input)).toBeUndefined();
  });

  it('keeps only well-formed parts of odd statements', () => {
    const statements = parsePolicy(doc([null, 7, { Effect: ['Allow'], Action: { '*': 1 }, Resource: [1, '*'], Principal: { AWS: [null, '123456789012'] } }]));
    expect(statements).toEqual([{ effect: '', actions: [], notActions: [], resources: ['*'], principals: [{ kind: 'AWS', value: '123456789012' }], hasCondition: false }]);
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue(), fc.string().map((s) => `%7B${encodeURIComponent(s)}`)), (input) => {
        const statements = parsePolicy(input);
        if (statements) {
          grantsFullAccess(statements);
          trustOpening(statements, '123456789012');
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('grantsFullAccess', () => {
  it.each([
    ['Allow * on *', [{ Effect: 'Allow', Action: '*', Resource: '*' }], true],
    ['Allow *:* on *', [{ Effect: 'Allow', Action: ['s3:GetObject', '*:*'], Resource: '*' }], true],
    ['Allow NotAction on *', [{ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }], true],
    ['Allow * on one bucket', [{ Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::b/*' }], false],
    ['Allow s3:* on *', [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }], false],
    ['Deny * on *', [{ Effect: 'Deny', Action: '*', Resource: '*' }], false],
  ])('%s -> %s', (_name, statement, expected) => {
    expect(grantsFullAccess(parsePolicy(doc(statement)) ?? [])).toBe(expected);
  });
});

describe('trustOpening', () => {
  const own = '111111111111';
  it.each([
    ['the wildcard principal', '*', undefined, { public: true, conditionalPublic: false, externalAccounts: [] }],
    ['AWS *', { AWS: '*' }, undefined, { public: true, conditionalPublic: false, externalAccounts: [] }],
    ['AWS * under an org condition', { AWS: '*' }, { StringEquals: { 'aws:PrincipalOrgID': 'o-1' } }, { public: false, conditionalPublic: true, externalAccounts: [] }],
    ['another account root', { AWS: 'arn:aws:iam::222222222222:root' }, undefined, { public: false, conditionalPublic: false, externalAccounts: ['222222222222'] }],
    ['a bare account id', { AWS: ['222222222222', '333333333333'] }, undefined, { public: false, conditionalPublic: false, externalAccounts: ['222222222222', '333333333333'] }],
    ['the own account', { AWS: `arn:aws:iam::${own}:role/ci` }, undefined, { public: false, conditionalPublic: false, externalAccounts: [] }],
    ['a service', { Service: 'lambda.amazonaws.com' }, undefined, { public: false, conditionalPublic: false, externalAccounts: [] }],
  ])('%s', (_name, principal, condition, expected) => {
    const statements = parsePolicy(doc([{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole', ...(condition ? { Condition: condition } : {}) }]));
    expect(trustOpening(statements ?? [], own)).toEqual(expected);
  });

  it('names accounts in every partition and in STS ARNs', () => {
    expect(accountOfPrincipal('arn:aws-cn:iam::222222222222:root')).toBe('222222222222');
    expect(accountOfPrincipal('arn:aws:sts::222222222222:assumed-role/r/s')).toBe('222222222222');
    expect(accountOfPrincipal('AROA1234567890EXAMPLE')).toBeUndefined();
    expect(accountOfPrincipal('arn:aws:iam::12345:root')).toBeUndefined();
  });
});

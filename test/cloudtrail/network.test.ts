import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apiName, isServiceOrServiceLinkedRole, usesLongTermCredentials } from '../../lib/cloudtrail/identity.js';
import { describeGrant, exposureOf, isAnywhere, openIngressOf, securityGroupIngressGrants, type IngressGrant } from '../../lib/cloudtrail/network.js';
import type { CloudTrailRecord, Json } from '../../lib/cloudtrail/types.js';

const sgIngress = (requestParameters: Json): CloudTrailRecord => ({ eventName: 'AuthorizeSecurityGroupIngress', requestParameters });
const nested = (ipProtocol: string, fromPort: number | undefined, toPort: number | undefined, cidrs: string[], v6: string[] = []): Json => ({
  groupId: 'sg-1',
  ipPermissions: {
    items: [
      {
        ipProtocol,
        ...(fromPort === undefined ? {} : { fromPort }),
        ...(toPort === undefined ? {} : { toPort }),
        ipRanges: { items: cidrs.map((cidrIp) => ({ cidrIp })) },
        ipv6Ranges: { items: v6.map((cidrIpv6) => ({ cidrIpv6 })) },
      },
    ],
  },
});

describe('isAnywhere', () => {
  it.each([
    ['0.0.0.0/0', true],
    ['::/0', true],
    ['208.236.235.254/0', true],
    ['0.0.0.0/00', true],
    ['0.0.0.0/1', false],
    ['10.0.0.0/8', false],
    ['0.0.0.0', false],
    ['/0', false],
    ['', false],
  ])('%s is anywhere: %s', (cidr, expected) => {
    expect(isAnywhere(cidr)).toBe(expected);
  });
});

describe('exposureOf', () => {
  const g = (protocol: string, fromPort?: number, toPort?: number, cidr = '0.0.0.0/0'): IngressGrant => ({
    cidr,
    protocol,
    ...(fromPort === undefined ? {} : { fromPort }),
    ...(toPort === undefined ? {} : { toPort }),
  });
  it.each([
    ['SSH', g('tcp', 22, 22), 'security-group', 'admin'],
    ['RDP over UDP', g('udp', 3389, 3389), 'security-group', 'admin'],
    ['all traffic', g('all'), 'security-group', 'admin'],
    ['tcp without ports (every port)', g('tcp'), 'security-group', 'admin'],
    ['a range over MongoDB', g('tcp', 27000, 28000), 'security-group', 'admin'],
    ['8080', g('tcp', 8080, 8080), 'security-group', 'other'],
    ['80-443 as one range', g('tcp', 80, 443), 'security-group', 'other'],
    ['GRE (protocol 47)', g('47'), 'security-group', 'other'],
    ['443 alone', g('tcp', 443, 443), 'security-group', undefined],
    ['ICMP', g('icmp'), 'security-group', undefined],
    ['SSH from a private range', g('tcp', 22, 22, '10.0.0.0/8'), 'security-group', undefined],
    ['a stateful group open 1024-65535 reaches databases', g('tcp', 1024, 65535), 'security-group', 'admin'],
    ['a NACL open 1024-65535 is return traffic', g('tcp', 1024, 65535), 'network-acl', undefined],
    ['a NACL open 32768-65535 is return traffic', g('tcp', 32768, 65535), 'network-acl', undefined],
    ['a NACL open 1000-65535 reaches 1433', g('tcp', 1000, 65535), 'network-acl', 'admin'],
  ] as const)('%s -> %s', (_name, grant, kind, expected) => {
    expect(exposureOf(grant, kind)).toBe(expected);
  });
});

describe('openIngressOf', () => {
  it('reads the flat request shape', () => {
    const open = openIngressOf(sgIngress({ groupId: 'sg-9', cidrIp: '0.0.0.0/0', ipProtocol: 'tcp', fromPort: 22, toPort: 22, ipPermissions: {} }));
    expect(open).toEqual({ kind: 'security-group', target: 'sg-9', exposure: 'admin', grants: [{ cidr: '0.0.0.0/0', protocol: 'tcp', fromPort: 22, toPort: 22 }] });
  });

  it('reads IPv4 and IPv6 ranges of the nested shape, worst grant first', () => {
    const open = openIngressOf(sgIngress(nested('tcp', 22, 22, ['10.1.0.0/16'], ['::/0'])));
    expect(open?.exposure).toBe('admin');
    expect(open?.grants.map(describeGrant)).toEqual(['tcp 22 (SSH) from ::/0']);
  });

  it('reports other exposures after admin ones', () => {
    const record = sgIngress({
      groupId: 'sg-2',
      ipPermissions: {
        items: [
          { ipProtocol: 'tcp', fromPort: 8080, toPort: 8080, ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] } },
          { ipProtocol: '-1', ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] } },
        ],
      },
    });
    expect(openIngressOf(record)?.grants.map(describeGrant)).toEqual(['all traffic from 0.0.0.0/0', 'tcp 8080 from 0.0.0.0/0']);
  });

  it('ignores other event names', () => {
    expect(openIngressOf({ eventName: 'AuthorizeSecurityGroupEgress', requestParameters: { cidrIp: '0.0.0.0/0', ipProtocol: '-1' } })).toBeUndefined();
  });

  it('reads a NACL entry as CloudTrail logs it (aclProtocol, portRange)', () => {
    const record: CloudTrailRecord = {
      eventName: 'CreateNetworkAclEntry',
      requestParameters: { networkAclId: 'acl-1', ruleNumber: 10, egress: false, ruleAction: 'allow', icmpTypeCode: {}, portRange: { from: 3389, to: 3389 }, aclProtocol: '6', cidrBlock: '0.0.0.0/0' },
    };
    expect(openIngressOf(record)).toEqual({ kind: 'network-acl', target: 'acl-1', exposure: 'admin', grants: [{ cidr: '0.0.0.0/0', protocol: 'tcp', fromPort: 3389, toPort: 3389 }] });
  });

  it('bounds the work on a huge request', () => {
    const ranges = Array.from({ length: 10_000 }, () => ({ cidrIp: '0.0.0.0/0' }));
    const record = sgIngress({ ipPermissions: { items: Array.from({ length: 1_000 }, () => ({ ipProtocol: 'tcp', fromPort: 22, toPort: 22, ipRanges: { items: ranges } })) } });
    expect(securityGroupIngressGrants(record).length).toBeLessThanOrEqual(50 * 50 * 2);
  });

  it('never throws on arbitrary request parameters', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom('AuthorizeSecurityGroupIngress', 'CreateNetworkAclEntry', 'ReplaceNetworkAclEntry'), (params, eventName) => {
        const open = openIngressOf({ eventName, requestParameters: params as Json });
        if (open) expect(open.grants.length).toBeGreaterThan(0);
      }),
    );
  });
});

describe('identity helpers used by the infrastructure rules', () => {
  it.each([
    ['AddPermission20150331v2', 'AddPermission'],
    ['UpdateFunctionCode20150331v2', 'UpdateFunctionCode'],
    ['CreateFunctionUrlConfig20211031', 'CreateFunctionUrlConfig'],
    ['DeleteTrail', 'DeleteTrail'],
    [undefined, ''],
  ])('apiName(%s) is %s', (name, expected) => {
    expect(apiName(name)).toBe(expected);
  });

  it('treats the service and service-linked roles as AWS acting for the account', () => {
    expect(isServiceOrServiceLinkedRole({ userIdentity: { type: 'AWSService', invokedBy: 'config.amazonaws.com' } })).toBe(true);
    expect(isServiceOrServiceLinkedRole({ userIdentity: { type: 'AssumedRole', sessionContext: { sessionIssuer: { userName: 'AWSServiceRoleForConfig' } } } })).toBe(true);
    expect(isServiceOrServiceLinkedRole({ userIdentity: { type: 'AssumedRole', invokedBy: 'cloudformation.amazonaws.com', sessionContext: { sessionIssuer: { userName: 'cfn-deployer' } } } })).toBe(false);
    expect(isServiceOrServiceLinkedRole({})).toBe(false);
  });

  it.each([
    ['IAMUser', true],
    ['Root', true],
    ['FederatedUser', true],
    ['AssumedRole', false],
    ['AWSService', false],
  ])('usesLongTermCredentials for %s is %s', (type, expected) => {
    expect(usesLongTermCredentials({ userIdentity: { type } })).toBe(expected);
  });
});

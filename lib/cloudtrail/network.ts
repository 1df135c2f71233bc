import { actorOf, ec2Items } from './identity.js';
import { DETAIL_TYPES, type CloudTrailRecord } from './types.js';
import { isObject } from '../untrusted/json.js';

/**
 * Reading what a security group or network ACL change lets in, from the request as CloudTrail logs
 * it. Pure and bounded: every field is attacker-chosen, and the whole rule pack has a 20 µs budget.
 */

/** One ingress permission: who may connect (a CIDR), with which protocol, to which ports. */
export interface IngressGrant {
  cidr: string;
  /** `tcp`, `udp`, `icmp`, `icmpv6`, `all`, or the IP protocol number as logged. */
  protocol: string;
  /** Inclusive port range; absent when the protocol has no ports or the request gave none (all ports). */
  fromPort?: number;
  toPort?: number;
}

/** Remote administration and database ports: open to the internet, these are what scanners try first. */
export const ADMIN_PORTS: ReadonlyMap<number, string> = new Map([
  [22, 'SSH'],
  [23, 'Telnet'],
  [445, 'SMB'],
  [3389, 'RDP'],
  [5900, 'VNC'],
  [5985, 'WinRM'],
  [5986, 'WinRM'],
  [2375, 'Docker API'],
  [2376, 'Docker API'],
  [1433, 'SQL Server'],
  [1521, 'Oracle'],
  [3306, 'MySQL'],
  [5432, 'PostgreSQL'],
  [6379, 'Redis'],
  [9042, 'Cassandra'],
  [9200, 'Elasticsearch'],
  [11211, 'Memcached'],
  [27017, 'MongoDB'],
]);

/** Ports a public web front end is opened on by design. */
const WEB_PORTS = new Set([80, 443]);

/** Bounds on what one event may make us walk (CloudTrail records are up to 256 KB). */
const MAX_PERMISSIONS = 50;
const MAX_RANGES = 50;


/** Bounded: a request's lists are attacker-sized. */
const itemsOf = (list: unknown): unknown[] => ec2Items(list).slice(0, MAX_RANGES);

/** Whole numbers only, from numbers or numeric strings as CloudTrail logs both. */
function portOf(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d{1,6}$/.test(v.trim()) ? Number(v) : NaN;
  return Number.isInteger(n) ? n : undefined;
}

const PROTOCOLS: Record<string, string> = { '-1': 'all', all: 'all', '6': 'tcp', tcp: 'tcp', '17': 'udp', udp: 'udp', '1': 'icmp', icmp: 'icmp', '58': 'icmpv6', icmpv6: 'icmpv6' };

function protocolOf(v: unknown): string {
  const raw = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim().toLowerCase() : '';
  return PROTOCOLS[raw] ?? (raw === '' ? 'all' : raw);
}

/**
 * A CIDR with prefix length 0 is every address, whatever its address bits (`0.0.0.0/0`, `::/0`, and
 * `1.2.3.4/0` too: anonymised recordings and careless requests both write those).
 */
export function isAnywhere(cidr: string): boolean {
  const slash = cidr.lastIndexOf('/');
  return slash > 0 && /^0+$/.test(cidr.slice(slash + 1).trim());
}

function grant(cidr: unknown, protocol: unknown, from: unknown, to: unknown): IngressGrant | undefined {
  if (typeof cidr !== 'string' || cidr === '') return undefined;
  const g: IngressGrant = { cidr, protocol: protocolOf(protocol) };
  const fromPort = portOf(from);
  const toPort = portOf(to);
  // -1 means "all" for ICMP types; tcp/udp without ports is treated as every port (the wider reading).
  if (fromPort !== undefined && fromPort >= 0) g.fromPort = fromPort;
  if (toPort !== undefined && toPort >= 0) g.toPort = toPort;
  return g;
}

/**
 * The grants of an `AuthorizeSecurityGroupIngress` request, in both shapes CloudTrail logs: the flat
 * one (`cidrIp`, `ipProtocol`, `fromPort`, `toPort` at the top) and the nested one
 * (`ipPermissions.items[].ipRanges.items[].cidrIp` and `ipv6Ranges.items[].cidrIpv6`).
 */
export function securityGroupIngressGrants(record: CloudTrailRecord): IngressGrant[] {
  const params = record.requestParameters;
  if (!isObject(params)) return [];
  const grants: IngressGrant[] = [];
  const flat = grant(params['cidrIp'], params['ipProtocol'], params['fromPort'], params['toPort']);
  if (flat) grants.push(flat);
  for (const permission of itemsOf(params['ipPermissions']).slice(0, MAX_PERMISSIONS)) {
    if (!isObject(permission)) continue;
    const { ipProtocol, fromPort, toPort } = permission;
    for (const range of itemsOf(permission['ipRanges'])) {
      const g = isObject(range) ? grant(range['cidrIp'], ipProtocol, fromPort, toPort) : undefined;
      if (g) grants.push(g);
    }
    for (const range of itemsOf(permission['ipv6Ranges'])) {
      const g = isObject(range) ? grant(range['cidrIpv6'], ipProtocol, fromPort, toPort) : undefined;
      if (g) grants.push(g);
    }
  }
  return grants;
}

/** The grant of a `CreateNetworkAclEntry`/`ReplaceNetworkAclEntry` request, if it allows ingress. */
export function networkAclIngressGrant(record: CloudTrailRecord): IngressGrant | undefined {
  const params = record.requestParameters;
  if (!isObject(params)) return undefined;
  const egress = params['egress'];
  if (egress === true || egress === 'true') return undefined;
  if (typeof params['ruleAction'] !== 'string' || params['ruleAction'].toLowerCase() !== 'allow') return undefined;
  const range = isObject(params['portRange']) ? params['portRange'] : {};
  const cidr = typeof params['cidrBlock'] === 'string' && params['cidrBlock'] !== '' ? params['cidrBlock'] : params['ipv6CidrBlock'];
  // CloudTrail names the protocol `aclProtocol` (EC2's audit renaming); `protocol` as the API spells it.
  return grant(cidr, params['aclProtocol'] ?? params['protocol'], range['from'], range['to']);
}

/** How bad a grant is: `admin` reaches an admin or database port, `other` anything else worth a look. */
export type Exposure = 'admin' | 'other';

/**
 * Judges one grant from the internet. Not exposures: a CIDR narrower than /0, ICMP (ping and path-MTU
 * discovery), only web ports 80/443 (a public front end, which the low-severity change rule still
 * records), and, for stateless network ACLs, an ephemeral range ending at 65535 (the return traffic
 * every NACL that allows outbound connections needs, e.g. 1024-65535).
 */
export function exposureOf(g: IngressGrant, kind: 'security-group' | 'network-acl'): Exposure | undefined {
  if (!isAnywhere(g.cidr)) return undefined;
  if (g.protocol === 'icmp' || g.protocol === 'icmpv6') return undefined;
  if (g.protocol === 'all') return 'admin';
  if (g.protocol !== 'tcp' && g.protocol !== 'udp') return 'other';
  const from = g.fromPort ?? 0;
  const to = g.toPort ?? 65535;
  if (kind === 'network-acl' && from >= 1024 && to === 65535) return undefined;
  for (const port of ADMIN_PORTS.keys()) if (port >= from && port <= to) return 'admin';
  if (from === to && WEB_PORTS.has(from)) return undefined;
  return 'other';
}

/** `tcp 22 (SSH) from 0.0.0.0/0`, for alert details. */
export function describeGrant(g: IngressGrant): string {
  if (g.protocol === 'all') return `all traffic from ${g.cidr}`;
  const from = g.fromPort;
  const to = g.toPort;
  let ports = 'all ports';
  if (from !== undefined && (to === undefined || to === from)) ports = `${from}${ADMIN_PORTS.has(from) ? ` (${ADMIN_PORTS.get(from)})` : ''}`;
  else if (from !== undefined && to !== undefined) ports = `${from}-${to}`;
  return `${g.protocol} ${ports} from ${g.cidr}`;
}

export interface OpenIngress {
  kind: 'security-group' | 'network-acl';
  /** `sg-...` or `acl-...`, as requested. */
  target: string;
  /** The worst exposure among the grants. */
  exposure: Exposure;
  grants: IngressGrant[];
}

/**
 * What an ingress change opens to the internet, or undefined when it opens nothing (private ranges,
 * other security groups, prefix lists, egress, deny entries). Only the grants that are exposures.
 *
 * Not read: ModifySecurityGroupRules. Its record
 * (`ModifySecurityGroupRulesRequest.SecurityGroupRule.SecurityGroupRule.CidrIpv4`) does not say whether
 * the rule is ingress or egress, and egress to 0.0.0.0/0 is every group's default, so judging it would
 * page on restored defaults; security-group-changed still records it at low severity.
 */
export function openIngressOf(record: CloudTrailRecord): OpenIngress | undefined {
  const name = record.eventName;
  const kind = name === 'AuthorizeSecurityGroupIngress' ? 'security-group' : name === 'CreateNetworkAclEntry' || name === 'ReplaceNetworkAclEntry' ? 'network-acl' : undefined;
  if (!kind) return undefined;
  const all = kind === 'security-group' ? securityGroupIngressGrants(record) : [networkAclIngressGrant(record)].filter((g): g is IngressGrant => g !== undefined);
  const grants: IngressGrant[] = [];
  let exposure: Exposure | undefined;
  for (const g of all) {
    const e = exposureOf(g, kind);
    if (!e) continue;
    // The worst grant first: the summary names one.
    if (e === 'admin') grants.unshift(g);
    else grants.push(g);
    if (e === 'admin' || !exposure) exposure = e;
  }
  if (!exposure) return undefined;
  const params = isObject(record.requestParameters) ? record.requestParameters : {};
  const id = kind === 'security-group' ? (params['groupId'] ?? params['groupName']) : params['networkAclId'];
  return { kind, target: typeof id === 'string' && id !== '' ? id : '(unknown)', exposure, grants };
}

/** Alert details shared by the two "open to the internet" rules: what was opened, on what. */
export function openIngressDetails(record: CloudTrailRecord): Array<{ label: string; value: string }> {
  const open = openIngressOf(record);
  if (!open) return [];
  return [
    { label: open.kind === 'security-group' ? 'Security group' : 'Network ACL', value: open.target },
    { label: 'Opened', value: open.grants.slice(0, 5).map(describeGrant).join('; ') + (open.grants.length > 5 ? `; and ${open.grants.length - 5} more` : '') },
  ];
}

export function openIngressSummary(record: CloudTrailRecord): string {
  const open = openIngressOf(record);
  const what = open ? `${open.kind === 'security-group' ? 'Security group' : 'Network ACL'} ${open.target} allows ${open.grants[0] ? describeGrant(open.grants[0]) : 'traffic from anywhere'}` : 'Ingress opened';
  return `${what} (${record.eventName ?? 'change'} by ${actorOf(record).name})`;
}

/** The calls that can open ingress; `openIngressOf` decides whether they did. */
export const OPEN_INGRESS_PATTERN = {
  source: ['aws.ec2'],
  'detail-type': [DETAIL_TYPES.apiCall],
  detail: { eventSource: ['ec2.amazonaws.com'], eventName: ['AuthorizeSecurityGroupIngress', 'CreateNetworkAclEntry', 'ReplaceNetworkAclEntry'] },
};

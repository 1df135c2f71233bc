import { fail } from './errors.js';

/** IPv4 as a uint32 number, IPv6 as eight 16-bit words. */
export type IpAddress = number | Uint16Array;
export type StringTest = (value: string) => boolean;

function parseIpv4(text: string): number | null {
  let value = 0;
  let octets = 0;
  let i = 0;
  while (octets < 4) {
    const start = i;
    let octet = 0;
    while (i < text.length && i - start < 4) {
      const code = text.charCodeAt(i);
      if (code < 48 || code > 57) break;
      octet = octet * 10 + (code - 48);
      i++;
    }
    const digits = i - start;
    // Leading zeros are rejected: modern Java (and so AWS) treats them as ambiguous octal.
    if (digits === 0 || digits > 3 || octet > 255 || (digits > 1 && text.charCodeAt(start) === 48)) return null;
    value = value * 256 + octet;
    octets++;
    if (octets < 4) {
      if (text.charCodeAt(i) !== 46) return null;
      i++;
    }
  }
  return i === text.length ? value : null;
}

function parseHexGroups(text: string): number[] | null {
  if (text === '') return [];
  const groups: number[] = [];
  for (const group of text.split(':')) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    groups.push(parseInt(group, 16));
  }
  return groups;
}

/** IPv6 in hex-and-colons form only (no embedded dotted quad), as AWS recognises it. */
function parseIpv6(text: string): IpAddress | null {
  if (!/^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/.test(text)) return null;
  const gap = text.indexOf('::');
  let words: number[];
  if (gap < 0) {
    const groups = parseHexGroups(text);
    if (groups === null || groups.length !== 8) return null;
    words = groups;
  } else {
    if (text.indexOf('::', gap + 1) >= 0) return null;
    const head = parseHexGroups(text.slice(0, gap));
    const tail = parseHexGroups(text.slice(gap + 2));
    if (head === null || tail === null || head.length + tail.length > 7) return null;
    words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  // Java turns IPv4-mapped IPv6 (::ffff:a.b.c.d written in hex) into the IPv4 address.
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return (words[6] ?? 0) * 65536 + (words[7] ?? 0);
  }
  return Uint16Array.from(words);
}

export function parseIp(text: string): IpAddress | null {
  return parseIpv4(text) ?? parseIpv6(text);
}

function ipv4Mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

function ipv6Masks(bits: number): Uint16Array {
  const masks = new Uint16Array(8);
  for (let i = 0; i < 8; i++) {
    const wordBits = Math.max(0, Math.min(16, bits - i * 16));
    masks[i] = wordBits === 0 ? 0 : (0xffff << (16 - wordBits)) & 0xffff;
  }
  return masks;
}

export function ipInBlockTest(base: IpAddress, bits: number): StringTest {
  if (typeof base === 'number') {
    const mask = ipv4Mask(bits);
    const network = (base & mask) >>> 0;
    return (s) => {
      const ip = parseIp(s);
      return typeof ip === 'number' && ((ip & mask) >>> 0) === network;
    };
  }
  const masks = ipv6Masks(bits);
  const network = base.map((word, i) => word & (masks[i] ?? 0));
  return (s) => {
    const ip = parseIp(s);
    if (ip === null || typeof ip === 'number') return false;
    for (let i = 0; i < 8; i++) {
      if (((ip[i] ?? 0) & (masks[i] ?? 0)) !== network[i]) return false;
    }
    return true;
  };
}

/** A validated CIDR block, as EventBridge accepts it. */
export interface CidrBlock {
  base: IpAddress;
  bits: number;
}

export function parseCidr(text: string, path: string): CidrBlock {
  const slash = text.indexOf('/');
  if (slash < 0 || slash !== text.lastIndexOf('/')) {
    fail(path, `${JSON.stringify(text)} is not a CIDR block like "10.0.0.0/24" or "2001:db8::/32"`);
  }
  const address = parseIp(text.slice(0, slash));
  if (address === null) fail(path, `${JSON.stringify(text.slice(0, slash))} is not an IPv4 or IPv6 address`);
  const bitsText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText)) fail(path, `the prefix length ${JSON.stringify(bitsText)} is not a number`);
  const bits = Number(bitsText);
  // EventBridge rejects a full-length prefix (/32, /128): a single address is an exact string match.
  const maxBits = typeof address === 'number' ? 31 : 127;
  if (bits > maxBits) {
    fail(path, `the prefix length must be at most ${maxBits} for this address; match one address with an exact string`);
  }
  return { base: address, bits };
}

function ipKey(address: IpAddress): number | string {
  return typeof address === 'number' ? address : address.join(':');
}

/** EventBridge treats a pattern string that is an IP address as that address in any spelling. */
export function ipEqualsTest(addresses: readonly IpAddress[]): StringTest | null {
  if (addresses.length === 0) return null;
  const keys = new Set(addresses.map(ipKey));
  return (s) => {
    const ip = parseIp(s);
    return ip !== null && keys.has(ipKey(ip));
  };
}


// Rego builtins of the "net" category, following Go's net package as OPA uses it: net.ParseCIDR/ParseIP
// (strict dotted quads, IPv4-mapped IPv6 treated as IPv4 as net.IP.To4 does), IPNet.Contains, and OPA's
// cidr_merge (ranges sorted by last address, merged, and re-split into minimal CIDRs).
import { execFileSync } from 'node:child_process';
import { RObject, RSet, typeName, type Value } from '../value.ts';
import { BuiltinError, OperandError, type BuiltinContext, type BuiltinGroup } from './builtin.ts';
import { str } from './operands.ts';

/** An address: IPv4 (32 bits) or IPv6 (128 bits); IPv4-mapped IPv6 addresses are IPv4. */
export interface Addr {
  v: bigint;
  bits: 32 | 128;
}

/** A network: masked address and prefix length in its family. */
export interface Net extends Addr {
  prefix: number;
}

const V4_MAPPED = 0xffffn << 32n;
const MASK32 = (1n << 32n) - 1n;

// ---------------------------------------------------------------------------------------------------------
// Parsing (netip.ParseAddr rules: no leading zeros in IPv4 parts, at most one "::", optional trailing IPv4)

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(s: string): bigint | undefined {
  if (s.includes('%')) return undefined;
  let groups: number[];
  let ellipsis = false;
  let rest = s;
  const dbl = s.indexOf('::');
  let head: string;
  if (dbl >= 0) {
    if (s.indexOf('::', dbl + 1) >= 0) return undefined;
    ellipsis = true;
    head = s.slice(0, dbl);
    rest = s.slice(dbl + 2);
  } else {
    head = s;
    rest = '';
  }
  const parseGroups = (text: string, allowV4: boolean): number[] | undefined => {
    if (text === '') return [];
    const out: number[] = [];
    const items = text.split(':');
    for (let i = 0; i < items.length; i++) {
      const it = items[i] as string;
      if (allowV4 && i === items.length - 1 && it.includes('.')) {
        const v4 = parseV4(it);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(it)) return undefined;
      out.push(parseInt(it, 16));
    }
    return out;
  };
  if (ellipsis) {
    const h = parseGroups(head, false);
    const t = parseGroups(rest, true);
    if (!h || !t) return undefined;
    if (h.length + t.length > 7) return undefined;
    groups = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  } else {
    const g = parseGroups(head, true);
    if (!g || g.length !== 8) return undefined;
    groups = g;
  }
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  return v;
}

/** net.ParseIP, normalised as To4 would: IPv4 and IPv4-mapped IPv6 become 32-bit. */
export function parseIP(s: string): Addr | undefined {
  if (s.includes(':')) {
    const v = parseV6(s);
    if (v === undefined) return undefined;
    if (v >> 32n === 0xffffn) return { v: v & MASK32, bits: 32 };
    return { v, bits: 128 };
  }
  const v = parseV4(s);
  return v === undefined ? undefined : { v, bits: 32 };
}

function maskOf(prefix: number, bits: number): bigint {
  return ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
}

/** net.ParseCIDR; the result is the masked network. */
export function parseCIDR(s: string): { ip: Addr; net: Net } | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = s.slice(0, slash);
  const len = s.slice(slash + 1);
  if (!/^[0-9]+$/.test(len) || len.length > 8) return undefined;
  const n = Number(len);
  if (addr.includes(':')) {
    const v = parseV6(addr);
    if (v === undefined || n > 128) return undefined;
    const masked = v & maskOf(n, 128);
    const ip: Addr = v >> 32n === 0xffffn ? { v: v & MASK32, bits: 32 } : { v, bits: 128 };
    // IPNet.Contains/String look at To4 of the masked IP: a mapped network is an IPv4 one.
    if (masked >> 32n === 0xffffn) return { ip, net: { v: masked & MASK32, bits: 32, prefix: n - 96 } };
    return { ip, net: { v: masked, bits: 128, prefix: n } };
  }
  const v = parseV4(addr);
  if (v === undefined || n > 32) return undefined;
  return { ip: { v, bits: 32 }, net: { v: v & maskOf(n, 32), bits: 32, prefix: n } };
}

export function netContains(n: Net, ip: Addr): boolean {
  if (n.bits !== ip.bits) return false;
  return (ip.v & maskOf(n.prefix, n.bits)) === n.v;
}

function lastAddr(n: Net): Addr {
  return { v: n.v | ((1n << BigInt(n.bits - n.prefix)) - 1n), bits: n.bits };
}

// ---------------------------------------------------------------------------------------------------------
// Formatting (net.IP.String)

export function formatIP(a: Addr): string {
  if (a.bits === 32) {
    const v = Number(a.v);
    return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((a.v >> BigInt(i * 16)) & 0xffffn));
  // The longest run of at least two zero groups becomes "::" (the first one on ties).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return hex.slice(0, best).join(':') + '::' + hex.slice(best + bestLen).join(':');
}

export function formatNet(n: Net): string {
  return `${formatIP(n)}/${n.prefix}`;
}

// ---------------------------------------------------------------------------------------------------------
// Operands

function netOperand(v: Value | undefined, pos = 1): Net {
  if (typeof v !== 'string') throw new OperandError(pos, `operand ${pos} must be string but got ${typeNameOf(v)}`);
  const p = parseCIDR(v);
  if (!p) throw new BuiltinError(`invalid CIDR address: ${v}`);
  return p.net;
}

function typeNameOf(v: Value | undefined): string {
  return v === undefined ? 'undefined' : typeName(v);
}

function cidrContains(a: Value | undefined, b: Value | undefined): boolean {
  const na = netOperand(a);
  if (typeof b !== 'string') throw new OperandError(1, `operand 1 must be string but got ${typeNameOf(b)}`);
  const ip = parseIP(b);
  if (ip) return netContains(na, ip);
  const pb = parseCIDR(b);
  if (!pb) throw new BuiltinError(`not a valid textual representation of an IP address or CIDR: ${b}`);
  return netContains(na, pb.net) && netContains(na, lastAddr(pb.net));
}

function cidrIntersects(a: Value | undefined, b: Value | undefined): boolean {
  const na = netOperand(a);
  const nb = netOperand(b);
  return netContains(na, nb) || netContains(nb, na);
}

const MATCH_ELEMENT = 'element must be string or non-empty array';

function matchTerm(x: Value, operand: number): Value {
  if (typeof x === 'string') return x;
  if (Array.isArray(x) && x.length > 0) return x[0] as Value;
  throw new BuiltinError(`operand ${operand}: ${MATCH_ELEMENT}`);
}

/** The (cidr, index) pairs of a cidr_contains_matches operand. */
function matchItems(v: Value | undefined, operand: number): [Value, Value][] {
  if (typeof v === 'string') return [[v, v]];
  if (Array.isArray(v)) return v.map((x, i) => [matchTerm(x, operand), i]);
  if (v instanceof RSet) return v.values().map((x) => [matchTerm(x, operand), x]);
  if (v instanceof RObject) return v.entries().map(([k, x]) => [matchTerm(x, operand), k]);
  return [];
}

function containsMatches(a: Value | undefined, b: Value | undefined): RSet {
  const out = new RSet();
  const left = matchItems(a, 1);
  const right = matchItems(b, 2);
  for (const [c1, i1] of left) {
    for (const [c2, i2] of right) {
      if (cidrContains(c1, c2)) out.add([i1, i2]);
    }
  }
  return out;
}

const EXPAND_LIMIT = 1n << 22n;

function cidrExpand(s: string): RSet {
  const p = parseCIDR(s);
  if (!p) throw new BuiltinError(`invalid CIDR address: ${s}`);
  const n = p.net;
  const count = 1n << BigInt(n.bits - n.prefix);
  if (count > EXPAND_LIMIT) throw new BuiltinError('timed out before generating all IP addresses');
  const out = new RSet();
  for (let i = 0n; i < count; i++) out.add(formatIP({ v: n.v + i, bits: n.bits }));
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// cidr_merge

interface Range {
  /** First and last address as 128-bit values (IPv4 as IPv4-mapped). */
  first: bigint;
  last: bigint;
  /** The original network's text when the range was not merged. */
  text: string | undefined;
}

function to128(a: Addr): bigint {
  return a.bits === 32 ? V4_MAPPED | a.v : a.v;
}

function mergeElement(x: Value): Range {
  if (typeof x !== 'string') throw new BuiltinError('element must be string');
  const ip = parseIP(x);
  if (ip) {
    if (ip.bits !== 32) throw new BuiltinError('IPv6 invalid: needs prefix length');
    // Go gives a bare IPv4 address its classful default mask.
    const top = Number(ip.v >> 24n);
    const prefix = top < 0x80 ? 8 : top < 0xc0 ? 16 : 24;
    const net: Net = { v: ip.v & maskOf(prefix, 32), bits: 32, prefix };
    return { first: to128(net), last: to128(lastAddr(net)), text: `${formatIP(ip)}/${prefix}` };
  }
  const p = parseCIDR(x);
  if (!p) throw new BuiltinError(`invalid CIDR address: ${x}`);
  return { first: to128(p.net), last: to128(lastAddr(p.net)), text: formatNet(p.net) };
}

function previous(v: bigint): bigint {
  if (v === 0n || v === V4_MAPPED) return v;
  return v - 1n;
}

/** The minimal list of CIDRs covering [first, last] (128-bit values). */
function rangeToCIDRs(first: bigint, last: bigint): string[] {
  const out: string[] = [];
  let cur = first;
  while (cur <= last) {
    let size = 0;
    while (size < 128 && ((cur >> BigInt(size)) & 1n) === 0n) size++;
    while (size > 0 && cur + (1n << BigInt(size)) - 1n > last) size--;
    const prefix = 128 - size;
    if (prefix >= 96 && cur >> 32n === 0xffffn) out.push(formatNet({ v: cur & MASK32, bits: 32, prefix: prefix - 96 }));
    else out.push(formatNet({ v: cur, bits: 128, prefix }));
    cur += 1n << BigInt(size);
  }
  return out;
}

export function cidrMerge(items: Value[]): RSet {
  const ranges = items.map(mergeElement);
  ranges.sort((a, b) =>
    a.last < b.last ? -1 : a.last > b.last ? 1 : a.first < b.first ? -1 : a.first > b.first ? 1 : 0,
  );
  for (let i = ranges.length - 1; i > 0; i--) {
    const cur = ranges[i] as Range;
    const prev = ranges[i - 1] as Range;
    if (previous(cur.first) <= prev.last) {
      ranges[i - 1] = { first: prev.first < cur.first ? prev.first : cur.first, last: cur.last, text: undefined };
      ranges.splice(i, 1);
    }
  }
  const out = new RSet();
  for (const r of ranges) {
    if (r.text !== undefined) out.add(r.text);
    else for (const c of rangeToCIDRs(r.first, r.last)) out.add(c);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// net.lookup_ip_addr

const LOOKUP_TIMEOUT_MS = 5000;

function lookupIPAddr(name: string, ctx: BuiltinContext): RSet {
  const ip = parseIP(name);
  if (ip) return RSet.from([formatIP(ip)]);
  // RFC 6761: "localhost" is the loopback host, no resolver involved.
  if (name === 'localhost' || name.endsWith('.localhost')) return RSet.from(['127.0.0.1', '::1']);
  if (!ctx.allowNet) throw new BuiltinError('network access is not allowed (net.lookup_ip_addr)');
  if (ctx.netHosts && !ctx.netHosts.has(name)) throw new BuiltinError(`unallowed host: ${name}`);
  // Resolution is asynchronous in Node; evaluation is synchronous, so a short-lived child resolves the name
  // with the system resolver, bounded by a timeout.
  const script =
    "require('node:dns').lookup(process.argv[1],{all:true},(e,a)=>{if(e){process.stderr.write(String(e.code||e.message));process.exit(1)}process.stdout.write(JSON.stringify(a.map(x=>x.address)))})";
  let out: string;
  try {
    out = execFileSync(process.execPath, ['-e', script, name], {
      timeout: LOOKUP_TIMEOUT_MS,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    const code = err.stderr?.trim() || err.message;
    throw new BuiltinError(`lookup ${name}: ${code === 'ENOTFOUND' ? 'no such host' : code}`);
  }
  const addrs = JSON.parse(out) as string[];
  return RSet.from(addrs.map((a) => formatIP(parseIP(a) ?? { v: 0n, bits: 32 })));
}

export const builtins: BuiltinGroup = {
  'net.cidr_contains': (a) => cidrContains(a[0], a[1]),
  'net.cidr_overlap': (a) => cidrContains(a[0], a[1]),
  'net.cidr_intersects': (a) => cidrIntersects(a[0], a[1]),
  'net.cidr_contains_matches': (a) => containsMatches(a[0], a[1]),
  'net.cidr_expand': (a) => cidrExpand(str(a, 0)),
  'net.cidr_is_valid': (a) => typeof a[0] === 'string' && parseCIDR(a[0]) !== undefined,
  'net.cidr_merge': (a) => {
    const v = a[0];
    if (Array.isArray(v)) return cidrMerge(v);
    if (v instanceof RSet) return cidrMerge(v.values());
    throw new BuiltinError('operand must be an array');
  },
  'net.lookup_ip_addr': (a, ctx) => lookupIPAddr(str(a, 0), ctx),
};

// Rego builtins of the "time" category, following Go's time package as OPA uses it: Go layout strings
// ("2006-01-02T15:04:05Z07:00") for parsing and formatting, Go's parse errors, Go's Date normalisation for
// add_date, and IANA time zones (resolved through Intl) where a [ns, "tz"] pair is passed.
import { BigNum, isNumber, toBigInt, typeName, type Value } from '../value.ts';
import { BuiltinError, OperandError, type BuiltinContext, type BuiltinGroup } from './builtin.ts';
import { int, str } from './operands.ts';

// ---------------------------------------------------------------------------------------------------------
// Calendar arithmetic (proleptic Gregorian, any year)

function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

function mod(a: number, b: number): number {
  return a - Math.floor(a / b) * b;
}

/** Days since 1970-01-01 of a civil date (month 1-12). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = floorDiv(y, 400);
  const yoe = y - era * 400;
  const doy = floorDiv(153 * (m > 2 ? m - 3 : m + 9) + 2, 5) + d - 1;
  const doe = yoe * 365 + floorDiv(yoe, 4) - floorDiv(yoe, 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The civil date [year, month 1-12, day] of a day count since 1970-01-01. */
export function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = floorDiv(z, 146097);
  const doe = z - era * 146097;
  const yoe = floorDiv(doe - floorDiv(doe, 1460) + floorDiv(doe, 36524) - floorDiv(doe, 146096), 365);
  const doy = doe - (365 * yoe + floorDiv(yoe, 4) - floorDiv(yoe, 100));
  const mp = floorDiv(5 * doy + 2, 153);
  const d = doy - floorDiv(153 * mp + 2, 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

function daysIn(month: number, year: number): number {
  if (month === 2) return isLeap(year) ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] as number;
}

const LONG_MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const SHORT_MONTHS = LONG_MONTHS.map((m) => m.slice(0, 3));
const SHORT_DAYS = LONG_DAYS.map((d) => d.slice(0, 3));

// ---------------------------------------------------------------------------------------------------------
// Zones

export interface Zone {
  readonly name: string;
  /** Offset east of UTC in seconds at a Unix second. */
  offsetAt(unix: number): number;
  /** The abbreviation Go's "MST" layout element prints. */
  abbrevAt(unix: number): string;
}

function numericAbbrev(offset: number): string {
  const sign = offset < 0 ? '-' : '+';
  const a = Math.abs(offset);
  const h = Math.floor(a / 3600);
  const m = Math.floor((a % 3600) / 60);
  return sign + String(h).padStart(2, '0') + (m ? String(m).padStart(2, '0') : '');
}

export const UTC: Zone = { name: 'UTC', offsetAt: () => 0, abbrevAt: () => 'UTC' };

export function fixedZone(name: string, offset: number): Zone {
  return { name, offsetAt: () => offset, abbrevAt: () => name || numericAbbrev(offset) };
}

const MS_LIMIT = 8.64e15;

class IanaZone implements Zone {
  private readonly fmt: Intl.DateTimeFormat;
  private abbr: Intl.DateTimeFormat | undefined;
  constructor(readonly name: string) {
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  offsetAt(unix: number): number {
    let ms = unix * 1000;
    if (ms > MS_LIMIT) ms = MS_LIMIT;
    if (ms < -MS_LIMIT) ms = -MS_LIMIT;
    const f: Record<string, string> = {};
    for (const p of this.fmt.formatToParts(ms)) f[p.type] = p.value;
    let year = Number(f.year);
    if (f.era === 'BC' || f.era === 'B') year = 1 - year;
    const local =
      daysFromCivil(year, Number(f.month), Number(f.day)) * 86400 +
      Number(f.hour) * 3600 +
      Number(f.minute) * 60 +
      Number(f.second);
    return local - Math.floor(ms / 1000);
  }

  abbrevAt(unix: number): string {
    const off = this.offsetAt(unix);
    const known = ZONE_ABBREVIATIONS[this.name];
    if (known) {
      // Daylight time when the offset is above the year's smaller (standard) offset.
      const year = civilFromDays(floorDiv(unix, 86400))[0];
      const jan = this.offsetAt(daysFromCivil(year, 1, 1) * 86400);
      const jul = this.offsetAt(daysFromCivil(year, 7, 1) * 86400);
      return off > Math.min(jan, jul) && known[1] ? known[1] : known[0];
    }
    this.abbr ??= new Intl.DateTimeFormat('en-US', { timeZone: this.name, timeZoneName: 'short' });
    const ms = Math.max(-MS_LIMIT, Math.min(MS_LIMIT, unix * 1000));
    const name = this.abbr.formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value ?? '';
    if (/^[A-Z]{3,5}$/.test(name) && name !== 'GMT') return name;
    if (off === 0) return 'GMT';
    return numericAbbrev(off);
  }
}

/**
 * tzdata's letter abbreviations ([standard, daylight]) for common zones outside North America, whose names
 * Intl's en-US data does not carry; other zones use en-US names or tzdata's numeric form ("+04", "+0530").
 */
const ZONE_ABBREVIATIONS: Record<string, [string, string?]> = {
  'Europe/London': ['GMT', 'BST'],
  'Europe/Dublin': ['GMT', 'IST'],
  'Europe/Lisbon': ['WET', 'WEST'],
  'Atlantic/Canary': ['WET', 'WEST'],
  'Europe/Moscow': ['MSK'],
  'Asia/Tokyo': ['JST'],
  'Asia/Seoul': ['KST'],
  'Asia/Shanghai': ['CST'],
  'Asia/Taipei': ['CST'],
  'Asia/Hong_Kong': ['HKT'],
  'Asia/Kolkata': ['IST'],
  'Asia/Calcutta': ['IST'],
  'Asia/Karachi': ['PKT'],
  'Asia/Jakarta': ['WIB'],
  'Asia/Jerusalem': ['IST', 'IDT'],
  'Asia/Tel_Aviv': ['IST', 'IDT'],
  'Australia/Sydney': ['AEST', 'AEDT'],
  'Australia/Melbourne': ['AEST', 'AEDT'],
  'Australia/Canberra': ['AEST', 'AEDT'],
  'Australia/Hobart': ['AEST', 'AEDT'],
  'Australia/Brisbane': ['AEST'],
  'Australia/Adelaide': ['ACST', 'ACDT'],
  'Australia/Darwin': ['ACST'],
  'Australia/Perth': ['AWST'],
  'Pacific/Auckland': ['NZST', 'NZDT'],
  'Africa/Johannesburg': ['SAST'],
  'Africa/Lagos': ['WAT'],
  'Africa/Nairobi': ['EAT'],
  'Africa/Cairo': ['EET', 'EEST'],
};
for (const z of [
  'Berlin',
  'Paris',
  'Madrid',
  'Rome',
  'Amsterdam',
  'Brussels',
  'Vienna',
  'Stockholm',
  'Oslo',
  'Copenhagen',
  'Warsaw',
  'Prague',
  'Budapest',
  'Zurich',
  'Belgrade',
  'Luxembourg',
  'Monaco',
  'Malta',
  'Bratislava',
  'Ljubljana',
  'Zagreb',
  'Sarajevo',
  'Skopje',
  'Tirane',
  'Andorra',
  'Gibraltar',
]) {
  ZONE_ABBREVIATIONS[`Europe/${z}`] = ['CET', 'CEST'];
}
for (const z of [
  'Athens',
  'Helsinki',
  'Kiev',
  'Kyiv',
  'Bucharest',
  'Sofia',
  'Riga',
  'Tallinn',
  'Vilnius',
  'Chisinau',
]) {
  ZONE_ABBREVIATIONS[`Europe/${z}`] = ['EET', 'EEST'];
}

const zoneCache = new Map<string, Zone>();

/** Loads a zone as Go's time.LoadLocation would ("" and "UTC" are UTC, "Local" the process zone). */
export function loadZone(name: string): Zone {
  if (name === '' || name === 'UTC') return UTC;
  let z = zoneCache.get(name);
  if (z) return z;
  let resolved = name;
  if (name === 'Local') resolved = Intl.DateTimeFormat().resolvedOptions().timeZone;
  let canonical: string;
  try {
    canonical = new Intl.DateTimeFormat('en-US', { timeZone: resolved }).resolvedOptions().timeZone;
  } catch {
    throw new BuiltinError(`unknown time zone ${name}`);
  }
  // Go's zone names are file names: case matters.
  if (canonical !== resolved && canonical.toLowerCase() === resolved.toLowerCase()) {
    throw new BuiltinError(`unknown time zone ${name}`);
  }
  z = canonical === 'UTC' ? { name, offsetAt: () => 0, abbrevAt: () => 'UTC' } : new IanaZone(resolved);
  zoneCache.set(name, z);
  return z;
}

// ---------------------------------------------------------------------------------------------------------
// Instants

export interface GoTime {
  /** Unix seconds. */
  sec: number;
  /** Nanoseconds within the second, 0..999999999. */
  nsec: number;
  zone: Zone;
}

const NS = 1_000_000_000n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

export function fromUnixNano(ns: bigint, zone: Zone): GoTime {
  let sec = ns / NS;
  let nsec = ns % NS;
  if (nsec < 0n) {
    nsec += NS;
    sec -= 1n;
  }
  return { sec: Number(sec), nsec: Number(nsec), zone };
}

export function unixNano(t: GoTime): bigint {
  return BigInt(t.sec) * NS + BigInt(t.nsec);
}

/** The result of a time as nanoseconds, or "time outside of valid range". */
function safeUnixNano(t: GoTime): Value {
  const ns = unixNano(t);
  if (ns < INT64_MIN || ns > INT64_MAX) throw new BuiltinError('time outside of valid range');
  return BigNum.fromBigInt(ns);
}

interface Civil {
  year: number;
  month: number;
  day: number;
  hour: number;
  min: number;
  sec: number;
  nsec: number;
  weekday: number;
  yday: number;
  offset: number;
}

export function civil(t: GoTime): Civil {
  const offset = t.zone.offsetAt(t.sec);
  const local = t.sec + offset;
  const days = floorDiv(local, 86400);
  const secs = local - days * 86400;
  const [year, month, day] = civilFromDays(days);
  return {
    year,
    month,
    day,
    hour: Math.floor(secs / 3600),
    min: Math.floor((secs % 3600) / 60),
    sec: secs % 60,
    nsec: t.nsec,
    weekday: mod(days + 4, 7),
    yday: days - daysFromCivil(year, 1, 1) + 1,
    offset,
  };
}

/** Go's time.Date: normalises out-of-range fields, then resolves the local time in the zone. */
export function goDate(
  year: number,
  month: number,
  day: number,
  hour: number,
  min: number,
  sec: number,
  nsec: number,
  zone: Zone,
): GoTime {
  const m0 = month - 1;
  year += floorDiv(m0, 12);
  month = mod(m0, 12) + 1;
  sec += floorDiv(nsec, 1e9);
  nsec = mod(nsec, 1e9);
  const local = daysFromCivil(year, month, 1) * 86400 + (day - 1) * 86400 + hour * 3600 + min * 60 + sec;
  let unix = local;
  if (zone !== UTC) {
    const guess = zone.offsetAt(local);
    let off = zone.offsetAt(local - guess);
    if (off !== guess) {
      // Near a transition: Go picks the offset in effect at the resulting instant.
      const alt = zone.offsetAt(local - off);
      if (alt === off) off = alt;
    }
    unix = local - off;
  }
  return { sec: unix, nsec, zone };
}

// ---------------------------------------------------------------------------------------------------------
// Go layouts

const enum Std {
  None = 0,
  LongMonth,
  Month,
  NumMonth,
  ZeroMonth,
  LongWeekDay,
  WeekDay,
  Day,
  UnderDay,
  ZeroDay,
  UnderYearDay,
  ZeroYearDay,
  Hour,
  Hour12,
  ZeroHour12,
  Minute,
  ZeroMinute,
  Second,
  ZeroSecond,
  LongYear,
  Year,
  PM,
  Pm,
  TZ,
  ISO8601TZ,
  ISO8601SecondsTZ,
  ISO8601ShortTZ,
  ISO8601ColonTZ,
  ISO8601ColonSecondsTZ,
  NumTZ,
  NumSecondsTz,
  NumShortTZ,
  NumColonTZ,
  NumColonSecondsTZ,
  FracSecond0,
  FracSecond9,
}

interface Chunk {
  prefix: string;
  std: Std;
  /** Digits of a fractional second element, and its separator. */
  digits: number;
  sep: string;
  stdstr: string;
  suffix: string;
}

const STD0X = [Std.ZeroMonth, Std.ZeroDay, Std.ZeroHour12, Std.ZeroMinute, Std.ZeroSecond, Std.Year];

function startsWithLowerCase(s: string): boolean {
  const c = s.charCodeAt(0);
  return c >= 97 && c <= 122;
}

function isDigitAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/** Go's nextStdChunk: the text before the first layout element, the element, and the rest. */
function nextStdChunk(layout: string): Chunk {
  const chunk = (i: number, std: Std, len: number, digits = 0, sep = ''): Chunk => ({
    prefix: layout.slice(0, i),
    std,
    digits,
    sep,
    stdstr: layout.slice(i, i + len),
    suffix: layout.slice(i + len),
  });
  for (let i = 0; i < layout.length; i++) {
    const c = layout[i];
    const at = (s: string): boolean => layout.startsWith(s, i);
    switch (c) {
      case 'J':
        if (at('Jan')) {
          if (at('January')) return chunk(i, Std.LongMonth, 7);
          if (!startsWithLowerCase(layout.slice(i + 3))) return chunk(i, Std.Month, 3);
        }
        break;
      case 'M':
        if (at('Mon')) {
          if (at('Monday')) return chunk(i, Std.LongWeekDay, 6);
          if (!startsWithLowerCase(layout.slice(i + 3))) return chunk(i, Std.WeekDay, 3);
        }
        if (at('MST')) return chunk(i, Std.TZ, 3);
        break;
      case '0': {
        const n = layout.charCodeAt(i + 1);
        if (n >= 49 && n <= 54) return chunk(i, STD0X[n - 49] as Std, 2);
        if (at('002')) return chunk(i, Std.ZeroYearDay, 3);
        break;
      }
      case '1':
        if (layout[i + 1] === '5') return chunk(i, Std.Hour, 2);
        return chunk(i, Std.NumMonth, 1);
      case '2':
        if (at('2006')) return chunk(i, Std.LongYear, 4);
        return chunk(i, Std.Day, 1);
      case '_':
        if (layout[i + 1] === '2') {
          if (layout.startsWith('2006', i + 1)) return chunk(i + 1, Std.LongYear, 4);
          return chunk(i, Std.UnderDay, 2);
        }
        if (at('__2')) return chunk(i, Std.UnderYearDay, 3);
        break;
      case '3':
        return chunk(i, Std.Hour12, 1);
      case '4':
        return chunk(i, Std.Minute, 1);
      case '5':
        return chunk(i, Std.Second, 1);
      case 'P':
        if (layout[i + 1] === 'M') return chunk(i, Std.PM, 2);
        break;
      case 'p':
        if (layout[i + 1] === 'm') return chunk(i, Std.Pm, 2);
        break;
      case '-':
        if (at('-070000')) return chunk(i, Std.NumSecondsTz, 7);
        if (at('-07:00:00')) return chunk(i, Std.NumColonSecondsTZ, 9);
        if (at('-0700')) return chunk(i, Std.NumTZ, 5);
        if (at('-07:00')) return chunk(i, Std.NumColonTZ, 6);
        if (at('-07')) return chunk(i, Std.NumShortTZ, 3);
        break;
      case 'Z':
        if (at('Z070000')) return chunk(i, Std.ISO8601SecondsTZ, 7);
        if (at('Z07:00:00')) return chunk(i, Std.ISO8601ColonSecondsTZ, 9);
        if (at('Z0700')) return chunk(i, Std.ISO8601TZ, 5);
        if (at('Z07:00')) return chunk(i, Std.ISO8601ColonTZ, 6);
        if (at('Z07')) return chunk(i, Std.ISO8601ShortTZ, 3);
        break;
      case '.':
      case ',': {
        const ch = layout[i + 1];
        if (ch === '0' || ch === '9') {
          let j = i + 1;
          while (j < layout.length && layout[j] === ch) j++;
          if (!isDigitAt(layout, j)) {
            return chunk(i, ch === '0' ? Std.FracSecond0 : Std.FracSecond9, j - i, j - (i + 1), c);
          }
        }
        break;
      }
    }
  }
  return { prefix: layout, std: Std.None, digits: 0, sep: '', stdstr: '', suffix: '' };
}

const NAMED_LAYOUTS: Record<string, string> = {
  ANSIC: 'Mon Jan _2 15:04:05 2006',
  UnixDate: 'Mon Jan _2 15:04:05 MST 2006',
  RubyDate: 'Mon Jan 02 15:04:05 -0700 2006',
  RFC822: '02 Jan 06 15:04 MST',
  RFC822Z: '02 Jan 06 15:04 -0700',
  RFC850: 'Monday, 02-Jan-06 15:04:05 MST',
  RFC1123: 'Mon, 02 Jan 2006 15:04:05 MST',
  RFC1123Z: 'Mon, 02 Jan 2006 15:04:05 -0700',
  RFC3339: '2006-01-02T15:04:05Z07:00',
  RFC3339Nano: '2006-01-02T15:04:05.999999999Z07:00',
};

function pad(n: number, width: number): string {
  const s = String(Math.abs(n)).padStart(width, '0');
  return n < 0 ? '-' + s : s;
}

/** Go's Time.Format. */
export function formatTime(t: GoTime, layout: string): string {
  const c = civil(t);
  let out = '';
  let rest = layout;
  for (;;) {
    const ch = nextStdChunk(rest);
    out += ch.prefix;
    if (ch.std === Std.None) break;
    rest = ch.suffix;
    switch (ch.std) {
      case Std.Year:
        out += pad(mod(c.year, 100), 2);
        break;
      case Std.LongYear:
        out += pad(c.year, 4);
        break;
      case Std.Month:
        out += SHORT_MONTHS[c.month - 1];
        break;
      case Std.LongMonth:
        out += LONG_MONTHS[c.month - 1];
        break;
      case Std.NumMonth:
        out += String(c.month);
        break;
      case Std.ZeroMonth:
        out += pad(c.month, 2);
        break;
      case Std.WeekDay:
        out += SHORT_DAYS[c.weekday];
        break;
      case Std.LongWeekDay:
        out += LONG_DAYS[c.weekday];
        break;
      case Std.Day:
        out += String(c.day);
        break;
      case Std.UnderDay:
        out += (c.day < 10 ? ' ' : '') + String(c.day);
        break;
      case Std.ZeroDay:
        out += pad(c.day, 2);
        break;
      case Std.UnderYearDay:
        out += String(c.yday).padStart(3, ' ');
        break;
      case Std.ZeroYearDay:
        out += pad(c.yday, 3);
        break;
      case Std.Hour:
        out += pad(c.hour, 2);
        break;
      case Std.Hour12:
        out += String(c.hour % 12 === 0 ? 12 : c.hour % 12);
        break;
      case Std.ZeroHour12:
        out += pad(c.hour % 12 === 0 ? 12 : c.hour % 12, 2);
        break;
      case Std.Minute:
        out += String(c.min);
        break;
      case Std.ZeroMinute:
        out += pad(c.min, 2);
        break;
      case Std.Second:
        out += String(c.sec);
        break;
      case Std.ZeroSecond:
        out += pad(c.sec, 2);
        break;
      case Std.PM:
        out += c.hour >= 12 ? 'PM' : 'AM';
        break;
      case Std.Pm:
        out += c.hour >= 12 ? 'pm' : 'am';
        break;
      case Std.ISO8601TZ:
      case Std.ISO8601ColonTZ:
      case Std.ISO8601SecondsTZ:
      case Std.ISO8601ShortTZ:
      case Std.ISO8601ColonSecondsTZ:
      case Std.NumTZ:
      case Std.NumColonTZ:
      case Std.NumSecondsTz:
      case Std.NumShortTZ:
      case Std.NumColonSecondsTZ: {
        const iso =
          ch.std === Std.ISO8601TZ ||
          ch.std === Std.ISO8601ColonTZ ||
          ch.std === Std.ISO8601SecondsTZ ||
          ch.std === Std.ISO8601ShortTZ ||
          ch.std === Std.ISO8601ColonSecondsTZ;
        if (iso && c.offset === 0) {
          out += 'Z';
          break;
        }
        let zone = Math.trunc(c.offset / 60);
        let abs = c.offset;
        if (zone < 0) {
          out += '-';
          zone = -zone;
          abs = -abs;
        } else out += '+';
        out += pad(Math.floor(zone / 60), 2);
        const colon =
          ch.std === Std.ISO8601ColonTZ ||
          ch.std === Std.NumColonTZ ||
          ch.std === Std.ISO8601ColonSecondsTZ ||
          ch.std === Std.NumColonSecondsTZ;
        if (colon) out += ':';
        if (ch.std !== Std.NumShortTZ && ch.std !== Std.ISO8601ShortTZ) out += pad(zone % 60, 2);
        if (
          ch.std === Std.ISO8601SecondsTZ ||
          ch.std === Std.NumSecondsTz ||
          ch.std === Std.NumColonSecondsTZ ||
          ch.std === Std.ISO8601ColonSecondsTZ
        ) {
          if (colon) out += ':';
          out += pad(abs % 60, 2);
        }
        break;
      }
      case Std.TZ: {
        const name = t.zone.abbrevAt(t.sec);
        if (name !== '') {
          out += name;
          break;
        }
        let zone = Math.trunc(c.offset / 60);
        if (zone < 0) {
          out += '-';
          zone = -zone;
        } else out += '+';
        out += pad(Math.floor(zone / 60), 2) + pad(zone % 60, 2);
        break;
      }
      case Std.FracSecond0:
        out += ch.sep + String(c.nsec).padStart(9, '0').slice(0, ch.digits);
        break;
      case Std.FracSecond9: {
        const digits = String(c.nsec).padStart(9, '0').slice(0, ch.digits).replace(/0+$/, '');
        if (digits !== '') out += ch.sep + digits;
        break;
      }
    }
  }
  return out;
}

class ParseFail {
  constructor(readonly message: string) {}
}

function goQuote(s: string): string {
  return JSON.stringify(s);
}

const BAD = new ParseFail('bad');

function getnum(s: string, fixed: boolean): [number, string] {
  if (!isDigitAt(s, 0)) throw BAD;
  if (!isDigitAt(s, 1)) {
    if (fixed) throw BAD;
    return [s.charCodeAt(0) - 48, s.slice(1)];
  }
  return [(s.charCodeAt(0) - 48) * 10 + (s.charCodeAt(1) - 48), s.slice(2)];
}

function getnum3(s: string, fixed: boolean): [number, string] {
  let n = 0;
  let i = 0;
  for (; i < 3 && isDigitAt(s, i); i++) n = n * 10 + (s.charCodeAt(i) - 48);
  if (i === 0 || (fixed && i !== 3)) throw BAD;
  return [n, s.slice(i)];
}

function lookupName(tab: string[], val: string): [number, string] {
  for (let i = 0; i < tab.length; i++) {
    const v = tab[i] as string;
    if (val.length >= v.length && val.slice(0, v.length).toLowerCase() === v.toLowerCase()) {
      return [i, val.slice(v.length)];
    }
  }
  throw BAD;
}

function cutspace(s: string): string {
  let i = 0;
  while (i < s.length && s[i] === ' ') i++;
  return s.slice(i);
}

function skip(value: string, prefix: string): string {
  while (prefix.length > 0) {
    if (prefix[0] === ' ') {
      if (value.length > 0 && value[0] !== ' ') throw BAD;
      prefix = cutspace(prefix);
      value = cutspace(value);
      continue;
    }
    if (value.length === 0 || value[0] !== prefix[0]) throw BAD;
    prefix = prefix.slice(1);
    value = value.slice(1);
  }
  return value;
}

function parseNanoseconds(value: string, nbytes: number): number {
  if (value[0] !== '.' && value[0] !== ',') throw BAD;
  if (nbytes > 10) nbytes = 10;
  const digits = value.slice(1, nbytes);
  if (!/^[0-9]+$/.test(digits)) throw BAD;
  return Number(digits.padEnd(9, '0'));
}

/** Days before each month in a non-leap year (index m: days in months 1..m). */
const DAYS_BEFORE = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

/** Go's parseTimeZone: the length of a zone abbreviation at the start of value, or 0. */
function parseTimeZone(value: string): number {
  if (value.length < 3) return 0;
  if (value.length >= 4 && (value.startsWith('ChST') || value.startsWith('MeST'))) return 4;
  if (value.startsWith('GMT')) {
    // GMT, or GMT followed by a signed hour offset.
    const m = /^GMT([+-])(\d+)/.exec(value);
    if (!m) return 3;
    const n = Number(m[2]);
    if (n > 24 || (m[2] as string).length > 2) return 3;
    return 3 + 1 + (m[2] as string).length;
  }
  if (value[0] === '+' || value[0] === '-') {
    const m = /^[+-](\d{2})(\d{2})?/.exec(value);
    return m ? m[0].length : 0;
  }
  let nUpper = 0;
  while (nUpper < value.length && nUpper < 6) {
    const c = value.charCodeAt(nUpper);
    if (c < 65 || c > 90) break;
    nUpper++;
  }
  switch (nUpper) {
    case 0:
    case 1:
    case 2:
    case 6:
      return 0;
    case 5:
      return value[4] === 'T' ? 5 : 0;
    case 4:
      return value[3] === 'T' || value.startsWith('WITA') ? 4 : 0;
    default:
      return 3;
  }
}

/** Go's time.Parse (no default location: UTC). Throws BuiltinError with Go's ParseError text. */
export function parseTime(layout: string, value: string): GoTime {
  const alayout = layout;
  const avalue = value;
  const parseError = (layoutElem: string, valueElem: string, message: string): BuiltinError =>
    new BuiltinError(
      message === ''
        ? `parsing time ${goQuote(avalue)} as ${goQuote(alayout)}: cannot parse ${goQuote(valueElem)} as ${goQuote(layoutElem)}`
        : `parsing time ${goQuote(avalue)}${message}`,
    );
  let amSet = false;
  let pmSet = false;
  let year = 0;
  let month = -1;
  let day = -1;
  let yday = -1;
  let hour = 0;
  let min = 0;
  let sec = 0;
  let nsec = 0;
  let zUTC = false;
  let zoneOffset = -1;
  let zoneName = '';
  for (;;) {
    const ch = nextStdChunk(layout);
    try {
      value = skip(value, ch.prefix);
    } catch (e) {
      if (e instanceof ParseFail) throw parseError(ch.prefix, value, '');
      throw e;
    }
    if (ch.std === Std.None) {
      if (value.length !== 0) throw parseError('', value, `: extra text: ${goQuote(value)}`);
      break;
    }
    layout = ch.suffix;
    const hold = value;
    let rangeErr = '';
    try {
      switch (ch.std) {
        case Std.Year: {
          if (value.length < 2) throw BAD;
          const p = value.slice(0, 2);
          if (!/^[0-9]{2}$/.test(p)) throw BAD;
          value = value.slice(2);
          year = Number(p);
          year += year >= 69 ? 1900 : 2000;
          break;
        }
        case Std.LongYear: {
          if (value.length < 4 || !isDigitAt(value, 0)) throw BAD;
          const p = value.slice(0, 4);
          if (!/^[0-9]{4}$/.test(p)) throw BAD;
          value = value.slice(4);
          year = Number(p);
          break;
        }
        case Std.Month:
          [month, value] = lookupName(SHORT_MONTHS, value);
          month++;
          break;
        case Std.LongMonth:
          [month, value] = lookupName(LONG_MONTHS, value);
          month++;
          break;
        case Std.NumMonth:
        case Std.ZeroMonth:
          [month, value] = getnum(value, ch.std === Std.ZeroMonth);
          if (month <= 0 || month > 12) rangeErr = 'month';
          break;
        case Std.WeekDay:
          [, value] = lookupName(SHORT_DAYS, value);
          break;
        case Std.LongWeekDay:
          [, value] = lookupName(LONG_DAYS, value);
          break;
        case Std.Day:
        case Std.UnderDay:
        case Std.ZeroDay:
          if (ch.std === Std.UnderDay && value[0] === ' ') value = value.slice(1);
          [day, value] = getnum(value, ch.std === Std.ZeroDay);
          break;
        case Std.UnderYearDay:
        case Std.ZeroYearDay:
          for (let i = 0; i < 2; i++) if (ch.std === Std.UnderYearDay && value[0] === ' ') value = value.slice(1);
          [yday, value] = getnum3(value, ch.std === Std.ZeroYearDay);
          break;
        case Std.Hour:
          [hour, value] = getnum(value, false);
          if (hour < 0 || hour >= 24) rangeErr = 'hour';
          break;
        case Std.Hour12:
        case Std.ZeroHour12:
          [hour, value] = getnum(value, ch.std === Std.ZeroHour12);
          if (hour < 0 || hour > 12) rangeErr = 'hour';
          break;
        case Std.Minute:
        case Std.ZeroMinute:
          [min, value] = getnum(value, ch.std === Std.ZeroMinute);
          if (min < 0 || min >= 60) rangeErr = 'minute';
          break;
        case Std.Second:
        case Std.ZeroSecond: {
          [sec, value] = getnum(value, ch.std === Std.ZeroSecond);
          if (sec < 0 || sec >= 60) {
            rangeErr = 'second';
            break;
          }
          // A fractional second in the value that the layout does not mention.
          if (value.length >= 2 && (value[0] === '.' || value[0] === ',') && isDigitAt(value, 1)) {
            const next = nextStdChunk(layout).std;
            if (next === Std.FracSecond0 || next === Std.FracSecond9) break;
            let n = 2;
            while (n < value.length && isDigitAt(value, n)) n++;
            nsec = parseNanoseconds(value, n);
            value = value.slice(n);
          }
          break;
        }
        case Std.PM:
        case Std.Pm: {
          if (value.length < 2) throw BAD;
          const p = value.slice(0, 2);
          value = value.slice(2);
          const [am, pm] = ch.std === Std.PM ? ['AM', 'PM'] : ['am', 'pm'];
          if (p === pm) pmSet = true;
          else if (p === am) amSet = true;
          else throw BAD;
          break;
        }
        case Std.ISO8601TZ:
        case Std.ISO8601ShortTZ:
        case Std.ISO8601ColonTZ:
        case Std.ISO8601SecondsTZ:
        case Std.ISO8601ColonSecondsTZ:
        case Std.NumTZ:
        case Std.NumShortTZ:
        case Std.NumColonTZ:
        case Std.NumSecondsTz:
        case Std.NumColonSecondsTZ: {
          const iso =
            ch.std === Std.ISO8601TZ ||
            ch.std === Std.ISO8601ShortTZ ||
            ch.std === Std.ISO8601ColonTZ ||
            ch.std === Std.ISO8601SecondsTZ ||
            ch.std === Std.ISO8601ColonSecondsTZ;
          if (iso && value[0] === 'Z') {
            value = value.slice(1);
            zUTC = true;
            break;
          }
          let sign: string;
          let hh: string;
          let mm: string;
          let ss: string;
          if (ch.std === Std.ISO8601ColonTZ || ch.std === Std.NumColonTZ) {
            if (value.length < 6 || value[3] !== ':') throw BAD;
            [sign, hh, mm, ss, value] = [value.slice(0, 1), value.slice(1, 3), value.slice(4, 6), '00', value.slice(6)];
          } else if (ch.std === Std.NumShortTZ || ch.std === Std.ISO8601ShortTZ) {
            if (value.length < 3) throw BAD;
            [sign, hh, mm, ss, value] = [value.slice(0, 1), value.slice(1, 3), '00', '00', value.slice(3)];
          } else if (ch.std === Std.ISO8601ColonSecondsTZ || ch.std === Std.NumColonSecondsTZ) {
            if (value.length < 9 || value[3] !== ':' || value[6] !== ':') throw BAD;
            [sign, hh, mm, ss, value] = [
              value.slice(0, 1),
              value.slice(1, 3),
              value.slice(4, 6),
              value.slice(7, 9),
              value.slice(9),
            ];
          } else if (ch.std === Std.ISO8601SecondsTZ || ch.std === Std.NumSecondsTz) {
            if (value.length < 7) throw BAD;
            [sign, hh, mm, ss, value] = [
              value.slice(0, 1),
              value.slice(1, 3),
              value.slice(3, 5),
              value.slice(5, 7),
              value.slice(7),
            ];
          } else {
            if (value.length < 5) throw BAD;
            [sign, hh, mm, ss, value] = [value.slice(0, 1), value.slice(1, 3), value.slice(3, 5), '00', value.slice(5)];
          }
          const [hr] = getnum(hh, true);
          const [mi] = getnum(mm, true);
          const [se] = getnum(ss, true);
          if (hr > 24) rangeErr = 'time zone offset hour';
          if (mi > 60) rangeErr = 'time zone offset minute';
          if (se > 60) rangeErr = 'time zone offset second';
          zoneOffset = (hr * 60 + mi) * 60 + se;
          if (sign === '-') zoneOffset = -zoneOffset;
          else if (sign !== '+') throw BAD;
          break;
        }
        case Std.TZ: {
          if (value.startsWith('UTC')) {
            zUTC = true;
            value = value.slice(3);
            break;
          }
          const n = parseTimeZone(value);
          if (n === 0) throw BAD;
          zoneName = value.slice(0, n);
          value = value.slice(n);
          break;
        }
        case Std.FracSecond0: {
          const ndigit = 1 + ch.digits;
          if (value.length < ndigit) throw BAD;
          nsec = parseNanoseconds(value, ndigit);
          value = value.slice(ndigit);
          break;
        }
        case Std.FracSecond9: {
          if (value.length < 2 || (value[0] !== '.' && value[0] !== ',') || !isDigitAt(value, 1)) break;
          let i = 0;
          while (i + 1 < value.length && isDigitAt(value, i + 1)) i++;
          nsec = parseNanoseconds(value, 1 + i);
          value = value.slice(1 + i);
          break;
        }
      }
    } catch (e) {
      if (e instanceof ParseFail) throw parseError(ch.stdstr, hold, '');
      throw e;
    }
    if (rangeErr !== '') throw parseError(ch.stdstr, value, `: ${rangeErr} out of range`);
  }
  if (pmSet && hour < 12) hour += 12;
  else if (amSet && hour === 12) hour = 0;
  if (yday >= 0) {
    let m = 0;
    let d = 0;
    if (isLeap(year)) {
      if (yday === 31 + 29) {
        m = 2;
        d = 29;
      } else if (yday > 31 + 29) yday--;
    }
    if (yday < 1 || yday > 365) throw parseError('', value, ': day-of-year out of range');
    if (m === 0) {
      m = Math.floor((yday - 1) / 31) + 1;
      if (DAYS_BEFORE[m]! < yday) m++;
      d = yday - DAYS_BEFORE[m - 1]!;
    }
    if (month >= 0 && month !== m) throw parseError('', value, ': day-of-year does not match month');
    month = m;
    if (day >= 0 && day !== d) throw parseError('', value, ': day-of-year does not match day');
    day = d;
  } else {
    if (month < 0) month = 1;
    if (day < 0) day = 1;
  }
  if (day < 1 || day > daysIn(month, year)) throw parseError('', value, ': day out of range');
  if (zUTC) return goDate(year, month, day, hour, min, sec, nsec, UTC);
  if (zoneOffset !== -1) {
    const t = goDate(year, month, day, hour, min, sec, nsec, UTC);
    return { sec: t.sec - zoneOffset, nsec: t.nsec, zone: fixedZone('', zoneOffset) };
  }
  if (zoneName !== '') {
    const t = goDate(year, month, day, hour, min, sec, nsec, UTC);
    let offset = 0;
    if (zoneName.length > 3 && zoneName.startsWith('GMT')) offset = Number(zoneName.slice(3)) * 3600;
    return { sec: t.sec - offset, nsec: t.nsec, zone: fixedZone(zoneName, offset) };
  }
  return goDate(year, month, day, hour, min, sec, nsec, UTC);
}

// ---------------------------------------------------------------------------------------------------------
// Durations

const UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.ParseDuration, as nanoseconds. */
export function parseDuration(text: string): bigint {
  const orig = text;
  const invalid = (): BuiltinError => new BuiltinError(`time: invalid duration ${goQuote(orig)}`);
  let s = text;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid();
  let total = 0n;
  while (s !== '') {
    if (!(s[0] === '.' || isDigitAt(s, 0))) throw invalid();
    const m = /^([0-9]*)(?:\.([0-9]*))?/.exec(s) as RegExpExecArray;
    const intPart = m[1] ?? '';
    const fracPart = m[2];
    if (intPart === '' && (fracPart === undefined || fracPart === '')) throw invalid();
    s = s.slice(m[0].length);
    let i = 0;
    while (i < s.length && s[i] !== '.' && !isDigitAt(s, i)) i++;
    const u = s.slice(0, i);
    s = s.slice(i);
    if (u === '') throw new BuiltinError(`time: missing unit in duration ${goQuote(orig)}`);
    const unit = UNITS[u];
    if (unit === undefined) throw new BuiltinError(`time: unknown unit ${goQuote(u)} in duration ${goQuote(orig)}`);
    const v = intPart === '' ? 0n : BigInt(intPart);
    let add = v * BigInt(unit);
    if (fracPart) {
      // Go accumulates the fraction as an integer and scales it in floating point.
      let f = 0;
      let scale = 1;
      for (const d of fracPart) {
        if (f > Number.MAX_SAFE_INTEGER / 10) break;
        f = f * 10 + Number(d);
        scale *= 10;
      }
      add += BigInt(Math.trunc(f * (unit / scale)));
    }
    total += add;
    if (total > 1n << 63n) throw invalid();
  }
  if (neg) total = -total;
  if (total > INT64_MAX || total < INT64_MIN) throw invalid();
  return total;
}

// ---------------------------------------------------------------------------------------------------------
// Operands

const NS_OPERAND = 'either number (ns) or [number (ns), string (tz)]';

/** OPA's tzTime: a number of ns, or [ns, tz] or [ns, tz, layout]. Returns the time and the layout. */
function tzTime(v: Value | undefined): [GoTime, string] {
  let n: Value | undefined;
  let zone = UTC;
  let layout = '';
  if (Array.isArray(v)) {
    if (v.length === 0) throw new OperandError(1, `operand 1 must be ${NS_OPERAND} but got array`);
    n = v[0] as Value;
    if (!isNumber(n)) throw new OperandError(1, `operand 1 must be number but got ${typeName(n)}`);
    if (v.length > 1) {
      const tz = v[1] as Value;
      if (typeof tz !== 'string') throw new OperandError(1, `operand 1 must be string but got ${typeName(tz)}`);
      zone = loadZone(tz);
    }
    if (v.length > 2) {
      const l = v[2] as Value;
      if (typeof l !== 'string') throw new OperandError(1, `operand 1 must be string but got ${typeName(l)}`);
      layout = l;
    }
  } else if (v !== undefined && isNumber(v)) {
    n = v;
  } else {
    throw new OperandError(1, `operand 1 must be ${NS_OPERAND} but got ${v === undefined ? 'undefined' : typeName(v)}`);
  }
  const ns = toBigInt(n as number | BigNum);
  if (ns === undefined || ns < INT64_MIN || ns > INT64_MAX) throw new BuiltinError('timestamp too big');
  return [fromUnixNano(ns, zone), layout];
}

function intArg(args: Value[], i: number): number {
  return Number(int(args, i));
}

/** Go's time.Time.AddDate. */
export function addDate(t: GoTime, years: number, months: number, days: number): GoTime {
  const c = civil(t);
  return goDate(c.year + years, c.month + months, c.day + days, c.hour, c.min, c.sec, c.nsec, t.zone);
}

/** OPA's time.diff: [years, months, days, hours, minutes, seconds] between two instants. */
export function diff(a: GoTime, b: GoTime): number[] {
  let t1 = a;
  let t2: GoTime = { ...b, zone: a.zone };
  if (unixNano(t1) > unixNano(t2)) [t1, t2] = [t2, t1];
  const c1 = civil(t1);
  const c2 = civil(t2);
  let year = c2.year - c1.year;
  let month = c2.month - c1.month;
  let day = c2.day - c1.day;
  let hour = c2.hour - c1.hour;
  let min = c2.min - c1.min;
  let sec = c2.sec - c1.sec;
  if (sec < 0) {
    sec += 60;
    min--;
  }
  if (min < 0) {
    min += 60;
    hour--;
  }
  if (hour < 0) {
    hour += 24;
    day--;
  }
  if (day < 0) {
    day += daysIn(c1.month, c1.year);
    month--;
  }
  if (month < 0) {
    month += 12;
    year--;
  }
  return [year, month, day, hour, min, sec];
}

export const builtins: BuiltinGroup = {
  'time.now_ns': (_a, ctx: BuiltinContext) => BigNum.fromBigInt(ctx.nowNs),
  'time.parse_ns': (a) => {
    const layout = str(a, 0);
    const value = str(a, 1);
    return safeUnixNano(parseTime(NAMED_LAYOUTS[layout] ?? layout, value));
  },
  'time.parse_rfc3339_ns': (a) => safeUnixNano(parseTime(NAMED_LAYOUTS.RFC3339 as string, str(a, 0))),
  'time.parse_duration_ns': (a) => BigNum.fromBigInt(parseDuration(str(a, 0))),
  'time.format': (a) => {
    const [t, layout] = tzTime(a[0]);
    const l = layout === '' ? (NAMED_LAYOUTS.RFC3339Nano as string) : (NAMED_LAYOUTS[layout] ?? layout);
    return formatTime(t, l);
  },
  'time.date': (a) => {
    const c = civil(tzTime(a[0])[0]);
    return [c.year, c.month, c.day];
  },
  'time.clock': (a) => {
    const c = civil(tzTime(a[0])[0]);
    return [c.hour, c.min, c.sec];
  },
  'time.weekday': (a) => LONG_DAYS[civil(tzTime(a[0])[0]).weekday] as string,
  'time.add_date': (a) => {
    const [t] = tzTime(a[0]);
    const years = intArg(a, 1);
    const months = intArg(a, 2);
    const days = intArg(a, 3);
    return safeUnixNano(addDate(t, years, months, days));
  },
  'time.diff': (a) => {
    const [t1] = tzTime(a[0]);
    const [t2] = tzTime(a[1]);
    return diff(t1, t2);
  },
};

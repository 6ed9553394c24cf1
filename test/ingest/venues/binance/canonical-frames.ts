import { mutateObject, mutateText, pick } from './mutators.js';

/**
 * Binance trade frames in the exact byte layout the exchange sends (the fast path's grammar,
 * `src/ingest/venues/binance/fast-frame.ts`), built from text parts so tests can put anything in them,
 * and mutators that damage them near that grammar.
 */
export interface FrameParts {
  agg: boolean;
  combined: boolean;
  /** The stream name before `@aggTrade`/`@trade`. */
  stream: string;
  E: string;
  s: string;
  /** `a` of an aggTrade, `t` of a trade. */
  id: string;
  p: string;
  q: string;
  f: string;
  l: string;
  T: string;
  m: boolean;
  M: boolean | undefined;
}

export function buildFrame(x: FrameParts): string {
  const best = x.M === undefined ? '' : `,"M":${x.M}`;
  const data = x.agg
    ? `{"e":"aggTrade","E":${x.E},"s":"${x.s}","a":${x.id},"p":"${x.p}","q":"${x.q}","f":${x.f},"l":${x.l},"T":${x.T},"m":${x.m}${best}}`
    : `{"e":"trade","E":${x.E},"s":"${x.s}","t":${x.id},"p":"${x.p}","q":"${x.q}","T":${x.T},"m":${x.m}${best}}`;
  return x.combined ? `{"stream":"${x.stream}@${x.agg ? 'aggTrade' : 'trade'}","data":${data}}` : data;
}

export const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** Decimal strings at the edges of what `parseDecimal` reads exactly (all positive). */
export const EDGE_DECIMALS = [
  '0.00000001',
  '100000000',
  '0.5',
  '1',
  '00.5',
  '007',
  '1.00000000',
  '123456.78900000',
  '9007199254740991',
  '0.9007199254740991',
  '90071992547.40991',
  '0.0000000000000000000001',
];
const SYMBOLS = [
  'BTCUSDT',
  'ETHBTC',
  'SWRVBUSD',
  'BUSDTRY',
  'AAVEUPUSDT',
  'XRPETH',
  'BNBFDUSD',
  '1000SATSUSDT',
];
const TIMES = ['1618677373912', '1704067200000', '1618677373912000', '1230940800000', '1618677373'];

/** A random canonical frame, valid most of the time: the mutations' starting point. */
export function randomFrame(r: () => number): string {
  const first = r() < 0.2 ? MAX_SAFE - Math.floor(r() * 1000) : Math.floor(r() * 1e9);
  const last = Math.min(MAX_SAFE, first + Math.floor(r() * 5));
  const s = pick(r, SYMBOLS);
  return buildFrame({
    agg: r() < 0.7,
    combined: r() < 0.6,
    stream: s.toLowerCase(),
    E: pick(r, TIMES),
    s,
    id: String(r() < 0.1 ? MAX_SAFE : Math.floor(r() * 1e10)),
    p: r() < 0.3 ? pick(r, EDGE_DECIMALS) : (r() * 1e5).toFixed(Math.floor(r() * 9)),
    q: r() < 0.3 ? pick(r, EDGE_DECIMALS) : (r() * 100).toFixed(8),
    f: String(first),
    l: String(last),
    T: pick(r, TIMES),
    m: r() < 0.5,
    M: r() < 0.8 ? r() < 0.9 : undefined,
  });
}

/** Values a field may take instead: other types, numbers that are not plain, odd decimals. */
const ODD_TOKENS = [
  '-1',
  '0',
  '00',
  '01',
  '-0',
  '1e3',
  '1E3',
  '1.0',
  '1.5',
  '9007199254740991',
  '9007199254740992',
  '9007199254740993',
  '99999999999999999999',
  '1618677373912.0',
  'NaN',
  'Infinity',
  'null',
  'true',
  'false',
  'True',
  '[]',
  '{}',
  '""',
  '"x"',
  '"1"',
  '"0"',
  '"0.00000000"',
  '"-1"',
  '"1e5"',
  '".5"',
  '"5."',
  '"0.0.1"',
  '" 1"',
  '"1 "',
  '"0x1F"',
  '"Infinity"',
  '"123456789012345678"',
  '"1234567890123456789012345678901234567890123"',
  '"0.00000000000000000000001"',
  '"1.0000000000000000000000"',
  '"\\u0031.5"',
  '"BTC\\u0055SDT"',
  '"btcusdt"',
  '"BTC-USDT"',
  '"ZZZ"',
];
const WHITESPACE = [' ', '\t', '\n', '\r', '\u00a0'];
const TRAILERS = [' ', '\n', '\r\n', 'x', '}', ',', '{}', '\u0000', ']', '0'];
const EXTRA_PAIRS = [
  '"x":1',
  '"b":123',
  '"a":456',
  '"e":"aggTrade"',
  '"M":true',
  '"E":1',
  '"s":"BTCUSDT"',
  '"p":"1"',
];
const RENAMES: ReadonlyArray<readonly [string, string]> = [
  ['"aggTrade"', '"aggtrade"'],
  ['"aggTrade"', '"trade"'],
  ['"trade"', '"aggTrade"'],
  ['@aggTrade', '@trade'],
  ['@trade', '@aggTrade'],
  ['@aggTrade', '@aggTrade@x'],
  ['"stream"', '"Stream"'],
  ['"data"', '"raw"'],
  ['"M"', '"N"'],
  ['"m"', '"M"'],
  ['"T"', '"t"'],
  ['"a"', '"t"'],
  ['"t"', '"a"'],
];

/** The innermost object's pairs (`"k":v`) and where that object sits in the line. */
function splitPairs(line: string): { before: string; pairs: string[]; after: string } | undefined {
  const start = line.indexOf('{"e":');
  const end = line.indexOf('}', start);
  if (start < 0 || end < 0) return undefined;
  return {
    before: line.slice(0, start + 1),
    pairs: line.slice(start + 1, end).split(','),
    after: line.slice(end),
  };
}

function escapeChar(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** One damage near the grammar; every kind the fast path must refuse, and some it must accept. */
export function mutateCanonical(r: () => number, line: string): string {
  const at = Math.floor(r() * (line.length + 1));
  const split = splitPairs(line);
  const kind = Math.floor(r() * 16);
  if (split !== undefined && kind <= 4) {
    const { before, pairs, after } = split;
    const k = Math.floor(r() * pairs.length);
    const pair = pairs[k] as string;
    const colon = pair.indexOf(':');
    switch (kind) {
      case 0:
        pairs.splice(k, 1);
        break;
      case 1: {
        const j = Math.floor(r() * pairs.length);
        pairs[k] = pairs[j] as string;
        pairs[j] = pair;
        break;
      }
      case 2:
        pairs.splice(
          Math.floor(r() * (pairs.length + 1)),
          0,
          r() < 0.5 ? pair : `${pair.slice(0, colon)}:${pick(r, ODD_TOKENS)}`,
        );
        break;
      case 3:
        pairs[k] = `${pair.slice(0, colon)}:${pick(r, ODD_TOKENS)}`;
        break;
      default:
        pairs.splice(Math.floor(r() * (pairs.length + 1)), 0, pick(r, EXTRA_PAIRS));
    }
    return before + pairs.join(',') + after;
  }
  switch (kind) {
    case 5: {
      // A digit for another: often still valid, so the fast path must read the new value.
      const digits = [...line].flatMap((c, i) => (c >= '0' && c <= '9' ? [i] : []));
      if (digits.length === 0) return `${line} `;
      const i = pick(r, digits);
      return line.slice(0, i) + String(Math.floor(r() * 10)) + line.slice(i + 1);
    }
    case 6: {
      // An escape inside a string: JSON.parse decodes it, the fast path must not read it raw.
      const quotes = [...line].flatMap((c, i) => (c === '"' ? [i] : []));
      if (quotes.length === 0) return `"${line}`;
      const i = pick(r, quotes) + 1;
      if (i >= line.length) return `${line}\\`;
      const c = line[i] as string;
      const escaped =
        c === '"' ? '\\"' : r() < 0.7 ? escapeChar(c) : `${pick(r, ['\\"', '\\\\', '\\/', '\\n'])}${c}`;
      return line.slice(0, i) + escaped + line.slice(i + 1);
    }
    case 7: {
      const marks = [...line].flatMap((c, i) => (c === ':' || c === ',' || c === '{' ? [i + 1] : []));
      const i = r() < 0.7 && marks.length > 0 ? pick(r, marks) : at;
      return line.slice(0, i) + pick(r, WHITESPACE) + line.slice(i);
    }
    case 8:
      return r() < 0.5 ? line + pick(r, TRAILERS) : pick(r, WHITESPACE) + line;
    case 9: {
      const seconds = pick(r, ['1618677374.032366', '1618677374', '0', '-1', '"x"']);
      const roll = r();
      if (roll < 0.4) return `{"received_at":${seconds},"raw":${line}}`;
      if (roll < 0.6) return `{"received_at":${seconds},"raw":${JSON.stringify(line)}}`;
      if (roll < 0.8) return `${seconds}: ${line}`;
      return `{"stream":"x@aggTrade","data":${line}}`;
    }
    case 10: {
      const [from, to] = pick(r, RENAMES);
      return line.includes(from) ? line.replace(from, to) : line.slice(0, at);
    }
    case 11:
      return line.slice(0, at);
    case 12: {
      const c = pick(r, [
        '"',
        '\\',
        ' ',
        ',',
        '}',
        '{',
        '.',
        '-',
        'e',
        '0',
        '9',
        ':',
        'A',
        'a',
        '\u00e9',
        '\ud83d',
      ]);
      return line.slice(0, at) + c + line.slice(at + (r() < 0.5 ? 1 : 0));
    }
    case 13:
      // Not on the deep nests `mutateText` makes: re-serialising them overflows the stack.
      return line.length > 4096 ? line.slice(0, at) : mutateObject(r, line);
    case 14:
      return mutateText(r, line);
    default:
      return line.slice(0, at) + line.slice(at + 1 + Math.floor(r() * 8));
  }
}

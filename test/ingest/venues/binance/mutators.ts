/**
 * Mutators shared by the frame fuzz tests (`fuzz.test.ts`, `fast-path.test.ts`): they damage
 * recorded Binance lines as JSON values (`mutateObject`) and as text (`mutateText`).
 */

/** The receiving clock of the fuzz tests; some mutated times lie past it. */
export const FUZZ_NOW = Date.UTC(2021, 3, 18);
const NOW = FUZZ_NOW;

/** mulberry32, so a failing case can be replayed from its index. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Json = Record<string, unknown>;

const ODD_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  '',
  'NaN',
  'Infinity',
  '-Infinity',
  '-2.5',
  '0',
  '0.00000000',
  '1e400',
  '0x1F',
  ' 1.0',
  'abc',
  [],
  {},
  [1, 2],
  { p: '1' },
  '\u0000',
  '😀',
];
const TIMES = [
  0,
  -1,
  1,
  1e3,
  1618677373,
  1618677373.5,
  1618677373912,
  1618677373912000,
  1e17,
  1e20,
  9e15,
  NOW + 1e9,
];
const SYMBOLS = [
  '',
  'XXX',
  'BTCUSDT',
  'btcusdt',
  'BTC-USDT',
  'ZZZZZZZZZZZZZZZZZZZZZZZZZZZQQQ',
  'USDT',
  '€€€USDT',
  '   ',
];
const EVENTS = [
  'kline',
  'trade',
  'aggTrade',
  'AGGTRADE',
  'depthUpdate',
  '',
  'aggTrad',
  'executionReport',
  'xyz',
];

export function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)] as T;
}

/** The innermost frame object of a parsed line, whatever its envelope. */
export function innermost(value: Json): Json {
  const raw = value['raw'];
  const inner = typeof raw === 'object' && raw !== null ? (raw as Json) : value;
  const data = inner['data'];
  return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Json) : inner;
}

/** The bad values `mutateObject` writes into prices, times and symbols. */
export interface Vocabulary {
  prices: readonly string[];
  times: readonly unknown[];
  symbols: readonly string[];
}

export const DEFAULT_VOCABULARY: Vocabulary = {
  prices: ['NaN', 'Infinity', '-1', '0', '', '-0.0', '1e9', '0.000000001', 'x'],
  times: TIMES,
  symbols: SYMBOLS,
};

export function mutateObject(
  r: () => number,
  line: string,
  vocabulary: Vocabulary = DEFAULT_VOCABULARY,
): string {
  const prefix = /^\d+(\.\d+)?: /.exec(line)?.[0] ?? '';
  let value: unknown;
  try {
    value = JSON.parse(line.slice(prefix.length));
  } catch {
    return `${line}}`;
  }
  if (typeof value !== 'object' || value === null) return line;
  const frame = innermost(value as Json);
  const keys = Object.keys(frame);
  const key = keys.length > 0 ? pick(r, keys) : 'p';
  switch (Math.floor(r() * 9)) {
    case 0:
      delete frame[key];
      break;
    case 1:
      frame[key] = pick(r, ODD_VALUES);
      break;
    case 2:
      frame[pick(r, ['p', 'q'])] = pick(r, vocabulary.prices);
      break;
    case 3:
      frame[pick(r, ['T', 'E'])] = pick(r, vocabulary.times);
      break;
    case 4:
      frame['s'] = pick(r, vocabulary.symbols);
      break;
    case 5:
      frame[`x${Math.floor(r() * 1000)}`] = pick(r, ODD_VALUES);
      break;
    case 6:
      frame['e'] = pick(r, EVENTS);
      break;
    case 7:
      frame[pick(r, ['a', 'f', 'l', 't'])] = pick(r, [-1, 1.5, 2 ** 60, '7', 0, null]);
      break;
    default:
      (value as Json)['received_at'] = pick(r, [...vocabulary.times, 'x', null]);
  }
  return prefix + JSON.stringify(value);
}

export function mutateText(r: () => number, line: string): string {
  const at = Math.floor(r() * (line.length + 1));
  switch (Math.floor(r() * 8)) {
    case 0: {
      const code = Math.floor(r() * 0x80) | (r() < 0.1 ? 0x2600 : 0);
      return line.slice(0, at) + String.fromCharCode(code) + line.slice(at + 1);
    }
    case 1:
      return line.slice(0, at);
    case 2:
      return line.slice(0, at) + line.slice(at + 1 + Math.floor(r() * 20));
    case 3:
      return line.slice(0, at) + line.slice(Math.floor(r() * line.length));
    case 4:
      return pick(r, [
        '',
        ' ',
        '\t',
        '\r',
        '{}',
        '[]',
        'null',
        '"s"',
        '{"e":null}',
        '1618677374.1: ',
        ': {}',
      ]);
    case 5: {
      let garbage = '';
      for (let i = Math.floor(r() * 80); i > 0; i--)
        garbage += String.fromCharCode(32 + Math.floor(r() * 95));
      return garbage;
    }
    case 6: {
      const depth = 1 + Math.floor(r() * 5000);
      return r() < 0.5
        ? '['.repeat(depth) + ']'.repeat(depth)
        : `${'{"stream":"x","data":'.repeat(depth)}{}${'}'.repeat(depth)}`;
    }
    default:
      return `${line.slice(0, at)}"${line.slice(at)}`;
  }
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MIN_EVENT_TS } from '../../../src/domain/index.js';
import { csvFastRow } from '../../../src/ingest/binance/csv-fast.js';
import { type ParseResult, parseAggTradeCsvLine, parseTradeCsvLine } from '../../../src/ingest/index.js';
import { newTradeFields, type TradeFields } from '../../../src/log/index.js';
import { AGG_TRADES_CSV_GZ, fixtureLines } from '../fixtures.js';
import { EDGE_DECIMALS } from './canonical-frames.js';
import { mutateText, pick, rng } from './mutators.js';

const NOW = Date.UTC(2025, 5, 1);
const DAY = 86_400_000;
const MUTATED = 100_000;
type Format = 'binance-aggtrades-csv' | 'binance-trades-csv';

/** The fields the fast path must give for a trade the generic parser made. */
function fieldsOf(result: ParseResult): Omit<TradeFields, 'idText'> & { idText: string } {
  assert.equal(result.kind, 'trade');
  const t = (result as { trade: import('../../../src/domain/index.js').Trade }).trade;
  return {
    venue: t.venue,
    symbol: t.symbol,
    idNum: Number(t.tradeId),
    idText: '',
    ts: t.ts,
    price: t.price,
    qty: t.qty,
    buy: t.side === 'buy',
    count: t.count,
    recvTs: t.recvTs,
  };
}

/**
 * Holds the fast path to the generic parser on one line: when it takes the line, the generic
 * parser makes a trade of it with the very same fields. Returns whether it took it.
 */
function assertSame(format: Format, line: string, nowMs = NOW): boolean {
  const out = newTradeFields();
  const fast = csvFastRow(format, 'XRP-ETH', nowMs, out);
  assert.ok(fast !== undefined);
  const bytes = Buffer.from(line, 'utf8');
  const taken = fast(bytes, 0, bytes.length, out);
  const parse = format === 'binance-aggtrades-csv' ? parseAggTradeCsvLine : parseTradeCsvLine;
  const generic = parse(line, 'XRP-ETH', 'f:1', nowMs);
  if (taken) assert.deepEqual({ ...out }, fieldsOf(generic), JSON.stringify(line));
  return taken;
}

const digits = (r: () => number, n: number): string =>
  Array.from({ length: n }, () => String(Math.floor(r() * 10))).join('');

function randomDecimal(r: () => number): string {
  if (r() < 0.2) return pick(r, EDGE_DECIMALS);
  const whole = String(Math.floor(r() * 10 ** (1 + Math.floor(r() * 6))));
  return r() < 0.2 ? whole : `${whole}.${digits(r, 1 + Math.floor(r() * 8))}`;
}

function randomTime(r: () => number): string {
  const ms = MIN_EVENT_TS + Math.floor(r() * (NOW + DAY - MIN_EVENT_TS));
  const unit = r();
  if (unit < 0.2) return String(ms * 1000 + Math.floor(r() * 1000));
  if (unit < 0.25) return String(Math.floor(ms / 1000));
  return String(ms);
}

/** A row as data.binance.vision writes it, with the odd valid spelling now and then. */
function randomRow(r: () => number, format: Format): string {
  const id = Math.floor(r() * 2 ** (10 + Math.floor(r() * 40)));
  const bool = (): string => pick(r, ['true', 'false', 'true', 'false', 'True', 'FALSE']);
  const ending = pick(r, ['', '', '', '\r']);
  if (format === 'binance-trades-csv') {
    const cols = [String(id), randomDecimal(r), randomDecimal(r), randomDecimal(r), randomTime(r), bool()];
    if (r() < 0.8) cols.push(bool());
    return cols.join(',') + ending;
  }
  const first = Math.floor(r() * 2 ** 40);
  const last = first + (r() < 0.9 ? Math.floor(r() * 5) : -1);
  const cols = [
    String(id),
    randomDecimal(r),
    randomDecimal(r),
    String(first),
    String(last),
    randomTime(r),
    bool(),
  ];
  if (r() < 0.8) cols.push(bool());
  return cols.join(',') + ending;
}

describe('data.binance.vision rows read from bytes (csv-fast)', () => {
  it('gives the generic parser’s trade for every row of the real dump', () => {
    const [, ...rows] = fixtureLines(AGG_TRADES_CSV_GZ);
    for (const row of rows) assert.ok(assertSame('binance-aggtrades-csv', row), row);
  });

  for (const format of ['binance-aggtrades-csv', 'binance-trades-csv'] as const) {
    it(`agrees with the generic parser on ${MUTATED} random and mutated ${format} rows`, () => {
      const r = rng(format.length * 7919);
      let taken = 0;
      let canonical = 0;
      for (let i = 0; i < MUTATED; i++) {
        const row = randomRow(r, format);
        const line = r() < 0.5 ? row : mutateText(r, row);
        const took = assertSame(format, line);
        if (took) taken++;
        if (line === row && !/True|FALSE/.test(row)) canonical++;
      }
      // Most canonical rows are valid trades the fast path must take (the rest: times past now,
      // zero prices, first > last).
      assert.ok(taken > canonical * 0.6, `fast path took ${taken} of ${canonical} plain rows`);
    });
  }

  it('leaves the header, other spellings and every bad row to the generic parser', () => {
    const good = '13519807,0.00141342,23.00000000,15373518,15373518,1570752011620,true,true';
    assert.equal(assertSame('binance-aggtrades-csv', good), true);
    assert.equal(assertSame('binance-aggtrades-csv', `${good}\r`), true);
    assert.equal(assertSame('binance-aggtrades-csv', good.slice(0, good.lastIndexOf(','))), true);
    // One CR goes; the last column (is_best_match) is not read, whatever it holds.
    assert.equal(assertSame('binance-aggtrades-csv', `${good}\r\r`), true);
    const off = [
      'agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match',
      good.replace(',true,', ',True,'),
      good.replace('0.00141342', 'NaN'),
      good.replace('0.00141342', '0.00000000'),
      good.replace('0.00141342', '-0.00141342'),
      good.replace('0.00141342', '1e3'),
      good.replace('0.00141342', '.5'),
      good.replace('23.00000000', '23.'),
      good.replace('1570752011620', '99999999999999999'),
      good.replace('1570752011620', String(NOW + 2 * DAY)),
      good.replace('1570752011620', '1230768000'), // seconds, but before MIN_EVENT_TS
      good.replace('15373518,15373518', '15373519,15373518'),
      good.replace('13519807', '1234567890123456'),
      `${good},extra`,
      `${good}\r,`,
      ` ${good}`,
      '',
    ];
    for (const line of off) assert.equal(assertSame('binance-aggtrades-csv', line), false, line);
  });

  it('takes no row of a symbol that is not canonical', () => {
    assert.equal(csvFastRow('binance-aggtrades-csv', 'XRPETH', NOW, newTradeFields()), undefined);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MIN_EVENT_TS } from '../../../../src/domain/index.js';
import {
  BINANCE_CSV_LAYOUTS,
  type BinanceCsvLayout,
  csvLayout,
  csvRowParser,
  type ParseResult,
} from '../../../../src/ingest/index.js';
import { csvFastRow } from '../../../../src/ingest/venues/binance/csv-fast.js';
import { newTradeFields, type TradeFields } from '../../../../src/log/index.js';
import { AGG_TRADES_CSV_GZ, fixtureLines } from '../../fixtures.js';
import { EDGE_DECIMALS } from './canonical-frames.js';
import { mutateText, pick, rng } from './mutators.js';

const NOW = Date.UTC(2025, 5, 1);
const DAY = 86_400_000;
const MUTATED = 100_000;

/** The fields the fast path must give for a trade the generic parser made. */
function fieldsOf(result: ParseResult): Omit<TradeFields, 'idText'> & { idText: string } {
  assert.equal(result.kind, 'trade');
  const t = (result as { trade: import('../../../../src/domain/index.js').Trade }).trade;
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
function assertSame(format: string, line: string, nowMs = NOW): boolean {
  const layout = csvLayout(format) as BinanceCsvLayout;
  const out = newTradeFields();
  const fast = csvFastRow(layout, 'XRP-ETH', nowMs, out);
  assert.ok(fast !== undefined);
  const bytes = Buffer.from(line, 'utf8');
  const taken = fast(bytes, 0, bytes.length);
  const generic = csvRowParser(layout, 'XRP-ETH')(line, 'f:1', nowMs);
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

/**
 * A row as data.binance.vision writes it in `layout`, with the odd valid spelling now and then,
 * and now and then the column count of another market's layout.
 */
function randomRow(r: () => number, layout: BinanceCsvLayout): string {
  const id = Math.floor(r() * 2 ** (10 + Math.floor(r() * 40)));
  const bool = (): string => pick(r, ['true', 'false', 'true', 'false', 'True', 'FALSE']);
  const ending = pick(r, ['', '', '', '\r']);
  const base = layout.kind === 'trades' ? 6 : 7;
  const extra = r() < (layout.columns.length > base ? 0.8 : 0.2);
  if (layout.kind === 'trades') {
    const cols = [String(id), randomDecimal(r), randomDecimal(r), randomDecimal(r), randomTime(r), bool()];
    if (extra) cols.push(bool());
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
  if (extra) cols.push(bool());
  return cols.join(',') + ending;
}

describe('data.binance.vision rows read from bytes (csv-fast)', () => {
  it('gives the generic parser’s trade for every row of the real dump', () => {
    const [, ...rows] = fixtureLines(AGG_TRADES_CSV_GZ);
    for (const row of rows) assert.ok(assertSame('binance-aggtrades-csv', row), row);
  });

  for (const layout of BINANCE_CSV_LAYOUTS) {
    const format = layout.format;
    it(`agrees with the generic parser on ${MUTATED / 2} random and mutated ${format} rows`, () => {
      const r = rng(format.length * 7919);
      let taken = 0;
      let canonical = 0;
      for (let i = 0; i < MUTATED / 2; i++) {
        const row = randomRow(r, layout);
        const line = r() < 0.5 ? row : mutateText(r, row);
        const took = assertSame(format, line);
        if (took) taken++;
        const columns = row.replace(/\r$/, '').split(',').length;
        if (line === row && !/True|FALSE/.test(row) && columns === layout.columns.length) canonical++;
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
    // Seven columns are a futures aggTrade, not a spot one: the count must be the layout's.
    assert.equal(assertSame('binance-aggtrades-csv', good.slice(0, good.lastIndexOf(','))), false);
    assert.equal(assertSame('binance-usdm-aggtrades-csv', good.slice(0, good.lastIndexOf(','))), true);
    assert.equal(assertSame('binance-usdm-aggtrades-csv', good), false);
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
    const layout = csvLayout('binance-aggtrades-csv') as BinanceCsvLayout;
    assert.equal(csvFastRow(layout, 'XRPETH', NOW, newTradeFields()), undefined);
  });
});

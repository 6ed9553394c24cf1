import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { RejectReason, Trade } from '../../../../src/domain/index.js';
import {
  BINANCE_CSV_LAYOUTS,
  type BinanceCsvLayout,
  csvLayout,
  csvRowParser,
  isCsvHeader,
  type ParseResult,
  parseDecimal,
} from '../../../../src/ingest/index.js';
import { AGG_TRADES_CSV_GZ, fixtureLines } from '../../fixtures.js';

const NOW = Date.UTC(2026, 0, 1);
const [header, firstRow] = fixtureLines(AGG_TRADES_CSV_GZ) as [string, string];

function layout(format: string): BinanceCsvLayout {
  const found = csvLayout(format);
  assert.ok(found !== undefined, format);
  return found;
}
const SPOT_AGG = layout('binance-aggtrades-csv');
const SPOT_TRADES = layout('binance-trades-csv');
const parseAggTradeCsvLine = (line: string, symbol: string, origin: string, nowMs: number): ParseResult =>
  csvRowParser(SPOT_AGG, symbol)(line, origin, nowMs);
const parseTradeCsvLine = (line: string, symbol: string, origin: string, nowMs: number): ParseResult =>
  csvRowParser(SPOT_TRADES, symbol)(line, origin, nowMs);

function tradeOf(result: ParseResult): Trade {
  assert.equal(result.kind, 'trade', JSON.stringify(result));
  return (result as { trade: Trade }).trade;
}

function reasonOf(result: ParseResult): RejectReason {
  assert.equal(result.kind, 'rejected', JSON.stringify(result));
  return (result as { rejected: { reason: RejectReason } }).rejected.reason;
}

describe('Binance CSV rows', () => {
  it('parses the first aggTrades row of the real dump', () => {
    // 13519807,0.00141342,23.00000000,15373518,15373518,1570752011620,true,true
    const cols = firstRow.split(',');
    const trade = tradeOf(parseAggTradeCsvLine(firstRow, 'XRP-ETH', 'f:2', NOW));
    assert.deepEqual(trade, {
      venue: 'binance',
      symbol: 'XRP-ETH',
      tradeId: cols[0],
      ts: Number(cols[5]),
      price: Number(cols[1]),
      qty: Number(cols[2]),
      side: cols[6] === 'true' ? 'sell' : 'buy',
      count: Number(cols[4]) - Number(cols[3]) + 1,
      recvTs: Number(cols[5]),
    });
  });

  it('reads µs times, CRLF endings and capitalised booleans', () => {
    const cols = firstRow.split(',');
    const ms = Number(cols[5]);
    const micros = [...cols.slice(0, 5), String(ms * 1000 + 999), 'True', 'True'].join(',');
    const trade = tradeOf(parseAggTradeCsvLine(`${micros}\r`, 'XRP-ETH', 'f:2', NOW));
    assert.equal(trade.ts, ms);
    assert.equal(trade.side, 'sell');
  });

  it('reads futures rows (no is_best_match) as trades of the futures market, and only in its layout', () => {
    const cols = firstRow.split(',');
    const futures = cols.slice(0, 7).join(',');
    const usdm = tradeOf(csvRowParser(layout('binance-usdm-aggtrades-csv'), 'XRP-ETH')(futures, 'f:2', NOW));
    assert.deepEqual(usdm, {
      ...tradeOf(parseAggTradeCsvLine(firstRow, 'XRP-ETH', 'f:2', NOW)),
      venue: 'binance-usdm',
    });
    const coinm = tradeOf(
      csvRowParser(layout('binance-coinm-aggtrades-csv'), 'BTC-USD')(futures, 'f:2', NOW),
    );
    assert.equal(coinm.venue, 'binance-coinm');
    // A spot dump's row in a futures file, or the other way round, is damage, not a trade.
    assert.equal(reasonOf(parseAggTradeCsvLine(futures, 'XRP-ETH', 'f:2', NOW)), 'bad_csv');
    const usdmTrades = csvRowParser(layout('binance-usdm-trades-csv'), 'XRP-ETH');
    assert.equal(tradeOf(usdmTrades('7,1.5,2,3,1570752011620,false', 'f:3', NOW)).venue, 'binance-usdm');
    assert.equal(reasonOf(usdmTrades('7,1.5,2,3,1570752011620,false,true', 'f:3', NOW)), 'bad_csv');
  });

  it('defines each layout once: distinct formats, every field a column of its own layout', () => {
    assert.equal(new Set(BINANCE_CSV_LAYOUTS.map((l) => l.format)).size, BINANCE_CSV_LAYOUTS.length);
    for (const l of BINANCE_CSV_LAYOUTS) {
      for (const name of Object.values(l.fields)) assert.ok(l.columns.includes(name), `${l.format}: ${name}`);
      assert.equal(l.fields.firstId !== undefined, l.kind === 'aggTrades', l.format);
    }
  });

  it('parses a trades row (id,price,qty,quote_qty,time,is_buyer_maker,is_best_match)', () => {
    const trade = tradeOf(
      parseTradeCsvLine(
        '15373518,0.00141342,23.0,0.03250866,1570752011620,false,true',
        'XRP-ETH',
        'f:1',
        NOW,
      ),
    );
    assert.deepEqual(trade, {
      venue: 'binance',
      symbol: 'XRP-ETH',
      tradeId: '15373518',
      ts: 1570752011620,
      price: 0.00141342,
      qty: 23,
      side: 'buy',
      count: 1,
      recvTs: 1570752011620,
    });
  });

  it('rejects bad rows with stable reasons', () => {
    const cols = firstRow.split(',');
    const row = (i: number, value: string) => cols.map((c, j) => (j === i ? value : c)).join(',');
    const cases: [string, RejectReason][] = [
      ['', 'bad_csv'],
      ['1,2,3', 'bad_csv'],
      [`${firstRow},extra,extra`, 'bad_csv'],
      [row(6, 'maybe'), 'bad_csv'],
      [row(0, 'x1'), 'invalid_id'],
      [row(0, '-1'), 'invalid_id'],
      [row(4, String(Number(cols[3]) - 1)), 'invalid_id'],
      [row(1, 'abc'), 'invalid_price'],
      [row(1, '0'), 'invalid_price'],
      [row(2, '-3'), 'invalid_qty'],
      [row(5, ''), 'invalid_time'],
      [row(5, '1000'), 'time_out_of_range'],
    ];
    for (const [line, reason] of cases) {
      const result = parseAggTradeCsvLine(line, 'XRP-ETH', 'f:9', NOW);
      assert.equal(reasonOf(result), reason, line);
      const rejected = (result as Extract<ParseResult, { kind: 'rejected' }>).rejected;
      assert.equal(rejected.payload, line);
      assert.equal(rejected.stage, 'ingest:binance-csv');
      assert.equal(rejected.origin, 'f:9');
    }
    assert.equal(reasonOf(parseTradeCsvLine('1,2,3', 'XRP-ETH', 'f:1', NOW)), 'bad_csv');
  });

  it('tells header rows from data rows', () => {
    assert.equal(isCsvHeader(SPOT_AGG, header, true), true);
    assert.equal(isCsvHeader(SPOT_AGG, header, false), true);
    assert.equal(
      isCsvHeader(SPOT_TRADES, 'id,price,qty,quote_qty,time,is_buyer_maker,is_best_match', false),
      true,
    );
    assert.equal(isCsvHeader(SPOT_AGG, 'garbage,row', false), false);
    assert.equal(isCsvHeader(SPOT_AGG, firstRow, true), false);
    // A first line of letters is a header only with the layout's column count: else it is data.
    assert.equal(isCsvHeader(SPOT_AGG, 'a,p,q,f,l,T,m,M', true), true);
    assert.equal(isCsvHeader(SPOT_AGG, 'x'.repeat(1000), true), false);
  });
});

describe('parseDecimal', () => {
  it('equals Number() on plain decimal strings', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e12, noNaN: true }),
        fc.integer({ min: 0, max: 12 }),
        (value, places) => {
          const text = value.toFixed(places);
          assert.equal(parseDecimal(text), Number(text));
        },
      ),
      { numRuns: 20_000 },
    );
    assert.equal(parseDecimal('123456789012345678901234.5'), Number('123456789012345678901234.5'));
  });

  it('refuses what is not a plain unsigned decimal', () => {
    for (const text of [
      '',
      '.',
      '1.',
      '.5',
      '1.2.3',
      '-1',
      '+1',
      ' 1',
      '1 ',
      '0x10',
      '1e3',
      'Infinity',
      'NaN',
    ]) {
      assert.ok(Number.isNaN(parseDecimal(text)), text);
    }
  });
});

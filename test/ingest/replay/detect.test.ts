import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectFormat, symbolFromFileName } from '../../../src/ingest/index.js';
import { AGG_TRADES_CSV_GZ, fixtureLines, WS_CAPTURE_GZ, WS_JSONL } from '../fixtures.js';
import { aggRows, tradesLayout } from './tmp.js';

describe('detectFormat', () => {
  const agg = fixtureLines(AGG_TRADES_CSV_GZ).slice(0, 5);
  const trades = tradesLayout(aggRows().slice(0, 5));

  it('recognises the fixtures', () => {
    assert.equal(detectFormat(AGG_TRADES_CSV_GZ, agg), 'binance-aggtrades-csv');
    assert.equal(detectFormat(WS_JSONL, fixtureLines(WS_JSONL).slice(0, 5)), 'binance-ws');
    assert.equal(detectFormat(WS_CAPTURE_GZ, fixtureLines(WS_CAPTURE_GZ).slice(0, 5)), 'binance-ws');
  });

  it('tells CSV layouts by file name, then header, then row shape', () => {
    assert.equal(detectFormat('BTCUSDT-trades-2025-01-01.csv', agg.slice(1)), 'binance-trades-csv');
    assert.equal(detectFormat('x.csv', agg), 'binance-aggtrades-csv');
    assert.equal(detectFormat('x.csv', agg.slice(1)), 'binance-aggtrades-csv');
    assert.equal(
      detectFormat('x.csv', ['id,price,qty,quote_qty,time,is_buyer_maker,is_best_match', ...trades]),
      'binance-trades-csv',
    );
    assert.equal(detectFormat('x.csv', trades), 'binance-trades-csv');
    assert.equal(
      detectFormat(
        'x.csv',
        trades.map((l) => l.split(',').slice(0, 6).join(',')),
      ),
      'binance-trades-csv',
    );
    const futuresAgg = agg.slice(1).map((l) => l.split(',').slice(0, 7).join(','));
    assert.equal(detectFormat('x.csv', futuresAgg), 'binance-aggtrades-csv');
  });

  it('gives up on what it does not know', () => {
    assert.equal(detectFormat('x.txt', ['hello world']), undefined);
    assert.equal(detectFormat('x.txt', ['1,2,3']), undefined);
    assert.equal(detectFormat('x.txt', []), undefined);
  });
});

describe('symbolFromFileName', () => {
  it('reads data.binance.vision names, daily and monthly', () => {
    assert.equal(symbolFromFileName('/data/XRPETH-aggTrades-2019-10-11.csv.gz'), 'XRP-ETH');
    assert.equal(symbolFromFileName('BTCUSDT-trades-2025-01-01.csv'), 'BTC-USDT');
    assert.equal(symbolFromFileName('ETHBTC-aggTrades-2024-03.csv'), 'ETH-BTC');
    assert.equal(symbolFromFileName('trades.csv'), undefined);
    assert.equal(symbolFromFileName('FOOBAR-trades-2025-01-01.csv'), undefined);
  });
});

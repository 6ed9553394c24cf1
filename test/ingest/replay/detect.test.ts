import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BINANCE, detectFormat, openReplay, symbolFromFileName } from '../../../src/ingest/index.js';
import {
  AGG_TRADES_CSV_GZ,
  COINM_CAPTURE,
  collect,
  fixtureLines,
  USDM_CAPTURE,
  WS_CAPTURE_GZ,
  WS_JSONL,
} from '../fixtures.js';
import { aggRows, tempDir, tradesLayout } from './tmp.js';

const FUTURES_AGG_HEADER =
  'agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker';
const USDM_TRADES_HEADER = 'id,price,qty,quote_qty,time,is_buyer_maker';
const COINM_TRADES_HEADER = 'id,price,qty,base_qty,time,is_buyer_maker';

describe('detectFormat', () => {
  const agg = fixtureLines(AGG_TRADES_CSV_GZ).slice(0, 5);
  const trades = tradesLayout(aggRows().slice(0, 5));
  /** The same rows in a futures layout: without spot's last column, is_best_match. */
  const futuresAgg = agg.slice(1).map((l) => l.split(',').slice(0, 7).join(','));
  const futuresTrades = trades.map((l) => l.split(',').slice(0, 6).join(','));

  it('recognises the fixtures', () => {
    assert.equal(detectFormat(AGG_TRADES_CSV_GZ, agg), 'binance-aggtrades-csv');
    assert.equal(detectFormat(WS_JSONL, fixtureLines(WS_JSONL).slice(0, 5)), 'binance-ws');
    assert.equal(detectFormat(WS_CAPTURE_GZ, fixtureLines(WS_CAPTURE_GZ).slice(0, 5)), 'binance-ws');
    assert.equal(detectFormat(USDM_CAPTURE, fixtureLines(USDM_CAPTURE).slice(0, 16)), 'binance-ws');
    assert.equal(detectFormat(COINM_CAPTURE, fixtureLines(COINM_CAPTURE).slice(0, 16)), 'binance-ws');
  });

  it('tells spot CSV layouts by header, then file name, then row shape', () => {
    assert.equal(detectFormat('x.csv', agg), 'binance-aggtrades-csv');
    assert.equal(detectFormat('x.csv', agg.slice(1)), 'binance-aggtrades-csv');
    assert.equal(detectFormat('BTCUSDT-aggTrades-2025-01-01.csv', agg.slice(1)), 'binance-aggtrades-csv');
    assert.equal(
      detectFormat('x.csv', ['id,price,qty,quote_qty,time,is_buyer_maker,is_best_match', ...trades]),
      'binance-trades-csv',
    );
    assert.equal(detectFormat('x.csv', trades), 'binance-trades-csv');
    assert.equal(detectFormat('BTCUSDT-trades-2025-01-01.csv', trades), 'binance-trades-csv');
  });

  it('tells futures dumps from spot ones by their columns (no is_best_match), with or without header', () => {
    assert.equal(detectFormat('x.csv', futuresAgg), 'binance-usdm-aggtrades-csv');
    assert.equal(detectFormat('x.csv', [FUTURES_AGG_HEADER, ...futuresAgg]), 'binance-usdm-aggtrades-csv');
    assert.equal(detectFormat('BTCUSDT-aggTrades-2024-01-01.csv', futuresAgg), 'binance-usdm-aggtrades-csv');
    assert.equal(detectFormat('x.csv', futuresTrades), 'binance-usdm-trades-csv');
    assert.equal(detectFormat('x.csv', [USDM_TRADES_HEADER, ...futuresTrades]), 'binance-usdm-trades-csv');
  });

  it('tells COIN-M from USD-M by base_qty, a contract symbol, the futures/cm folder or the symbol option', () => {
    assert.equal(detectFormat('x.csv', [COINM_TRADES_HEADER, ...futuresTrades]), 'binance-coinm-trades-csv');
    assert.equal(
      detectFormat('BTCUSD_PERP-aggTrades-2024-01-01.csv', futuresAgg),
      'binance-coinm-aggtrades-csv',
    );
    assert.equal(
      detectFormat('data/futures/cm/daily/aggTrades/x.csv', [FUTURES_AGG_HEADER, ...futuresAgg]),
      'binance-coinm-aggtrades-csv',
    );
    assert.equal(detectFormat('dumps/BTCUSD_PERP/day1.csv', futuresAgg), 'binance-coinm-aggtrades-csv');
    assert.equal(detectFormat('x.csv', futuresAgg, 'btcusd_perp'), 'binance-coinm-aggtrades-csv');
    assert.equal(detectFormat('x.csv', futuresAgg, 'BTCUSDT'), 'binance-usdm-aggtrades-csv');
  });

  it('gives up on what it does not know', () => {
    assert.equal(detectFormat('x.txt', ['hello world']), undefined);
    assert.equal(detectFormat('x.txt', ['1,2,3']), undefined);
    assert.equal(detectFormat('x.txt', []), undefined);
    // JSON lines with nothing of Binance in them are left to other venues (or to --format).
    assert.equal(detectFormat('x.jsonl', ['{"type":"match","trade_id":1}']), undefined);
    // Without a dump's name, rows of no known layout are no known dump…
    assert.equal(detectFormat('x.csv', ['1,2,3,4,5', '6,7,8,9,10']), undefined);
  });

  it('reads a file named as a dump whose rows fit no layout as the spot dump its name says', () => {
    // …with one, its rows are read (and rejected one by one, each with its reason).
    assert.equal(
      detectFormat('XRPETH-aggTrades-2019-10-11.csv', ['1,2,3', '4,5,6']),
      'binance-aggtrades-csv',
    );
    assert.equal(detectFormat('BTCUSDT-trades-2025-01-01.csv', agg.slice(1)), 'binance-trades-csv');
  });
});

describe('symbolFromFileName', () => {
  it('reads data.binance.vision names, daily and monthly, spot and futures', () => {
    assert.equal(symbolFromFileName('/data/XRPETH-aggTrades-2019-10-11.csv.gz'), 'XRP-ETH');
    assert.equal(symbolFromFileName('BTCUSDT-trades-2025-01-01.csv'), 'BTC-USDT');
    assert.equal(symbolFromFileName('ETHBTC-aggTrades-2024-03.csv'), 'ETH-BTC');
    assert.equal(symbolFromFileName('BTCUSD_PERP-aggTrades-2024-03-01.csv'), 'BTC-USD');
    assert.equal(symbolFromFileName('BTCUSD_240628-aggTrades-2024-03-01.csv'), undefined);
    assert.equal(symbolFromFileName('trades.csv'), undefined);
    assert.equal(symbolFromFileName('FOOBAR-trades-2025-01-01.csv'), undefined);
  });
});

describe('Binance file names', () => {
  it('are understood renamed: a prefix, a time after the day, extra suffixes, a folder', () => {
    const names: [string, string | undefined, string | undefined][] = [
      ['XRPETH-aggTrades-2019-10-12T0000Z_2019-10-13T0000Z.csv.gz', 'XRP-ETH', '2019-10-13'],
      ['/home/me/dl/XRPETH-aggTrades-2019-10-12.csv.gz', 'XRP-ETH', '2019-10-13'],
      ['spot_XRPETH-aggTrades-2019-10-12.csv.gz.1', 'XRP-ETH', '2019-10-13'],
      ['XRPETH-aggtrades-2019-10-12 (1).csv', 'XRP-ETH', '2019-10-13'],
      ['ETHBTC-trades-2024-02.csv', 'ETH-BTC', '2024-03-01'],
      ['BTCUSDT-trades-2024-12.csv', 'BTC-USDT', '2025-01-01'],
      ['data/spot/daily/aggTrades/XRPETH/renamed.csv.gz', 'XRP-ETH', undefined],
      ['BTCUSDT-trades-2024-02-30.csv', 'BTC-USDT', undefined],
      ['XRPETH-aggTrades-2019-10-1234.csv', undefined, undefined],
      ['aggTrades.csv', undefined, undefined],
    ];
    for (const [path, symbol, end] of names) {
      const named = BINANCE.fileName(path);
      assert.equal(named?.symbol, symbol, path);
      const endTs = end === undefined ? undefined : Date.parse(`${end}T00:00:00Z`);
      assert.equal(named?.periodEndTs, endTs, path);
    }
  });

  it('a renamed dump replays with the symbol its name gives', async () => {
    const tmp = tempDir();
    try {
      const rows = aggRows()
        .slice(0, 3)
        .map((r) => r.join(','));
      const file = tmp.write('XRPETH-aggTrades-2019-10-12T0000Z_2019-10-13T0000Z.csv.gz', rows);
      const trades = (await collect(openReplay(file))).flatMap((b) => b.trades);
      assert.deepEqual(
        trades.map((t) => `${t.venue} ${t.symbol}`),
        ['binance XRP-ETH', 'binance XRP-ETH', 'binance XRP-ETH'],
      );
    } finally {
      tmp.cleanup();
    }
  });
});

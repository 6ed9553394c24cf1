import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { type Candle, roundTo, type Trade } from '../../src/domain/index.js';
import { openReplay } from '../../src/ingest/index.js';
import { createCandleOperator } from '../../src/speed/index.js';
import { FIXTURES } from '../cli/helpers.js';

const CAPTURE = `${FIXTURES}binance/ws-cryptofeed/`;
const JSONL = `${CAPTURE}binance-spot_aggTrade+kline_1m_2021-04-17T1636Z.jsonl`;
const RAW = `${CAPTURE}raw/BINANCE.ws.1.0_2021-04-17.gz`;

interface KlineFrame {
  s: string;
  k: {
    t: number;
    f: number;
    L: number;
    o: string;
    h: string;
    l: string;
    c: string;
    v: string;
    q: string;
    n: number;
    V: string;
    Q: string;
  };
}
interface AggTradeFrame {
  s: string;
  a: number;
  f: number;
  l: number;
}

/** The capture's kline snapshots and its aggTrades (read from the fixture itself, not through the product). */
function readCapture(): { klines: KlineFrame[]; aggTrades: AggTradeFrame[] } {
  const klines: KlineFrame[] = [];
  const aggTrades: AggTradeFrame[] = [];
  for (const line of readFileSync(JSONL, 'utf8').trim().split('\n')) {
    const { raw } = JSON.parse(line) as {
      raw: { stream: string; data: KlineFrame | AggTradeFrame };
    };
    if (raw.stream.endsWith('@kline_1m')) klines.push(raw.data as KlineFrame);
    else aggTrades.push(raw.data as AggTradeFrame);
  }
  return { klines, aggTrades };
}

/** Replays a file through the product's own path: replay source → candle operator. */
async function replayToSnapshots(
  path: string,
): Promise<{ trades: Trade[]; afterTrade: Map<string, Candle> }> {
  const source = openReplay(path);
  const operator = createCandleOperator({ intervals: ['1m'] });
  const trades: Trade[] = [];
  const afterTrade = new Map<string, Candle>();
  for await (const batch of source.batches({ signal: new AbortController().signal })) {
    for (const trade of batch.trades) {
      trades.push(trade);
      let latest: Candle | undefined;
      operator.process(trade, (candle) => {
        if (candle.openTime <= trade.ts && trade.ts < candle.closeTime + 1) latest = candle;
      });
      if (latest !== undefined) afterTrade.set(`${trade.symbol.replace('-', '')}:${trade.tradeId}`, latest);
    }
  }
  assert.equal(source.state(), 'finished');
  return { trades, afterTrade };
}

describe('Binance WebSocket capture (cryptofeed, 2021-04-17) through replay → speed layer', () => {
  it('equals every kline snapshot taken at an aggTrade boundary, on all 9 fields', async () => {
    const { klines, aggTrades } = readCapture();
    const { trades, afterTrade } = await replayToSnapshots(JSONL);
    assert.equal(trades.length, 24);
    let compared = 0;
    for (const kline of klines) {
      // Comparable: the capture holds the minute's first trade (so all of its trades), and the
      // snapshot was taken at an aggTrade boundary (the kline stream counts raw trades).
      const ofSymbol = aggTrades.filter((a) => a.s === kline.s);
      if (!ofSymbol.some((a) => a.f === kline.k.f)) continue;
      const last = ofSymbol.find((a) => a.l === kline.k.L);
      if (last === undefined) continue;
      const candle = afterTrade.get(`${kline.s}:${last.a}`);
      assert.ok(candle !== undefined, `a candle after aggTrade ${last.a}`);
      assert.equal(candle.openTime, kline.k.t);
      const k = kline.k;
      assert.equal(candle.open, Number(k.o));
      assert.equal(candle.high, Number(k.h));
      assert.equal(candle.low, Number(k.l));
      assert.equal(candle.close, Number(k.c));
      assert.equal(roundTo(candle.volume), Number(k.v));
      assert.equal(roundTo(candle.takerBuyVolume), Number(k.V));
      assert.equal(candle.trades, k.n);
      assert.ok(
        Math.abs(candle.quoteVolume - Number(k.q)) <= 1e-9 * Math.max(1, Number(k.q)),
        `q ${candle.quoteVolume} vs ${k.q}`,
      );
      assert.ok(
        Math.abs(candle.takerBuyQuoteVolume - Number(k.Q)) <= 1e-9 * Math.max(1, Number(k.Q)),
        `Q ${candle.takerBuyQuoteVolume} vs ${k.Q}`,
      );
      compared++;
    }
    assert.equal(compared, 6, "the capture's README counts 6 full-window snapshots");
  });

  it('gives the same trades from the verbatim raw capture as from the derived file', async () => {
    const derived = await replayToSnapshots(JSONL);
    const raw = await replayToSnapshots(RAW);
    const key = (t: Trade): string =>
      `${t.symbol}|${t.tradeId}|${t.ts}|${t.price}|${t.qty}|${t.side}|${t.count}`;
    assert.deepEqual(raw.trades.map(key), derived.trades.map(key));
  });
});

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

  it('moves between consecutive snapshots of a minute by exactly the aggTrades between them', async () => {
    const { klines, aggTrades } = readCapture();
    const { afterTrade } = await replayToSnapshots(JSONL);
    // Snapshots at aggTrade boundaries, with the candle our path had right after that aggTrade.
    const atBoundary = klines.flatMap((kline) => {
      const agg = aggTrades.find((a) => a.s === kline.s && a.l === kline.k.L);
      const candle = agg === undefined ? undefined : afterTrade.get(`${kline.s}:${agg.a}`);
      return candle === undefined || candle.openTime !== kline.k.t ? [] : [{ kline, candle }];
    });
    let compared = 0;
    for (let i = 0; i < atBoundary.length; i++) {
      const cur = atBoundary[i]!;
      const prev = atBoundary
        .slice(0, i)
        .reverse()
        .find((p) => p.kline.s === cur.kline.s && p.kline.k.t === cur.kline.k.t);
      if (prev === undefined || prev.kline.k.L === cur.kline.k.L) continue;
      const [a, b, ka, kb] = [prev.candle, cur.candle, prev.kline.k, cur.kline.k];
      const close = (x: number, y: number): boolean => Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y));
      assert.equal(roundTo(b.volume - a.volume), roundTo(Number(kb.v) - Number(ka.v)), 'Δv');
      assert.equal(roundTo(b.takerBuyVolume - a.takerBuyVolume), roundTo(Number(kb.V) - Number(ka.V)), 'ΔV');
      assert.ok(close(b.quoteVolume - a.quoteVolume, Number(kb.q) - Number(ka.q)), 'Δq');
      assert.ok(close(b.takerBuyQuoteVolume - a.takerBuyQuoteVolume, Number(kb.Q) - Number(ka.Q)), 'ΔQ');
      assert.equal(b.trades - a.trades, kb.n - ka.n, 'Δn');
      assert.equal(b.close, Number(kb.c), 'new close');
      if (kb.h !== ka.h) assert.equal(b.high, Number(kb.h), 'new high');
      if (kb.l !== ka.l) assert.equal(b.low, Number(kb.l), 'new low');
      compared++;
    }
    assert.equal(compared, 12, "the capture's README counts 12 incremental checks");
  });

  it('gives the same trades from the verbatim raw capture as from the derived file', async () => {
    const derived = await replayToSnapshots(JSONL);
    const raw = await replayToSnapshots(RAW);
    const key = (t: Trade): string =>
      `${t.symbol}|${t.tradeId}|${t.ts}|${t.price}|${t.qty}|${t.side}|${t.count}`;
    assert.deepEqual(raw.trades.map(key), derived.trades.map(key));
  });
});

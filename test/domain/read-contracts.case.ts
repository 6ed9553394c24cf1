import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type Candle,
  INTERVALS,
  type Interval,
  roundTo,
  type SeriesReader,
  type SymbolInfo,
  symbolKey,
  type Trade,
} from '../../src/domain/index.js';
import { compareTradeIds, finalCandles } from '../../src/speed/index.js';
import { xrpethTrades } from '../batch/jobs/helpers.js';

/**
 * The one contract every reader of `domain/read-contracts.ts` passes unchanged: the speed view,
 * the batch views (real DuckDB over a real lake) and the test fakes (`test/serve/fake-deps.ts`),
 * as `honojs/hono:src/router/common.case.test.ts` does for its routers. Each reader is loaded with
 * the same trades (`readFixture`): a real Binance day of XRP/ETH and two small series on another
 * venue, all final (every bucket of the day closed); the expected candles are the operator's
 * final candles of the same trades.
 */

const MINUTE = 60_000;
/** 2019-10-11T00:00:00Z, the day of the real XRP/ETH sample. */
export const DAY0 = Date.UTC(2019, 9, 11);
/** The end of the fixture's input: every bucket of the day is final. */
export const END_TS = DAY0 + 86_400_000;

export interface ReadFixture {
  trades: Trade[];
  /** The final candles of every series and interval, up to `END_TS`, oldest first per series. */
  candles: Candle[];
}

/** A reader loaded with a fixture, and how to let go of it. */
export interface ReaderUnderTest {
  reader: SeriesReader<boolean>;
  /** Whether the reader sees trades (the speed view): then `lastTradeTs` is exact, else null. */
  seesTrades: boolean;
  close(): Promise<void>;
}

let cached: Promise<ReadFixture> | undefined;

/** The trades every reader is loaded with, and their final candles. */
export function readFixture(): Promise<ReadFixture> {
  cached ??= (async () => {
    const trades = [...(await xrpethTrades()), ...otherVenue()].sort((a, b) => a.ts - b.ts);
    const candles: Candle[] = [];
    for (const interval of INTERVALS) {
      for await (const c of finalCandles(trades, { interval, toTs: END_TS })) candles.push(c);
    }
    return { trades, candles };
  })();
  return cached;
}

/** `bybit` XRP-ETH and BTC-USDT: a trade every 7 (13) minutes through the whole day. */
function otherVenue(): Trade[] {
  const out: Trade[] = [];
  let id = 1;
  for (const [symbol, everyMin, base] of [
    ['XRP-ETH', 7, 0.0014],
    ['BTC-USDT', 13, 8_600],
  ] as const) {
    for (let m = 3; m < 1440; m += everyMin) {
      const ts = DAY0 + m * MINUTE + 1_234;
      const price = roundTo(base * (1 + 0.01 * Math.sin(m / 50)), 8);
      out.push({
        venue: 'bybit',
        symbol,
        tradeId: String(id++),
        ts,
        price,
        qty: 1 + (m % 5),
        side: m % 2 === 0 ? 'buy' : 'sell',
        count: 1,
        recvTs: ts,
      });
    }
  }
  return out;
}

const SERIES = [
  { venue: 'binance', symbol: 'XRP-ETH' },
  { venue: 'bybit', symbol: 'BTC-USDT' },
  { venue: 'bybit', symbol: 'XRP-ETH' },
] as const;

/** A candle as every reader must agree on it: values at the venue's precision, no state or source. */
function comparable(c: Candle): Record<string, unknown> {
  return {
    series: `${c.venue} ${c.symbol} ${c.interval}`,
    openTime: c.openTime,
    closeTime: c.closeTime,
    open: c.open,
    high: c.high,
    low: c.low,
    close: c.close,
    volume: roundTo(c.volume),
    trades: c.trades,
    takerBuyVolume: roundTo(c.takerBuyVolume),
  };
}

/** Candles equal as every reader must agree on them; sums of price·qty to 1e-9 relative (§4). */
function assertSameCandles(got: readonly Candle[], want: readonly Candle[], message: string): void {
  assert.deepEqual(got.map(comparable), want.map(comparable), message);
  got.forEach((c, i) => {
    const quote = (want[i] as Candle).quoteVolume;
    assert.ok(
      Math.abs(c.quoteVolume - quote) <= 1e-9 * Math.max(1, Math.abs(quote)),
      `${message} quoteVolume`,
    );
  });
}

/**
 * The candles a reader answered that are final in the fixture (open before `END_TS`); after them
 * it may hold the bucket in progress at its clock (the speed layer does), which must be `open`.
 */
function finalOnly(candles: readonly Candle[]): Candle[] {
  const after = candles.filter((c) => c.openTime >= END_TS);
  assert.ok(after.length <= 1 && after.every((c) => c.state === 'open'), 'only a bucket in progress follows');
  return candles.filter((c) => c.openTime < END_TS);
}

export function runReadContract(
  name: string,
  open: (fixture: ReadFixture) => Promise<ReaderUnderTest>,
): void {
  describe(`read contract: ${name}`, () => {
    let fixture: ReadFixture;
    let underTest: ReaderUnderTest;
    let reader: SeriesReader<boolean>;
    const expected = (venue: string, symbol: string, interval: Interval): Candle[] =>
      fixture.candles.filter((c) => c.venue === venue && c.symbol === symbol && c.interval === interval);

    before(async () => {
      fixture = await readFixture();
      underTest = await open(fixture);
      reader = underTest.reader;
    });
    after(() => underTest?.close());

    it('lists every series by venue then symbol: intervals, first trade minute, newest trade and price', async () => {
      const symbols = await reader.symbols();
      assert.deepEqual(
        symbols.map((s) => [s.venue, s.symbol]),
        SERIES.map((s) => [s.venue, s.symbol]),
      );
      for (const info of symbols) {
        const trades = fixture.trades.filter((t) => t.venue === info.venue && t.symbol === info.symbol);
        const newest = trades.reduce((a, b) =>
          b.ts > a.ts || (b.ts === a.ts && compareTradeIds(b.tradeId, a.tradeId) > 0) ? b : a,
        );
        const first = Math.min(...trades.map((t) => t.ts));
        assert.deepEqual(info, {
          venue: info.venue,
          symbol: info.symbol,
          intervals: [...INTERVALS],
          firstTradeTs: Math.floor(first / MINUTE) * MINUTE,
          lastTradeTs: underTest.seesTrades ? newest.ts : null,
          lastPrice: newest.price,
        } satisfies SymbolInfo);
      }
    });

    it('finds a series by key: series(), find() by symbolKey, hasVenue()', async () => {
      const symbols = await reader.symbols();
      for (const info of symbols) assert.deepEqual(await reader.series(info.venue, info.symbol), info);
      assert.equal(await reader.series('binance', 'BTC-USDT'), undefined);
      assert.equal(await reader.series('kraken', 'XRP-ETH'), undefined);
      assert.equal(
        await reader.series('binance', 'xrp-eth'),
        undefined,
        'series() takes the canonical symbol',
      );
      for (const spelling of ['XRP-ETH', 'xrpeth', 'XRPETH', 'xrp-eth']) {
        assert.deepEqual(
          (await reader.find(symbolKey(spelling))).map((s) => s.venue),
          ['binance', 'bybit'],
          spelling,
        );
      }
      assert.deepEqual(await reader.find(symbolKey('DOGE-USDT')), []);
      assert.equal(await reader.hasVenue('bybit'), true);
      assert.equal(await reader.hasVenue('kraken'), false);
    });

    it('answers the newest `limit` candles oldest first, equal to the final candles of the trades', async () => {
      for (const { venue, symbol } of SERIES) {
        for (const interval of INTERVALS) {
          const got = await reader.candles({ venue, symbol, interval, limit: 7 });
          const want = expected(venue, symbol, interval);
          const final = finalOnly(got);
          assert.equal(final.length, Math.min(7 - (got.length - final.length), want.length));
          assertSameCandles(final, want.slice(-final.length), `${venue} ${symbol} ${interval}`);
        }
      }
      const day = await reader.candles({
        venue: 'binance',
        symbol: 'XRP-ETH',
        interval: '1m',
        limit: 10_000,
      });
      assertSameCandles(finalOnly(day), expected('binance', 'XRP-ETH', '1m'), 'the whole day');
    });

    it('answers inclusive from/to ranges: the newest `limit` of the range', async () => {
      const q = { venue: 'binance', symbol: 'XRP-ETH', interval: '5m' } as const;
      const want = expected(q.venue, q.symbol, q.interval);
      const at = (i: number): number => (want[i] as Candle).openTime;
      const range = async (from: number | undefined, to: number | undefined, limit: number) =>
        finalOnly(
          await reader.candles({
            ...q,
            limit,
            ...(from === undefined ? {} : { from }),
            ...(to === undefined ? {} : { to }),
          }),
        ).map((c) => c.openTime);
      assert.deepEqual(
        await range(at(10), at(20), 100),
        want.slice(10, 21).map((c) => c.openTime),
      );
      assert.deepEqual(await range(at(10), at(20), 3), [at(18), at(19), at(20)]);
      assert.deepEqual(await range(at(10) + 1, at(12) - 1, 100), [at(11)]);
      assert.deepEqual(await range(undefined, at(20), 2), [at(19), at(20)]);
      assert.deepEqual(
        await range(at(280), undefined, 100),
        want.slice(280).map((c) => c.openTime),
      );
      assert.deepEqual(await range(END_TS, undefined, 100), []);
      assert.deepEqual(await range(undefined, DAY0 - 1, 100), []);
      assert.deepEqual(await range(undefined, undefined, 0), []);
    });

    it('answers nothing for a series it does not hold', async () => {
      assert.deepEqual(
        await reader.candles({ venue: 'kraken', symbol: 'XRP-ETH', interval: '1m', limit: 5 }),
        [],
      );
      assert.deepEqual(
        await reader.candles({ venue: 'binance', symbol: 'BTC-USDT', interval: '1m', limit: 5 }),
        [],
      );
    });

    it('has a watermark per series it holds; a candle ending before it is never open', async () => {
      assert.equal(await reader.watermarkTs('kraken', 'XRP-ETH'), undefined);
      for (const { venue, symbol } of SERIES) {
        const watermarkTs = await reader.watermarkTs(venue, symbol);
        assert.equal(typeof watermarkTs, 'number', `${venue} ${symbol}`);
        const last = fixture.trades.filter((t) => t.venue === venue && t.symbol === symbol).at(-1) as Trade;
        assert.ok((watermarkTs as number) <= END_TS && (watermarkTs as number) > last.ts - 60 * MINUTE);
        for (const interval of INTERVALS) {
          const candles = await reader.candles({ venue, symbol, interval, limit: 10_000 });
          for (const c of candles)
            if (c.closeTime < (watermarkTs as number)) assert.notEqual(c.state, 'open');
        }
      }
    });
  });
}

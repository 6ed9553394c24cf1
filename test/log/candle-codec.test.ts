import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Candle, INTERVALS, isCryptoLambdaError } from '../../src/domain/index.js';
import { candleBinaryCodec, LOG_ERRORS, TOPICS } from '../../src/log/index.js';

const candleArb: fc.Arbitrary<Candle> = fc.record({
  venue: fc.constantFrom('binance', 'binance-usdm', 'bybit'),
  symbol: fc.stringMatching(/^[A-Z0-9]{1,12}-[A-Z0-9]{1,8}$/),
  interval: fc.constantFrom(...INTERVALS),
  openTime: fc.integer({ min: 0, max: 2 ** 45 }),
  closeTime: fc.integer({ min: 0, max: 2 ** 45 }),
  open: fc.double({ noNaN: true }),
  high: fc.double({ noNaN: true }),
  low: fc.double({ noNaN: true }),
  close: fc.double({ noNaN: true }),
  volume: fc.double({ noNaN: true }),
  quoteVolume: fc.double({ noNaN: true }),
  trades: fc.integer({ min: 0, max: 2 ** 40 }),
  takerBuyVolume: fc.double({ noNaN: true }),
  takerBuyQuoteVolume: fc.double({ noNaN: true }),
  state: fc.constantFrom('open', 'closed', 'revised'),
  source: fc.constantFrom('speed', 'batch'),
});

describe('candle codec', () => {
  it('is the candles topic codec and gives back every field exactly', () => {
    assert.equal(TOPICS.candles.codec, candleBinaryCodec);
    fc.assert(
      fc.property(candleArb, (candle) => {
        assert.deepEqual(candleBinaryCodec.decode(candleBinaryCodec.encode(candle)), { ...candle });
      }),
      { numRuns: 2000 },
    );
  });

  it('still reads candles an earlier version wrote as JSON', () => {
    fc.assert(
      fc.property(candleArb, (candle) => {
        const json = new TextEncoder().encode(JSON.stringify(candle));
        assert.deepEqual(candleBinaryCodec.decode(json), JSON.parse(JSON.stringify(candle)));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses bytes that are not a candle', () => {
    const good = candleBinaryCodec.encode(fc.sample(candleArb, 1)[0] as Candle);
    for (const bad of [
      good.subarray(0, good.length - 1),
      Buffer.concat([good, Buffer.from([0])]),
      Buffer.from([9, 0, 0]),
    ]) {
      assert.throws(
        () => candleBinaryCodec.decode(bad),
        (e) => isCryptoLambdaError(e, LOG_ERRORS.corrupt),
      );
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isCryptoLambdaError, type Trade } from '../../src/domain/index.js';
import { TOPICS, tradeBinaryCodec } from '../../src/log/index.js';

const trade = fc.record<Trade>({
  venue: fc.stringMatching(/^[a-z0-9_-]{1,32}$/),
  symbol: fc
    .tuple(fc.stringMatching(/^[A-Z0-9]{1,20}$/), fc.stringMatching(/^[A-Z0-9]{1,20}$/))
    .map(([b, q]) => `${b}-${q}`),
  tradeId: fc.string({ minLength: 1, maxLength: 64, unit: 'binary' }),
  ts: fc.integer({ min: 0, max: 2 ** 50 }),
  price: fc.double({ min: Number.MIN_VALUE, max: 1e12, noNaN: true }),
  qty: fc.double({ min: Number.MIN_VALUE, max: 1e15, noNaN: true }),
  side: fc.constantFrom('buy', 'sell'),
  count: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
  recvTs: fc.integer({ min: 0, max: 2 ** 50 }),
});

describe('binary trade codec', () => {
  it('is the trades topic codec', () => {
    assert.equal(TOPICS.trades.codec, tradeBinaryCodec);
  });

  it('round-trips every valid trade exactly (property)', () => {
    fc.assert(
      fc.property(trade, (t) => {
        assert.deepEqual(tradeBinaryCodec.decode(tradeBinaryCodec.encode(t)), { ...t });
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes from a plain Uint8Array view into a larger buffer, as the log returns them', () => {
    const t: Trade = {
      venue: 'binance',
      symbol: 'XRP-ETH',
      tradeId: '13519807',
      ts: 1570752011620,
      price: 0.00141342,
      qty: 23,
      side: 'sell',
      count: 1,
      recvTs: 1570752011620,
    };
    const bytes = tradeBinaryCodec.encode(t);
    const big = new Uint8Array(bytes.length + 20);
    big.set(bytes, 7);
    assert.deepEqual(tradeBinaryCodec.decode(big.subarray(7, 7 + bytes.length)), t);
  });

  it('refuses bytes that are not a binary trade with LOG_CORRUPT', () => {
    for (const bytes of [
      new Uint8Array(0),
      new TextEncoder().encode('{"venue":"binance"}'),
      new Uint8Array(60),
    ]) {
      assert.throws(
        () => tradeBinaryCodec.decode(bytes),
        (e: unknown) => isCryptoLambdaError(e, 'LOG_CORRUPT'),
      );
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isCryptoLambdaError, type Trade } from '../../src/domain/index.js';
import {
  decodeTradeAt,
  encodedTradeBytes,
  encodeTradeInto,
  newTradeFields,
  readTradeFields,
  TOPICS,
  tradeBinaryCodec,
} from '../../src/log/index.js';
import { XRPETH_FIRST_TRADE } from '../sample-trade.js';

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

/** The layout as first written (Buffer.write per field): new encoders must match it byte for byte. */
function referenceEncode(t: Trade): Buffer {
  const idBytes = Buffer.byteLength(t.tradeId, 'utf8');
  const buf = Buffer.alloc(38 + 1 + t.venue.length + 1 + t.symbol.length + 2 + idBytes);
  buf[0] = 1;
  buf.writeDoubleLE(t.ts, 1);
  buf.writeDoubleLE(t.price, 9);
  buf.writeDoubleLE(t.qty, 17);
  buf.writeDoubleLE(t.recvTs, 25);
  buf.writeUInt32LE(t.count, 33);
  buf[37] = t.side === 'buy' ? 0 : 1;
  let o = 38;
  buf[o++] = t.venue.length;
  o += buf.write(t.venue, o, 'latin1');
  buf[o++] = t.symbol.length;
  o += buf.write(t.symbol, o, 'latin1');
  buf.writeUInt16LE(idBytes, o);
  o += 2;
  buf.write(t.tradeId, o, 'utf8');
  return buf;
}

/** Any strings, not only valid ones: the layout is defined for all of them. */
const anyTrade = fc.record<Trade>({
  venue: fc.string({ maxLength: 40, unit: 'binary' }),
  symbol: fc.string({ maxLength: 40, unit: 'binary' }),
  tradeId: fc.string({ maxLength: 64, unit: 'binary' }),
  ts: fc.double(),
  price: fc.double(),
  qty: fc.double(),
  side: fc.constantFrom('buy', 'sell'),
  count: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  recvTs: fc.double(),
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

  it('encodes byte for byte as the layout was first written, whatever the strings (property)', () => {
    fc.assert(
      fc.property(anyTrade, (t) => {
        const expected = referenceEncode(t);
        assert.deepEqual(Buffer.from(tradeBinaryCodec.encode(t)), expected);
        assert.equal(encodedTradeBytes(t), expected.length);
      }),
      { numRuns: 3000 },
    );
  });

  it('packs trades into one buffer and decodes each in place (property)', () => {
    // Venues and symbols from small pools: the decoder's string table sees repeats and collisions.
    const pooled = trade.chain((t) =>
      fc
        .tuple(
          fc.constantFrom('binance', 'sim', 'a', 'b-1', 'x_y'),
          fc.constantFrom('BTC-USDT', 'A-B', 'XRP-ETH'),
        )
        .map(([venue, symbol]) => ({ ...t, venue, symbol })),
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(trade, pooled), { maxLength: 40 }), (trades) => {
        const size = trades.reduce((n, t) => n + encodedTradeBytes(t), 0);
        const buf = Buffer.alloc(size + 3);
        let pos = 3;
        const ends: number[] = [];
        for (const t of trades) {
          pos = encodeTradeInto(buf, pos, t);
          ends.push(pos);
        }
        assert.equal(pos, size + 3);
        let start = 3;
        trades.forEach((t, i) => {
          assert.deepEqual(buf.subarray(start, ends[i]), Buffer.from(tradeBinaryCodec.encode(t)));
          assert.deepEqual(decodeTradeAt(buf, start, ends[i]!), { ...t });
          start = ends[i]!;
        });
      }),
      { numRuns: 500 },
    );
  });

  it('decodes any bytes to a trade or refuses them with LOG_CORRUPT, nothing else (property)', () => {
    const versioned = fc.uint8Array({ minLength: 0, maxLength: 120 }).map((b) => {
      if (b.length > 0) b[0] = 1;
      return b;
    });
    fc.assert(
      fc.property(versioned, (bytes) => {
        try {
          tradeBinaryCodec.decode(bytes);
        } catch (error) {
          assert.ok(isCryptoLambdaError(error, 'LOG_CORRUPT'), String(error));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('decodes from a plain Uint8Array view into a larger buffer, as the log returns them', () => {
    const t = XRPETH_FIRST_TRADE;
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

  it('reads the fields of packed trades in place as decode gives them, the id as a number where it is a plain integer (property)', () => {
    const fields = newTradeFields();
    const id = fc.oneof(
      trade.map((t) => t.tradeId),
      fc.integer({ min: 0, max: 2 ** 53 }).map(String),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(trade, id), { minLength: 1, maxLength: 20 }), (pairs) => {
        const trades = pairs.map(([t, tradeId]) => ({ ...t, tradeId }));
        const packed = Buffer.alloc(trades.reduce((n, t) => n + encodedTradeBytes(t), 0));
        const ends: number[] = [];
        for (const t of trades) ends.push(encodeTradeInto(packed, ends[ends.length - 1] ?? 0, t));
        trades.forEach((t, i) => {
          const start = ends[i - 1] ?? 0;
          readTradeFields(
            new Uint8Array(packed.buffer, packed.byteOffset + start, (ends[i] as number) - start),
            fields,
          );
          const plain = /^(0|[1-9][0-9]{0,14})$/.test(t.tradeId);
          assert.deepEqual(
            { ...fields },
            {
              venue: t.venue,
              symbol: t.symbol,
              idNum: plain ? Number(t.tradeId) : Number.NaN,
              idText: plain ? '' : t.tradeId,
              ts: t.ts,
              price: t.price,
              qty: t.qty,
              buy: t.side === 'buy',
              count: t.count,
              recvTs: t.recvTs,
            },
          );
        });
      }),
    );
  });
});

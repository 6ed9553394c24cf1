import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MIN_EVENT_TS, type Trade } from '../../../../src/domain/index.js';
import { toAggTradeFrame } from '../../../../src/ingest/venues/binance/encode.js';
import { tryFastBinanceFrame } from '../../../../src/ingest/venues/binance/fast-frame.js';
import { parseBinanceFrame, parseBinanceFrameGeneric } from '../../../../src/ingest/venues/binance/ws.js';
import { fixtureLines, WS_CAPTURE_GZ, WS_JSONL } from '../../fixtures.js';
import {
  buildFrame,
  EDGE_DECIMALS,
  type FrameParts,
  MAX_SAFE,
  mutateCanonical,
  randomFrame,
} from './canonical-frames.js';
import { FUZZ_NOW, pick, rng } from './mutators.js';

const ORIGIN = 'fast:1';
const NOW = Date.UTC(2024, 0, 2);
const DAY = 86_400_000;
const MUTATED = 200_000;

/**
 * Holds the fast path to the generic one on `line`: the front door gives exactly the generic
 * result, and so does the fast path whenever it answers. Returns whether it answered.
 */
function assertSame(line: string, recvTs: number | undefined, nowMs: number): boolean {
  const generic = parseBinanceFrameGeneric(line, recvTs, ORIGIN, nowMs);
  const fast = tryFastBinanceFrame(line, recvTs, nowMs);
  if (fast !== undefined) assert.deepEqual({ kind: 'trade', trade: fast }, generic, line);
  assert.deepEqual(parseBinanceFrame(line, recvTs, ORIGIN, nowMs), generic, line);
  return fast !== undefined;
}

const digits = (min: number, max: number) =>
  fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));
/** Positive decimal strings `parseDecimal` reads exactly (≤ 15 digits): the fast path must take them. */
const decimal = fc.oneof(
  fc.constantFrom(...EDGE_DECIMALS),
  fc
    .tuple(fc.nat({ max: 9_999_999 }), digits(0, 8))
    .map(([whole, frac]) => (frac === '' ? String(whole) : `${whole}.${frac}`))
    .filter((text) => /[1-9]/.test(text)),
);
const id = fc.oneof(fc.nat(), fc.integer({ min: MAX_SAFE - 1000, max: MAX_SAFE }), fc.constant(0));
/** A trade time `checkTrade` accepts, in ms or µs. */
const tradeTime = fc
  .tuple(fc.integer({ min: MIN_EVENT_TS, max: NOW + DAY }), fc.boolean(), fc.integer({ min: 0, max: 999 }))
  .map(([ms, micros, extra]) => String(micros ? ms * 1000 + extra : ms));
const eventTime = fc.oneof(tradeTime, id.map(String));
const symbol = fc
  .tuple(
    fc.array(fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'), { minLength: 1, maxLength: 10 }),
    fc.constantFrom('USDT', 'BUSD', 'FDUSD', 'BTC', 'ETH', 'BNB', 'TRY', 'EUR', 'USD', 'DAI'),
  )
  .map(([base, quote]) => base.join('') + quote);
const canonicalFrame: fc.Arbitrary<FrameParts> = fc
  .record({
    agg: fc.boolean(),
    combined: fc.boolean(),
    lowerStream: fc.boolean(),
    E: eventTime,
    s: symbol,
    id,
    p: decimal,
    q: decimal,
    f: id,
    count: fc.integer({ min: 1, max: 1000 }),
    T: tradeTime,
    m: fc.boolean(),
    M: fc.option(fc.boolean(), { nil: undefined }),
  })
  .map((x) => ({
    agg: x.agg,
    combined: x.combined,
    stream: x.lowerStream ? x.s.toLowerCase() : 'x0',
    E: x.E,
    s: x.s,
    id: String(x.id),
    p: x.p,
    q: x.q,
    f: String(Math.min(x.f, MAX_SAFE - x.count + 1)),
    l: String(Math.min(x.f + x.count - 1, MAX_SAFE)),
    T: x.T,
    m: x.m,
    M: x.M,
  }));
const recvTs = fc.option(fc.oneof(fc.integer({ min: 0, max: NOW }), fc.constant(MAX_SAFE)), {
  nil: undefined,
});

describe('Binance frame fast path', () => {
  it('takes every valid canonical aggTrade/trade frame, with the generic result', () => {
    fc.assert(
      fc.property(canonicalFrame, recvTs, (parts, recv) => {
        const line = buildFrame(parts);
        // The layout is JSON.stringify's of the same object: what Binance and `toAggTradeFrame` send.
        assert.equal(JSON.stringify(JSON.parse(line)), line);
        assert.ok(assertSame(line, recv, NOW), `fast path not taken: ${line}`);
      }),
      { numRuns: 20_000 },
    );
  });

  it('takes the frames toAggTradeFrame makes of valid trades', () => {
    const trade: fc.Arbitrary<Trade> = fc.record({
      venue: fc.constant('binance'),
      symbol: fc.constantFrom('BTC-USDT', 'ETH-BTC', 'SOL-USDT', 'DOGE-TRY'),
      tradeId: fc.nat({ max: 2 ** 50 }).map(String),
      ts: fc.integer({ min: MIN_EVENT_TS, max: NOW }),
      price: fc.double({ min: 1e-8, max: 1e7, noNaN: true }),
      qty: fc.double({ min: 1e-8, max: 1e6, noNaN: true }),
      side: fc.constantFrom('buy' as const, 'sell' as const),
      count: fc.integer({ min: 1, max: 100 }),
      recvTs: fc.integer({ min: MIN_EVENT_TS, max: NOW }),
    });
    fc.assert(
      fc.property(trade, (t) => {
        const line = toAggTradeFrame(t);
        assert.ok(assertSame(line, undefined, NOW), `fast path not taken: ${line}`);
        const fast = tryFastBinanceFrame(line, undefined, NOW) as Trade;
        assert.deepEqual({ ...fast, price: t.price, qty: t.qty }, { ...t });
      }),
      { numRuns: 5_000 },
    );
  });

  it('takes every real aggTrade frame, raw and combined, and leaves envelopes to the generic path', () => {
    let taken = 0;
    for (const line of fixtureLines(WS_JSONL)) {
      // The recorded frame's own bytes, not a re-serialisation.
      const raw = line.slice(line.indexOf('"raw":') + 6, -1);
      const data = raw.slice(raw.indexOf('"data":') + 7, -1);
      const isAgg = data.startsWith('{"e":"aggTrade",');
      assert.equal(assertSame(raw, undefined, FUZZ_NOW), isAgg, raw);
      assert.equal(assertSame(data, undefined, FUZZ_NOW), isAgg, data);
      assert.equal(assertSame(data, 1618677400123, FUZZ_NOW), isAgg, data);
      assert.equal(assertSame(line, undefined, FUZZ_NOW), false, line);
      if (isAgg) taken++;
    }
    for (const line of fixtureLines(WS_CAPTURE_GZ)) {
      const frame = line.slice(line.indexOf(': ') + 2);
      const isAgg = frame.startsWith('{"stream":') && frame.includes('{"e":"aggTrade",');
      assert.equal(assertSame(frame, undefined, FUZZ_NOW), isAgg, frame);
      assert.equal(assertSame(line, undefined, FUZZ_NOW), false, line);
      if (isAgg) taken++;
    }
    assert.ok(taken >= 40, `only ${taken} real frames`);
  });

  it(`gives the generic result for ${MUTATED} mutated frames`, (t) => {
    const r = rng(20240102);
    const real = fixtureLines(WS_JSONL).map((line) => line.slice(line.indexOf('"raw":') + 6, -1));
    const recvs = [1618677400123, 0, -1, 1.5, Number.NaN, MAX_SAFE + 1];
    let taken = 0;
    let stillValid = 0;
    for (let i = 0; i < MUTATED; i++) {
      let line = r() < 0.8 ? randomFrame(r) : pick(r, real);
      // Mostly one mutation, some none (the fast path's own answers), some up to three.
      const roll = r();
      for (let n = roll < 0.15 ? 0 : roll < 0.8 ? 1 : roll < 0.95 ? 2 : 3; n > 0; n--)
        line = mutateCanonical(r, line);
      const recv = r() < 0.9 ? undefined : pick(r, recvs);
      const nowMs = r() < 0.5 ? NOW : FUZZ_NOW;
      if (assertSame(line, recv, nowMs)) taken++;
      else if (parseBinanceFrameGeneric(line, recv, ORIGIN, nowMs).kind === 'trade') stillValid++;
    }
    // Many mutations keep the grammar (a digit changed): the fast path must read those right.
    t.diagnostic(`fast path ${taken}, valid but left to the generic path ${stillValid}`);
    assert.ok(taken > MUTATED / 20, `fast path taken ${taken} times`);
    // And those that leave it but still parse (whitespace, escapes, reordering) fall back.
    assert.ok(stillValid > MUTATED / 20, `${stillValid} valid frames left to the generic path`);
  });
  it('maps every symbol right when thousands of them take turns (its symbol table probes and evicts)', () => {
    // 40,000 symbols fill the table past its 32,768 slots: lookups collide, probe and replace.
    const symbols = Array.from({ length: 40_000 }, (_, i) => `S${i.toString(36).toUpperCase()}-USDT`);
    const frame = (symbol: string, i: number): string =>
      toAggTradeFrame({
        venue: 'binance',
        symbol,
        tradeId: String(i + 1),
        ts: NOW - 1000,
        price: 1.5,
        qty: 2,
        side: 'buy',
        count: 1,
        recvTs: NOW - 1000,
      });
    for (let round = 0; round < 2; round++) {
      symbols.forEach((symbol, i) => {
        const fast = tryFastBinanceFrame(frame(symbol, i), undefined, NOW);
        assert.equal(fast?.symbol, symbol, `round ${round}, symbol ${i}`);
      });
    }
  });
});

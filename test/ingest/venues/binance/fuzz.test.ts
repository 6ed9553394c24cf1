import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Compile } from 'typebox/compile';
import { checkTrade, REJECT_REASONS, RejectedSchema } from '../../../../src/domain/index.js';
import { type ParseResult, parseBinanceFrame } from '../../../../src/ingest/index.js';
import { fixtureLines, WS_CAPTURE_GZ, WS_JSONL } from '../../fixtures.js';
import { FUZZ_NOW, type Json, mutateObject, mutateText, pick, rng } from './mutators.js';

const NOW = FUZZ_NOW;
const FRAMES = 120_000;
const rejectedValidator = Compile(RejectedSchema);

const jsonl = fixtureLines(WS_JSONL);
const capture = fixtureLines(WS_CAPTURE_GZ);
const recorded = jsonl.map(
  (l) => JSON.parse(l) as { received_at: number; raw: { stream: string; data: Json } },
);
const aggRecords = recorded.filter((r) => r.raw.data['e'] === 'aggTrade');
/** Every aggTrade in every envelope: each must give a valid trade, untouched. */
const goodFrames = aggRecords.flatMap((r) => [
  JSON.stringify(r),
  JSON.stringify(r.raw),
  JSON.stringify(r.raw.data),
  `${r.received_at}: ${JSON.stringify(r.raw)}`,
]);
/** All real lines, trades or not: the material the mutations start from. */
const seedLines = [...jsonl, ...capture.filter((l) => l.trim() !== ''), ...goodFrames];

function assertWellFormed(result: ParseResult, line: string, origin: string): void {
  switch (result.kind) {
    case 'trade':
      assert.equal(Object.keys(result).length, 2);
      assert.equal(checkTrade(result.trade, NOW), undefined, line);
      // Spot frames carry `M`; a mutation that drops it makes a futures frame.
      assert.equal(result.trade.venue, /"M"\s*:/.test(line) ? 'binance' : 'binance-usdm', line);
      break;
    case 'rejected':
      assert.equal(Object.keys(result).length, 2);
      assert.ok(REJECT_REASONS.includes(result.rejected.reason), line);
      assert.equal(result.rejected.payload, line);
      assert.equal(result.rejected.origin, origin);
      assert.ok(rejectedValidator.Check(result.rejected), line);
      break;
    case 'ignored':
      assert.equal(Object.keys(result).length, 1);
      break;
    default:
      assert.fail(`unknown result for ${line}`);
  }
}

describe('parseBinanceFrame fuzz', () => {
  it(`never throws on ${FRAMES} mutated and good frames, and every good frame gives a trade`, () => {
    const r = rng(20210417);
    const kinds = { trade: 0, rejected: 0, ignored: 0 };
    const reasons = new Map<string, number>();
    let goodFed = 0;
    let goodTrades = 0;
    for (let i = 0; i < FRAMES; i++) {
      const roll = r();
      const good = roll < 0.2;
      const base = good ? pick(r, goodFrames) : pick(r, seedLines);
      const line = good ? base : roll < 0.6 ? mutateObject(r, base) : mutateText(r, base);
      const origin = `fuzz:${i}`;
      let result: ParseResult;
      try {
        result = parseBinanceFrame(line, undefined, origin, NOW);
      } catch (error) {
        assert.fail(`frame ${i} threw ${String(error)}: ${line.slice(0, 200)}`);
      }
      assertWellFormed(result, line, origin);
      kinds[result.kind]++;
      if (result.kind === 'rejected')
        reasons.set(result.rejected.reason, (reasons.get(result.rejected.reason) ?? 0) + 1);
      if (good) {
        goodFed++;
        if (result.kind === 'trade') goodTrades++;
      }
    }
    assert.equal(kinds.trade + kinds.rejected + kinds.ignored, FRAMES);
    assert.ok(goodFed > FRAMES / 10);
    assert.equal(goodTrades, goodFed);
    // The mutations reach every reason a frame can earn.
    for (const reason of REJECT_REASONS) {
      if (reason === 'bad_csv' || reason === 'duplicate' || reason === 'line_too_long') continue;
      assert.ok((reasons.get(reason) ?? 0) > 0, `no frame was rejected as ${reason}`);
    }
  });

  it('never throws on arbitrary strings and JSON values', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify({ e: 'aggTrade', ...Object(v) })),
        ),
        (line) => {
          assertWellFormed(parseBinanceFrame(line, undefined, 'fc', NOW), line, 'fc');
        },
      ),
      { numRuns: 5_000 },
    );
  });
});

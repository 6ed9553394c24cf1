import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createDedupeWindow } from '../../src/ingest/index.js';

/** The obvious model: per key, the last `capacity` distinct ids in arrival order. */
function model(capacity: number) {
  const byKey = new Map<string, string[]>();
  return (key: string, id: string): boolean => {
    const ids = byKey.get(key) ?? [];
    byKey.set(key, ids);
    if (ids.includes(id)) return true;
    ids.push(id);
    if (ids.length > capacity) ids.shift();
    return false;
  };
}

describe('dedupe window', () => {
  it('answers like the model: the last `capacity` distinct ids per key (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(
          fc.tuple(
            fc.constantFrom('binance:BTC-USDT', 'binance:ETH-USDT', 'sim:BTC-USDT'),
            fc.oneof(
              fc.integer({ min: 0, max: 30 }).map(String),
              fc.constantFrom('007', 'a1', 'x', '9007199254740993'),
            ),
          ),
          { maxLength: 300 },
        ),
        (capacity, calls) => {
          const window = createDedupeWindow(capacity);
          const expected = model(capacity);
          for (const [key, id] of calls)
            assert.equal(window.seen(key, id), expected(key, id), `${key} ${id}`);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('answers like the model on long, mostly rising id streams with repeats (property)', () => {
    // Rising ids with jitter, repeats and a few far-back ones, long enough for the window to
    // fill, wrap and grow its storage several times over.
    const stream = fc.array(
      fc.tuple(
        fc.constantFrom('binance:BTC-USDT', 'sim:ETH-USDT'),
        fc.oneof(
          { weight: 12, arbitrary: fc.integer({ min: 0, max: 3 }) },
          { weight: 2, arbitrary: fc.integer({ min: -40, max: 0 }) },
          { weight: 1, arbitrary: fc.integer({ min: -5000, max: 0 }) },
        ),
        fc.boolean(),
      ),
      { minLength: 2000, maxLength: 6000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), stream, (capacity, steps) => {
        const window = createDedupeWindow(capacity);
        const expected = model(capacity);
        const cursor = new Map<string, number>();
        for (const [key, step, asString] of steps) {
          const at = Math.max(0, (cursor.get(key) ?? 0) + step);
          if (step > 0) cursor.set(key, at);
          const id = asString ? `x${at}` : String(at);
          assert.equal(window.seen(key, id), expected(key, id), `${key} ${id}`);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('keeps integer-looking ids apart from their other spellings', () => {
    const window = createDedupeWindow();
    assert.equal(window.seen('k', '7'), false);
    assert.equal(window.seen('k', '07'), false);
    assert.equal(window.seen('k', '7'), true);
    assert.equal(window.seen('k', '07'), true);
    assert.equal(window.seen('other', '7'), false);
  });

  it('stays bounded: forgets the oldest id once a key holds `capacity`', () => {
    const window = createDedupeWindow(1000);
    for (let i = 0; i < 250_000; i++) window.seen('k', String(i));
    assert.equal(window.size(), 1000);
    assert.equal(window.seen('k', String(249_000)), true);
    assert.equal(window.seen('k', String(248_999)), false, 'forgotten, so taken as new');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compareTradeIds } from '../../../src/speed/index.js';

describe('compareTradeIds', () => {
  it('compares decimal ids as numbers, beyond 2^53 too', () => {
    assert.ok(compareTradeIds('9', '10') < 0);
    assert.ok(compareTradeIds('10', '9') > 0);
    assert.equal(compareTradeIds('123', '123'), 0);
    assert.ok(compareTradeIds('18446744073709551615', '18446744073709551616') < 0);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 70n }), fc.bigInt({ min: 0n, max: 2n ** 70n }), (a, b) => {
        const sign = Math.sign(compareTradeIds(a.toString(), b.toString()));
        assert.equal(sign, a < b ? -1 : a > b ? 1 : 0);
      }),
    );
  });

  it('compares other ids lexicographically', () => {
    assert.ok(compareTradeIds('a-2', 'a-10') > 0);
    assert.ok(compareTradeIds('9', 'a') < 0);
    assert.ok(compareTradeIds('abc', 'abd') < 0);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTrade, type Trade } from '../../src/domain/index.js';
import { XRPETH_FIRST_TRADE } from '../sample-trade.js';

const NOW = Date.UTC(2026, 0, 1);
const GOOD = XRPETH_FIRST_TRADE;

describe('checkTrade', () => {
  it('accepts a valid trade', () => {
    assert.equal(checkTrade(GOOD, NOW), undefined);
  });

  const cases: [string, Partial<Trade> | Record<string, unknown>, string][] = [
    ['zero price', { price: 0 }, 'invalid_price'],
    ['NaN price', { price: Number.NaN }, 'invalid_price'],
    ['negative qty', { qty: -1 }, 'invalid_qty'],
    ['fractional ms', { ts: 1570752011620.5 }, 'invalid_time'],
    ['a time before 2009', { ts: Date.UTC(2008, 0, 1) }, 'time_out_of_range'],
    ['a time two days ahead', { ts: NOW + 2 * 86_400_000 }, 'time_out_of_range'],
    ['a symbol not BASE-QUOTE', { symbol: 'XRPETH' }, 'unknown_symbol'],
    // Checked right after the valid trade's symbol was found canonical (a remembered answer).
    ['an empty symbol', { symbol: '' }, 'unknown_symbol'],
    ['a symbol one space past a canonical one', { symbol: `${GOOD.symbol} ` }, 'unknown_symbol'],
    ['a count the 32-bit trade layout cannot hold', { count: 2 ** 32 }, 'schema_mismatch'],
    ['a count of zero', { count: 0 }, 'schema_mismatch'],
    ['an extra field', { extra: 1 }, 'schema_mismatch'],
    ['an empty trade id', { tradeId: '' }, 'schema_mismatch'],
    ['an unknown side', { side: 'both' }, 'schema_mismatch'],
  ];
  for (const [name, change, reason] of cases) {
    it(`rejects ${name} as ${reason}`, () => {
      assert.equal(checkTrade({ ...GOOD, ...change } as Trade, NOW)?.reason, reason);
    });
  }
  it('accepts the largest count', () => {
    assert.equal(checkTrade({ ...GOOD, count: 2 ** 32 - 1 }, NOW), undefined);
  });
});

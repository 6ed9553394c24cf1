import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCryptoLambdaError } from '../../src/domain/index.js';
import type { SymbolInfo } from '../../src/serve/index.js';
import { candleChannel, parseDateParam, parseTimeParam, resolveSeries } from '../../src/serve/params.js';

const info = (venue: string, symbol: string): SymbolInfo => ({
  venue,
  symbol,
  intervals: ['1m'],
  firstTradeTs: null,
  lastTradeTs: null,
  lastPrice: null,
});

function throwsWith(fn: () => unknown, code: string, field: string): void {
  assert.throws(
    fn,
    (error) => isCryptoLambdaError(error, code) && (error as { field?: string }).field === field,
  );
}

describe('parseTimeParam', () => {
  it('reads integer ms and ISO-8601 with a zone', () => {
    assert.equal(parseTimeParam('from', '1704153600000'), 1_704_153_600_000);
    assert.equal(parseTimeParam('from', '0'), 0);
    assert.equal(parseTimeParam('from', '2024-01-02T00:00:00Z'), 1_704_153_600_000);
    assert.equal(parseTimeParam('from', '2024-01-02T00:00:00.250Z'), 1_704_153_600_250);
    assert.equal(parseTimeParam('from', '2024-01-02T01:00+01:00'), 1_704_153_600_000);
    assert.equal(parseTimeParam('from', '2024-01-02'), 1_704_153_600_000);
  });

  for (const raw of [
    '',
    'now',
    '-5',
    '1.5',
    '1e12',
    '2024-01-02T00:00:00',
    '2024-02-30T00:00:00Z',
    '9'.repeat(20),
  ]) {
    it(`refuses "${raw}" naming the field`, () =>
      throwsWith(() => parseTimeParam('to', raw), 'INVALID_PARAMETER', 'to'));
  }
});

describe('parseDateParam', () => {
  it('accepts real UTC days and refuses impossible ones, naming the field', () => {
    assert.equal(parseDateParam('date', '2024-02-29'), '2024-02-29');
    for (const raw of ['2024-13-40', '2023-02-29', '2024-1-2', '2024-01-02T00:00:00Z', '']) {
      assert.throws(
        () => parseDateParam('date', raw),
        (error: unknown) =>
          isCryptoLambdaError(error, 'INVALID_PARAMETER') && (error as { field?: string }).field === 'date',
        raw,
      );
    }
  });
});

describe('resolveSeries', () => {
  const catalogue = [
    info('bybit', 'BTC-USDT'),
    info('binance', 'BTC-USDT'),
    info('kraken', 'ETH-EUR'),
    info('bitstamp', 'ETH-EUR'),
  ];

  it('matches case-insensitively, with or without the dash', () => {
    for (const symbol of ['BTC-USDT', 'btc-usdt', 'BTCUSDT', 'btcusdt']) {
      assert.deepEqual(resolveSeries(catalogue, { symbol }, 'binance'), info('binance', 'BTC-USDT'));
    }
    assert.deepEqual(
      resolveSeries(catalogue, { venue: 'BYBIT', symbol: 'BTCUSDT' }, 'binance'),
      info('bybit', 'BTC-USDT'),
    );
  });

  it('prefers the default venue, else the first alphabetically', () => {
    assert.equal(resolveSeries(catalogue, { symbol: 'BTC-USDT' }, 'bybit').venue, 'bybit');
    assert.equal(resolveSeries(catalogue, { symbol: 'ETH-EUR' }, 'binance').venue, 'bitstamp');
  });

  it('names the field at fault', () => {
    throwsWith(
      () => resolveSeries(catalogue, { symbol: 'DOGE-USDT' }, 'binance'),
      'UNKNOWN_SYMBOL',
      'symbol',
    );
    throwsWith(
      () => resolveSeries(catalogue, { venue: 'kraken', symbol: 'BTC-USDT' }, 'binance'),
      'UNKNOWN_SYMBOL',
      'symbol',
    );
    throwsWith(
      () => resolveSeries(catalogue, { venue: 'ftx', symbol: 'BTC-USDT' }, 'binance'),
      'UNKNOWN_VENUE',
      'venue',
    );
    throwsWith(() => resolveSeries([], { symbol: 'BTC-USDT' }, 'binance'), 'UNKNOWN_SYMBOL', 'symbol');
    // A dashed query never matches a different split of the same letters.
    throwsWith(() => resolveSeries(catalogue, { symbol: 'BTCU-SDT' }, 'binance'), 'UNKNOWN_SYMBOL', 'symbol');
  });
});

describe('candleChannel', () => {
  it('names a series channel', () => {
    assert.equal(
      candleChannel({ venue: 'binance', symbol: 'BTC-USDT', interval: '1h' }),
      'candles:binance:BTC-USDT:1h',
    );
  });
});

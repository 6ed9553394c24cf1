import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseChannel, parseClientMessage } from '../../../src/serve/ws/protocol.js';

describe('parseClientMessage', () => {
  it('accepts the three ops', () => {
    assert.deepEqual(parseClientMessage('{"op":"ping"}'), { op: 'ping' });
    assert.deepEqual(parseClientMessage('{"op":"subscribe","channel":"status","id":7}'), {
      op: 'subscribe',
      channel: 'status',
      id: 7,
    });
    assert.deepEqual(parseClientMessage('{"op":"unsubscribe","channel":"status"}'), {
      op: 'unsubscribe',
      channel: 'status',
    });
  });

  const bad: [string, string][] = [
    ['not json', 'BAD_MESSAGE'],
    ['[1,2]', 'BAD_MESSAGE'],
    ['"subscribe"', 'BAD_MESSAGE'],
    ['null', 'BAD_MESSAGE'],
    ['{"channel":"status"}', 'BAD_MESSAGE'],
    ['{"op":"dance"}', 'UNKNOWN_OP'],
    ['{"op":"subscribe"}', 'BAD_MESSAGE'],
    ['{"op":"subscribe","channel":42}', 'BAD_MESSAGE'],
    ['{"op":"subscribe","channel":"status","limit":0}', 'INVALID_PARAMETER'],
    ['{"op":"subscribe","channel":"status","limit":"5"}', 'INVALID_PARAMETER'],
  ];
  for (const [text, code] of bad) {
    it(`refuses ${text} with ${code}`, () => {
      const parsed = parseClientMessage(text);
      assert.ok('error' in parsed);
      assert.equal(parsed.error.code, code);
    });
  }

  it('echoes the id of a bad message', () => {
    assert.deepEqual(parseClientMessage('{"op":"dance","id":"a1"}'), {
      error: { code: 'UNKNOWN_OP', message: 'unknown op "dance"; expected subscribe, unsubscribe or ping' },
      id: 'a1',
    });
  });
});

describe('parseChannel', () => {
  it('parses status and both candle forms', () => {
    assert.deepEqual(parseChannel('status'), { kind: 'status' });
    assert.deepEqual(parseChannel('candles:Binance:BTC-USDT:1m'), {
      kind: 'candles',
      venue: 'binance',
      symbol: 'BTC-USDT',
      interval: '1m',
    });
    assert.deepEqual(parseChannel('candles:BTCUSDT:4h'), {
      kind: 'candles',
      venue: undefined,
      symbol: 'BTCUSDT',
      interval: '4h',
    });
  });

  for (const name of [
    '',
    'candles',
    'candles:BTC-USDT',
    'candles:binance:BTC-USDT:2m',
    'trades:BTC-USDT',
    'candles:a:b:c:1m',
    'candles:bin ance:BTC-USDT:1m',
    'candles:binance:BTC/USDT:1m',
  ]) {
    it(`refuses "${name}"`, () => assert.equal(parseChannel(name), undefined));
  }
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileJsonWriter, formatJsonNumber, toJson } from '../../src/serve/json.js';
import { CandlesResponseSchema, SystemStatusSchema } from '../../src/serve/schemas.js';
import { candle } from './fake-deps.js';

describe('formatJsonNumber', () => {
  it('rounds to 8 decimals, never in exponent notation; integers as they are', () => {
    const cases: [number, string][] = [
      [205.29999999999998, '205.3'],
      [0.1 + 0.2, '0.3'],
      [1e-7, '0.0000001'],
      [5.5e-7, '0.00000055'],
      [1.234567891234, '1.23456789'],
      [-0.000000014, '-0.00000001'],
      [1e-9, '0'],
      [-0, '0'],
      [42, '42'],
      [1_704_153_600_000, '1704153600000'],
      [123_456_789.12345679, '123456789.1234568'],
      [Number.NaN, 'null'],
      [Number.POSITIVE_INFINITY, 'null'],
    ];
    for (const [value, text] of cases) assert.equal(formatJsonNumber(value), text, String(value));
  });
});

describe('toJson', () => {
  it('writes every number that way, and leaves strings alone', () => {
    const value = {
      price: 1e-7,
      qty: 205.29999999999998,
      n: 3,
      payload: '{"p":1e-7,"q":2}',
      list: [0.1 + 0.2, null],
    };
    const text = toJson(value);
    assert.equal(
      text,
      '{"price":0.0000001,"qty":205.3,"n":3,"payload":"{\\"p\\":1e-7,\\"q\\":2}","list":[0.3,null]}',
    );
    assert.deepEqual(JSON.parse(text), {
      price: 1e-7,
      qty: 205.3,
      n: 3,
      payload: '{"p":1e-7,"q":2}',
      list: [0.3, null],
    });
    assert.equal(toJson({ a: 1, b: undefined, c: 'x' }), '{"a":1,"c":"x"}');
  });
});

describe('compileJsonWriter', () => {
  it('writes what the schema declares, in its order, numbers rounded', () => {
    const write = compileJsonWriter(CandlesResponseSchema);
    const c = candle({ takerBuyVolume: 205.29999999999998, quoteVolume: 0.00000012000000001 });
    const text = write({
      venue: 'binance',
      symbol: 'BTC-USDT',
      interval: '1m',
      candles: [c],
      watermarks: { speed: 5, batch: null },
      secret: 'not declared',
    });
    assert.doesNotMatch(text, /secret|"venue":"binance","symbol":"BTC-USDT","interval":"1m","openTime"/);
    assert.match(text, /"takerBuyVolume":205\.3,/);
    assert.match(text, /"quoteVolume":0\.00000012,/);
    assert.match(text, /"watermarks":\{"speed":5,"batch":null\}/);
  });

  it('follows unions and records (the status)', () => {
    const write = compileJsonWriter(SystemStatusSchema);
    const text = write({
      sources: [],
      speed: { lag: 0, tradesProcessed: 1, lateDropped: 0, revised: 0, watermarks: [] },
      rejected: { total: 2, byReason: { bad_json: 2 } },
      throughput: { tradesPerSec: 12.300000000000001 },
      startedAt: 7,
      batch: null,
    });
    assert.equal(
      text,
      '{"sources":[],"speed":{"lag":0,"tradesProcessed":1,"lateDropped":0,"revised":0,"watermarks":[]},' +
        '"rejected":{"total":2,"byReason":{"bad_json":2}},"throughput":{"tradesPerSec":12.3},"startedAt":7,"batch":null}',
    );
  });
});
